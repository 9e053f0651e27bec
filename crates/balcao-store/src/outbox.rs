//! The transactional outbox: events are inserted in the same transaction as the change they
//! describe, so a change is never without its event and an event never without its change.

use balcao_core::{AccountId, Event, EventId, Timestamp};
use sea_query::{Expr, Iden, Order, Query, SimpleExpr};
use uuid::Uuid;

use crate::db::{PerBackend, fetch_all, fetch_all_per_backend};
use crate::{Exec, Result, StoreError};

#[derive(Clone, Copy, Iden)]
enum OutboxEvents {
    Table,
    Id,
    AccountId,
    Name,
    SubjectType,
    SubjectId,
    Payload,
    CreatedAt,
    DispatchedAt,
}

/// Every column, in the order rows are written and read.
const COLUMNS: [OutboxEvents; 7] = [
    OutboxEvents::Id,
    OutboxEvents::AccountId,
    OutboxEvents::Name,
    OutboxEvents::SubjectType,
    OutboxEvents::SubjectId,
    OutboxEvents::Payload,
    OutboxEvents::CreatedAt,
];

/// The column of the event's subject as JSON (hundreds of bytes), carried beside the other
/// values of an insert (see `crate::rows`).
const LONG: usize = 5;

/// Appends events; call it with the transaction that makes the change.
///
/// An event of an account without an active webhook subscription is born dispatched (at its
/// creation time): nobody would receive it, and marking it later cost the dispatcher a write
/// transaction per batch of events, which on SQLite queued behind and before every group of
/// inbound messages. The check is part of the insert, in the same transaction, so it sees the
/// subscriptions committed before it — as the dispatcher's read does, later.
pub async fn append(db: &mut impl Exec, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    crate::db::insert_rows_computing(
        db,
        OutboxEvents::Table,
        COLUMNS,
        events,
        row_of,
        Some((OutboxEvents::DispatchedAt, born_dispatched)),
        &[LONG],
    )
    .await?;
    db.wrote_events();
    Ok(())
}

fn row_of(e: &Event) -> [SimpleExpr; 7] {
    [
        e.id.0.into(),
        e.account_id.0.into(),
        e.name.into(),
        e.subject_type.into(),
        e.subject_id.into(),
        e.data.as_str().into(),
        e.created_at.micros().into(),
    ]
}

/// `dispatched_at` of a new event, from its values' SQL (`element(1)` its account,
/// `element(6)` its creation time): none while the account has an active subscription, else
/// its creation time. The same text on both backends (`active` is a boolean on PostgreSQL, 0 or
/// 1 on SQLite). Events written without it (text the JSON rows cannot carry) wait for the
/// dispatcher, which dispatches them to nobody.
fn born_dispatched(element: &dyn Fn(usize) -> String) -> String {
    format!(
        "CASE WHEN EXISTS (SELECT 1 FROM \"webhooks\" AS w WHERE w.\"account_id\" = {} AND w.\"active\") \
         THEN NULL ELSE {} END",
        element(1),
        element(6)
    )
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

/// Events of the account, oldest first, optionally only those about one subject (read through
/// the account's events: for inspection and tests, not for a request's path).
pub async fn list(db: &mut impl Exec, account: AccountId, subject: Option<Uuid>) -> Result<Vec<StoredEvent>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(OutboxEvents::Table)
        .and_where(Expr::col(OutboxEvents::AccountId).eq(account.0))
        .order_by(OutboxEvents::Id, Order::Asc);
    if let Some(subject) = subject {
        stmt.and_where(Expr::col(OutboxEvents::SubjectId).eq(subject));
    }
    let rows: Vec<EventRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(StoredEvent::try_from).collect()
}

/// On SQLite both the waiting events and the claimed ones are reached by name of their index:
/// with statistics taken while the outbox was small and nothing waited (`PRAGMA optimize` at
/// start), SQLite read the whole outbox to find the waiting events, and again to update the
/// claimed ones by id — every event ever written, per look of the dispatcher.
pub(crate) const CLAIM: PerBackend = PerBackend {
    sqlite: "UPDATE outbox_events INDEXED BY sqlite_autoindex_outbox_events_1 SET dispatched_at = ? \
     WHERE id IN (SELECT id FROM outbox_events INDEXED BY outbox_events_pending_idx \
       WHERE dispatched_at IS NULL ORDER BY id LIMIT ?) \
     RETURNING id, account_id, name, created_at",
    postgres: "UPDATE outbox_events SET dispatched_at = $1 \
     WHERE id IN (SELECT id FROM outbox_events WHERE dispatched_at IS NULL ORDER BY id LIMIT $2 \
       FOR UPDATE SKIP LOCKED) \
     RETURNING id, account_id, name, created_at",
};

/// An event as claimed for dispatch: what decides who wants it, without its payload (most
/// events are wanted by no subscription; [`get_many`] reads the others).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedEvent {
    pub id: EventId,
    pub account_id: AccountId,
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    created_at: i64,
}

/// Marks up to `limit` undispatched events dispatched and answers them, oldest first. Run it in
/// the transaction that records what the dispatch produced (webhook deliveries), so a crash
/// dispatches nothing half-way; on PostgreSQL, concurrent dispatchers skip each other's rows.
pub async fn claim_undispatched(db: &mut impl Exec, now: Timestamp, limit: u32) -> Result<Vec<ClaimedEvent>> {
    let values = vec![now.micros().into(), i64::from(limit).into()];
    let rows: Vec<ClaimedRow> = fetch_all_per_backend(db, &CLAIM, values).await?;
    let mut events: Vec<ClaimedEvent> = rows
        .into_iter()
        .map(|r| ClaimedEvent {
            id: EventId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            created_at: Timestamp::from_micros(r.created_at),
        })
        .collect();
    events.sort_by_key(|e| e.id.0);
    Ok(events)
}

/// The events with these ids, oldest first.
pub async fn get_many(db: &mut impl Exec, ids: &[EventId]) -> Result<Vec<StoredEvent>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(OutboxEvents::Table)
        .and_where(Expr::col(OutboxEvents::Id).is_in(ids.iter().map(|e| e.0)))
        .order_by(OutboxEvents::Id, Order::Asc)
        .to_owned();
    let rows: Vec<EventRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(StoredEvent::try_from).collect()
}

pub(crate) const HAS_UNDISPATCHED: PerBackend = PerBackend {
    sqlite: "SELECT id FROM outbox_events INDEXED BY outbox_events_pending_idx WHERE dispatched_at IS NULL LIMIT 1",
    postgres: "SELECT id FROM outbox_events WHERE dispatched_at IS NULL LIMIT 1",
};

/// Whether any event waits for dispatch (a cheap read before claiming).
pub async fn has_undispatched(db: &mut impl Exec) -> Result<bool> {
    let rows: Vec<(Uuid,)> = fetch_all_per_backend(db, &HAS_UNDISPATCHED, Vec::new()).await?;
    Ok(!rows.is_empty())
}

/// Events after `after` (by id, which is time-ordered), oldest first, of every account or of
/// one: what realtime streams relay and replay.
pub async fn since(
    db: &mut impl Exec,
    account: Option<AccountId>,
    after: Uuid,
    limit: u64,
) -> Result<Vec<StoredEvent>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(OutboxEvents::Table)
        .and_where(Expr::col(OutboxEvents::Id).gt(after))
        .order_by(OutboxEvents::Id, Order::Asc)
        .limit(limit);
    if let Some(account) = account {
        stmt.and_where(Expr::col(OutboxEvents::AccountId).eq(account.0));
    }
    let rows: Vec<EventRow> = crate::db::fetch_all(db, &stmt).await?;
    rows.into_iter().map(StoredEvent::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_column_is_the_payload() {
        assert_eq!(COLUMNS[LONG].to_string(), "payload");
    }
}
