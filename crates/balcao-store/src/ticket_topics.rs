//! Ticket topics: the subjects a ticket is closed under.

use balcao_core::{AccountId, TicketTopic as Topic, Timestamp};
use sea_query::{Expr, Iden, Order, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::users::paginate;
use crate::{ArchivedFilter, Exec, Page, PageRequest, Result, StoreError};

#[derive(Iden, Clone, Copy)]
enum TicketTopics {
    Table,
    Id,
    AccountId,
    Name,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

const COLUMNS: [TicketTopics; 6] = [
    TicketTopics::Id,
    TicketTopics::AccountId,
    TicketTopics::Name,
    TicketTopics::ArchivedAt,
    TicketTopics::CreatedAt,
    TicketTopics::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct TopicRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<TopicRow> for Topic {
    fn from(r: TopicRow) -> Self {
        Topic {
            id: r.id,
            account_id: AccountId(r.account_id),
            name: r.name,
            archived_at: r.archived_at.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        }
    }
}

pub async fn insert(db: &mut impl Exec, t: &Topic) -> Result<()> {
    let stmt = Query::insert()
        .into_table(TicketTopics::Table)
        .columns(COLUMNS)
        .values_panic([
            t.id.into(),
            t.account_id.0.into(),
            t.name.clone().into(),
            t.archived_at.map(Timestamp::micros).into(),
            t.created_at.micros().into(),
            t.updated_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))?;
    Ok(())
}

pub async fn update(db: &mut impl Exec, t: &Topic) -> Result<bool> {
    let stmt = Query::update()
        .table(TicketTopics::Table)
        .values([
            (TicketTopics::Name, t.name.clone().into()),
            (TicketTopics::ArchivedAt, t.archived_at.map(Timestamp::micros).into()),
            (TicketTopics::UpdatedAt, t.updated_at.micros().into()),
        ])
        .and_where(Expr::col(TicketTopics::AccountId).eq(t.account_id.0))
        .and_where(Expr::col(TicketTopics::Id).eq(t.id))
        .to_owned();
    Ok(execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))? == 1)
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: Uuid) -> Result<Option<Topic>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(TicketTopics::Table)
        .and_where(Expr::col(TicketTopics::AccountId).eq(account.0))
        .and_where(Expr::col(TicketTopics::Id).eq(id))
        .to_owned();
    let row: Option<TopicRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(Topic::from))
}

pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    archived: ArchivedFilter,
    page: PageRequest,
) -> Result<Page<Topic>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(TicketTopics::Table)
        .and_where(Expr::col(TicketTopics::AccountId).eq(account.0))
        .order_by(TicketTopics::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    archived.apply(&mut stmt, TicketTopics::ArchivedAt);
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(TicketTopics::Id).gt(after));
    }
    let rows: Vec<TopicRow> = fetch_all(db, &stmt).await?;
    Ok(paginate(rows.into_iter().map(Topic::from).collect(), page.limit, |t| {
        t.id
    }))
}

/// Which of `ids` are topics of `account`.
pub async fn existing(db: &mut impl Exec, account: AccountId, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    Ok(crate::db::existing_ids(db, TicketTopics::Table, account, ids).await?)
}
