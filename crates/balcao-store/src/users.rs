//! Users and their department memberships.

use std::collections::HashMap;
use std::str::FromStr;

use balcao_core::{AccountId, DepartmentId, Role, Timestamp, User, UserId};
use sea_query::{Expr, Iden, Order, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::{ArchivedFilter, Exec, Page, PageRequest, Result, StoreError};

#[derive(Iden)]
pub(crate) enum Users {
    Table,
    Id,
    AccountId,
    Name,
    Email,
    PasswordHash,
    Role,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
enum UserDepartments {
    Table,
    AccountId,
    UserId,
    DepartmentId,
}

const COLUMNS: [Users; 8] = [
    Users::Id,
    Users::AccountId,
    Users::Name,
    Users::Email,
    Users::Role,
    Users::ArchivedAt,
    Users::CreatedAt,
    Users::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    email: String,
    role: String,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn role_of(s: &str) -> Result<Role> {
    Role::from_str(s).map_err(|e| StoreError::Corrupt {
        table: "users",
        detail: e.to_string(),
    })
}

impl UserRow {
    fn into_user(self, department_ids: Vec<DepartmentId>) -> Result<User> {
        Ok(User {
            id: UserId(self.id),
            account_id: AccountId(self.account_id),
            role: role_of(&self.role)?,
            name: self.name,
            email: self.email,
            department_ids,
            archived_at: self.archived_at.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        })
    }
}

/// Cuts a `limit + 1` fetch down to one page and says where the next begins.
pub(crate) fn paginate<T>(mut items: Vec<T>, limit: u32, id_of: impl Fn(&T) -> Uuid) -> Page<T> {
    let limit = limit as usize;
    let next_after = if items.len() > limit {
        items.truncate(limit);
        items.last().map(&id_of)
    } else {
        None
    };
    Page {
        items,
        next_after,
        next_cursor: None,
    }
}

/// Inserts a user (with `user.department_ids` as memberships).
pub async fn insert(db: &mut impl Exec, user: &User, password_hash: &str) -> Result<()> {
    let stmt = Query::insert()
        .into_table(Users::Table)
        .columns([
            Users::Id,
            Users::AccountId,
            Users::Name,
            Users::Email,
            Users::PasswordHash,
            Users::Role,
            Users::ArchivedAt,
            Users::CreatedAt,
            Users::UpdatedAt,
        ])
        .values_panic([
            user.id.0.into(),
            user.account_id.0.into(),
            user.name.clone().into(),
            user.email.clone().into(),
            password_hash.into(),
            user.role.as_str().into(),
            user.archived_at.map(Timestamp::micros).into(),
            user.created_at.micros().into(),
            user.updated_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt)
        .await
        .map_err(|e| StoreError::unique_as(e, "email"))?;
    add_memberships(db, user.account_id, user.id, &user.department_ids).await
}

async fn add_memberships(
    db: &mut impl Exec,
    account: AccountId,
    user: UserId,
    departments: &[DepartmentId],
) -> Result<()> {
    if departments.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table(UserDepartments::Table).columns([
        UserDepartments::AccountId,
        UserDepartments::UserId,
        UserDepartments::DepartmentId,
    ]);
    for d in departments {
        stmt.values_panic([account.0.into(), user.0.into(), d.0.into()]);
    }
    execute(db, &stmt).await?;
    Ok(())
}

/// Replaces a user's department memberships.
pub async fn set_departments(
    db: &mut impl Exec,
    account: AccountId,
    user: UserId,
    departments: &[DepartmentId],
) -> Result<()> {
    let stmt = Query::delete()
        .from_table(UserDepartments::Table)
        .and_where(Expr::col(UserDepartments::AccountId).eq(account.0))
        .and_where(Expr::col(UserDepartments::UserId).eq(user.0))
        .to_owned();
    execute(db, &stmt).await?;
    add_memberships(db, account, user, departments).await
}

/// Department ids of each of `users`, in one query.
async fn memberships(
    db: &mut impl Exec,
    account: AccountId,
    users: &[Uuid],
) -> Result<HashMap<Uuid, Vec<DepartmentId>>> {
    let map = crate::db::grouped_ids(
        db,
        UserDepartments::Table,
        (UserDepartments::UserId, UserDepartments::DepartmentId),
        account,
        users,
    )
    .await?;
    Ok(map
        .into_iter()
        .map(|(user, ids)| (user, ids.into_iter().map(DepartmentId).collect()))
        .collect())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: UserId) -> Result<Option<User>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::AccountId).eq(account.0))
        .and_where(Expr::col(Users::Id).eq(id.0))
        .to_owned();
    let Some(row) = fetch_optional::<UserRow>(db, &stmt).await? else {
        return Ok(None);
    };
    let mut m = memberships(db, account, &[row.id]).await?;
    let departments = m.remove(&row.id).unwrap_or_default();
    row.into_user(departments).map(Some)
}

/// The users of `account` among `ids`, in one query (plus one for their memberships).
pub async fn get_many(db: &mut impl Exec, account: AccountId, ids: &[UserId]) -> Result<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::AccountId).eq(account.0))
        .and_where(Expr::col(Users::Id).is_in(ids.iter().map(|u| u.0)))
        .to_owned();
    let rows: Vec<UserRow> = fetch_all(db, &stmt).await?;
    let raw: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut m = memberships(db, account, &raw).await?;
    rows.into_iter()
        .map(|r| {
            let departments = m.remove(&r.id).unwrap_or_default();
            r.into_user(departments)
        })
        .collect()
}

pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    archived: ArchivedFilter,
    page: PageRequest,
) -> Result<Page<User>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Users::Table)
        .and_where(Expr::col(Users::AccountId).eq(account.0))
        .order_by(Users::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    archived.apply(&mut stmt, Users::ArchivedAt);
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(Users::Id).gt(after));
    }
    let rows: Vec<UserRow> = fetch_all(db, &stmt).await?;
    let page = paginate(rows, page.limit, |r| r.id);
    let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
    let mut m = memberships(db, account, &ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|r| {
            let departments = m.remove(&r.id).unwrap_or_default();
            r.into_user(departments)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        next_after: page.next_after,
        next_cursor: None,
    })
}

/// Writes name, e-mail, role and archive state as they are in `user` (not memberships).
pub async fn update(db: &mut impl Exec, user: &User) -> Result<bool> {
    let stmt = Query::update()
        .table(Users::Table)
        .values([
            (Users::Name, user.name.clone().into()),
            (Users::Email, user.email.clone().into()),
            (Users::Role, user.role.as_str().into()),
            (Users::ArchivedAt, user.archived_at.map(Timestamp::micros).into()),
            (Users::UpdatedAt, user.updated_at.micros().into()),
        ])
        .and_where(Expr::col(Users::AccountId).eq(user.account_id.0))
        .and_where(Expr::col(Users::Id).eq(user.id.0))
        .to_owned();
    let n = execute(db, &stmt)
        .await
        .map_err(|e| StoreError::unique_as(e, "email"))?;
    Ok(n == 1)
}

pub async fn set_password_hash(
    db: &mut impl Exec,
    account: AccountId,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<bool> {
    let stmt = Query::update()
        .table(Users::Table)
        .values([
            (Users::PasswordHash, hash.into()),
            (Users::UpdatedAt, now.micros().into()),
        ])
        .and_where(Expr::col(Users::AccountId).eq(account.0))
        .and_where(Expr::col(Users::Id).eq(id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

pub async fn delete(db: &mut impl Exec, account: AccountId, id: UserId) -> Result<bool> {
    let stmt = Query::delete()
        .from_table(Users::Table)
        .and_where(Expr::col(Users::AccountId).eq(account.0))
        .and_where(Expr::col(Users::Id).eq(id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// Active (not archived) admins of the account.
pub async fn count_active_admins(db: &mut impl Exec, account: AccountId) -> Result<i64> {
    let stmt = Query::select()
        .expr(Expr::col(Users::Id).count())
        .from(Users::Table)
        .and_where(Expr::col(Users::AccountId).eq(account.0))
        .and_where(Expr::col(Users::Role).eq(Role::Admin.as_str()))
        .and_where(Expr::col(Users::ArchivedAt).is_null())
        .to_owned();
    let row: Option<(i64,)> = fetch_optional(db, &stmt).await?;
    Ok(row.map_or(0, |(n,)| n))
}

/// What a password login needs about a user. Looked up by e-mail across accounts, because a
/// login names no account: this is one of the two authentication lookups.
#[derive(Clone, Debug)]
pub struct LoginRecord {
    pub user_id: UserId,
    pub account_id: AccountId,
    pub password_hash: String,
    pub archived: bool,
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: Uuid,
    account_id: Uuid,
    password_hash: String,
    archived_at: Option<i64>,
}

pub async fn login_by_email(db: &mut impl Exec, email: &str) -> Result<Option<LoginRecord>> {
    let stmt = Query::select()
        .columns([Users::Id, Users::AccountId, Users::PasswordHash, Users::ArchivedAt])
        .from(Users::Table)
        .and_where(Expr::col(Users::Email).eq(email))
        .to_owned();
    let row: Option<LoginRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(|r| LoginRecord {
        user_id: UserId(r.id),
        account_id: AccountId(r.account_id),
        password_hash: r.password_hash,
        archived: r.archived_at.is_some(),
    }))
}
