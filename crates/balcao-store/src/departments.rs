//! Departments: the teams tickets are routed to.

use balcao_core::{AccountId, Department, DepartmentId, Timestamp};
use sea_query::{Expr, Iden, Order, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::{ArchivedFilter, Exec, Page, PageRequest, Result, StoreError};

#[derive(Iden)]
pub(crate) enum Departments {
    Table,
    Id,
    AccountId,
    Name,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

const COLUMNS: [Departments; 6] = [
    Departments::Id,
    Departments::AccountId,
    Departments::Name,
    Departments::ArchivedAt,
    Departments::CreatedAt,
    Departments::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct DepartmentRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<DepartmentRow> for Department {
    fn from(r: DepartmentRow) -> Self {
        Department {
            id: DepartmentId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            archived_at: r.archived_at.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        }
    }
}

pub async fn insert(db: &mut impl Exec, d: &Department) -> Result<()> {
    let stmt = Query::insert()
        .into_table(Departments::Table)
        .columns(COLUMNS)
        .values_panic([
            d.id.0.into(),
            d.account_id.0.into(),
            d.name.clone().into(),
            d.archived_at.map(Timestamp::micros).into(),
            d.created_at.micros().into(),
            d.updated_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))?;
    Ok(())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: DepartmentId) -> Result<Option<Department>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Departments::Table)
        .and_where(Expr::col(Departments::AccountId).eq(account.0))
        .and_where(Expr::col(Departments::Id).eq(id.0))
        .to_owned();
    let row: Option<DepartmentRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(Department::from))
}

/// The departments of `account` among `ids`, in one query.
pub async fn get_many(db: &mut impl Exec, account: AccountId, ids: &[DepartmentId]) -> Result<Vec<Department>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Departments::Table)
        .and_where(Expr::col(Departments::AccountId).eq(account.0))
        .and_where(Expr::col(Departments::Id).is_in(ids.iter().map(|d| d.0)))
        .to_owned();
    let rows: Vec<DepartmentRow> = fetch_all(db, &stmt).await?;
    Ok(rows.into_iter().map(Department::from).collect())
}

pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    archived: ArchivedFilter,
    page: PageRequest,
) -> Result<Page<Department>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Departments::Table)
        .and_where(Expr::col(Departments::AccountId).eq(account.0))
        .order_by(Departments::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    archived.apply(&mut stmt, Departments::ArchivedAt);
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(Departments::Id).gt(after));
    }
    let rows: Vec<DepartmentRow> = fetch_all(db, &stmt).await?;
    Ok(crate::users::paginate(
        rows.into_iter().map(Department::from).collect(),
        page.limit,
        |d| d.id.0,
    ))
}

/// Writes a department's name and archive state as they are in `d`.
pub async fn update(db: &mut impl Exec, d: &Department) -> Result<bool> {
    let stmt = Query::update()
        .table(Departments::Table)
        .values([
            (Departments::Name, d.name.clone().into()),
            (Departments::ArchivedAt, d.archived_at.map(Timestamp::micros).into()),
            (Departments::UpdatedAt, d.updated_at.micros().into()),
        ])
        .and_where(Expr::col(Departments::AccountId).eq(d.account_id.0))
        .and_where(Expr::col(Departments::Id).eq(d.id.0))
        .to_owned();
    let n = execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))?;
    Ok(n == 1)
}

pub async fn delete(db: &mut impl Exec, account: AccountId, id: DepartmentId) -> Result<bool> {
    let stmt = Query::delete()
        .from_table(Departments::Table)
        .and_where(Expr::col(Departments::AccountId).eq(account.0))
        .and_where(Expr::col(Departments::Id).eq(id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// Which of `ids` are departments of `account` (archived ones included).
pub async fn existing(db: &mut impl Exec, account: AccountId, ids: &[DepartmentId]) -> Result<Vec<DepartmentId>> {
    let raw: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
    let found = crate::db::existing_ids(db, Departments::Table, account, &raw).await?;
    Ok(found.into_iter().map(DepartmentId).collect())
}
