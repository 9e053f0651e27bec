//! Members of group contacts.

use balcao_core::{AccountId, ContactId};
use sea_query::{Expr, Iden, OnConflict, Order, Query};
use serde::Serialize;

use crate::db::{execute, fetch_all};
use crate::{Exec, Result};

#[derive(Iden, Clone, Copy)]
enum ContactGroupMembers {
    Table,
    AccountId,
    GroupId,
    Phone,
    Name,
    IsAdmin,
}

/// One member of a group, known by phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct GroupMember {
    pub phone: String,
    pub name: Option<String>,
    pub is_admin: bool,
}

/// Replaces the members of `group`.
pub async fn replace(db: &mut impl Exec, account: AccountId, group: ContactId, members: &[GroupMember]) -> Result<()> {
    let delete = Query::delete()
        .from_table(ContactGroupMembers::Table)
        .and_where(Expr::col(ContactGroupMembers::AccountId).eq(account.0))
        .and_where(Expr::col(ContactGroupMembers::GroupId).eq(group.0))
        .to_owned();
    execute(db, &delete).await?;
    insert(db, account, group, members, false).await
}

/// Adds members to `group`; phones already there keep their row.
pub async fn add(db: &mut impl Exec, account: AccountId, group: ContactId, members: &[GroupMember]) -> Result<()> {
    insert(db, account, group, members, true).await
}

async fn insert(
    db: &mut impl Exec,
    account: AccountId,
    group: ContactId,
    members: &[GroupMember],
    keep_existing: bool,
) -> Result<()> {
    for chunk in members.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(ContactGroupMembers::Table).columns([
            ContactGroupMembers::AccountId,
            ContactGroupMembers::GroupId,
            ContactGroupMembers::Phone,
            ContactGroupMembers::Name,
            ContactGroupMembers::IsAdmin,
        ]);
        for m in chunk {
            insert.values_panic([
                account.0.into(),
                group.0.into(),
                m.phone.clone().into(),
                m.name.clone().into(),
                m.is_admin.into(),
            ]);
        }
        if keep_existing {
            insert.on_conflict(
                OnConflict::columns([ContactGroupMembers::GroupId, ContactGroupMembers::Phone])
                    .do_nothing()
                    .to_owned(),
            );
        }
        execute(db, &insert).await?;
    }
    Ok(())
}

/// Makes the members with `phones` admins of `group` (or not); answers how many rows changed.
pub async fn set_admin(
    db: &mut impl Exec,
    account: AccountId,
    group: ContactId,
    phones: &[String],
    admin: bool,
) -> Result<u64> {
    let stmt = Query::update()
        .table(ContactGroupMembers::Table)
        .value(ContactGroupMembers::IsAdmin, admin)
        .and_where(Expr::col(ContactGroupMembers::AccountId).eq(account.0))
        .and_where(Expr::col(ContactGroupMembers::GroupId).eq(group.0))
        .and_where(Expr::col(ContactGroupMembers::Phone).is_in(phones.iter().cloned()))
        .to_owned();
    Ok(execute(db, &stmt).await?)
}

/// The members of `group`, by phone.
pub async fn list(db: &mut impl Exec, account: AccountId, group: ContactId) -> Result<Vec<GroupMember>> {
    let stmt = Query::select()
        .columns([
            ContactGroupMembers::Phone,
            ContactGroupMembers::Name,
            ContactGroupMembers::IsAdmin,
        ])
        .from(ContactGroupMembers::Table)
        .and_where(Expr::col(ContactGroupMembers::AccountId).eq(account.0))
        .and_where(Expr::col(ContactGroupMembers::GroupId).eq(group.0))
        .order_by(ContactGroupMembers::Phone, Order::Asc)
        .to_owned();
    Ok(fetch_all(db, &stmt).await?)
}
