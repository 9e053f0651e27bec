//! The transactional outbox: events are inserted in the same transaction as the change they
//! describe, so a change is never without its event and an event never without its change.

use balcao_core::{AccountId, Event, EventId, Timestamp};
use sea_query::{Expr, Iden, Order, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all};
use crate::{Exec, Result, StoreError};

#[derive(Iden)]
enum OutboxEvents {
    Table,
    Id,
    AccountId,
    Name,
    SubjectType,
    SubjectId,
    Payload,
    CreatedAt,
}

/// Appends events; call it with the transaction that makes the change.
pub async fn append(db: &mut impl Exec, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table(OutboxEvents::Table).columns([
        OutboxEvents::Id,
        OutboxEvents::AccountId,
        OutboxEvents::Name,
        OutboxEvents::SubjectType,
        OutboxEvents::SubjectId,
        OutboxEvents::Payload,
        OutboxEvents::CreatedAt,
    ]);
    for e in events {
        stmt.values_panic([
            e.id.0.into(),
            e.account_id.0.into(),
            e.name.into(),
            e.subject_type.into(),
            e.subject_id.into(),
            e.data.to_string().into(),
            e.created_at.micros().into(),
        ]);
    }
    execute(db, &stmt).await?;
    Ok(())
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub id: EventId,
    pub account_id: AccountId,
    pub name: String,
    pub subject_type: String,
    pub subject_id: Uuid,
    pub data: serde_json::Value,
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    subject_type: String,
    subject_id: Uuid,
    payload: String,
    created_at: i64,
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Self> {
        Ok(StoredEvent {
            id: EventId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            subject_type: r.subject_type,
            subject_id: r.subject_id,
            data: serde_json::from_str(&r.payload).map_err(|e| StoreError::Corrupt {
                table: "outbox_events",
                detail: e.to_string(),
            })?,
            created_at: Timestamp::from_micros(r.created_at),
        })
    }
}

/// Events of the account, oldest first, optionally only those about one subject.
pub async fn list(db: &mut impl Exec, account: AccountId, subject: Option<Uuid>) -> Result<Vec<StoredEvent>> {
    let mut stmt = Query::select();
    stmt.columns([
        OutboxEvents::Id,
        OutboxEvents::AccountId,
        OutboxEvents::Name,
        OutboxEvents::SubjectType,
        OutboxEvents::SubjectId,
        OutboxEvents::Payload,
        OutboxEvents::CreatedAt,
    ])
    .from(OutboxEvents::Table)
    .and_where(Expr::col(OutboxEvents::AccountId).eq(account.0))
    .order_by(OutboxEvents::Id, Order::Asc);
    if let Some(subject) = subject {
        stmt.and_where(Expr::col(OutboxEvents::SubjectId).eq(subject));
    }
    let rows: Vec<EventRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(StoredEvent::try_from).collect()
}
