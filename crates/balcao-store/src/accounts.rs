//! Accounts: the tenants.

use balcao_core::{Account, AccountId, Timestamp};
use sea_query::{Expr, Iden, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::{Exec, Result};

#[derive(Iden)]
pub(crate) enum Accounts {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    name: String,
    created_at: i64,
    updated_at: i64,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: AccountId(r.id),
            name: r.name,
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        }
    }
}

const COLUMNS: [Accounts; 4] = [Accounts::Id, Accounts::Name, Accounts::CreatedAt, Accounts::UpdatedAt];

pub async fn insert(db: &mut impl Exec, account: &Account) -> Result<()> {
    let stmt = Query::insert()
        .into_table(Accounts::Table)
        .columns(COLUMNS)
        .values_panic([
            account.id.0.into(),
            account.name.clone().into(),
            account.created_at.micros().into(),
            account.updated_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

pub async fn get(db: &mut impl Exec, id: AccountId) -> Result<Option<Account>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Accounts::Table)
        .and_where(Expr::col(Accounts::Id).eq(id.0))
        .to_owned();
    let row: Option<AccountRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(Account::from))
}

/// Every account, oldest first: for the operator's CLI, never for an API caller.
pub async fn list_all(db: &mut impl Exec) -> Result<Vec<Account>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Accounts::Table)
        .order_by(Accounts::Id, sea_query::Order::Asc)
        .to_owned();
    let rows: Vec<AccountRow> = fetch_all(db, &stmt).await?;
    Ok(rows.into_iter().map(Account::from).collect())
}
