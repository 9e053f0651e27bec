//! Webhook subscriptions, their deliveries (each a small retry queue) and the tries of each.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use balcao_core::webhook::DeliveryStatus;
use balcao_core::{AccountId, Delivery, DeliveryAttempt, DeliveryId, EventId, Timestamp, Webhook, WebhookId};
use sea_query::{Expr, Iden, OnConflict, Order, Query};
use uuid::Uuid;

use crate::db::{PerBackend, execute, fetch_all, fetch_all_per_backend, fetch_optional};
use crate::users::paginate;
use crate::{Exec, Page, PageRequest, Result, StoreError};

#[derive(Iden)]
enum Webhooks {
    Table,
    Id,
    AccountId,
    Name,
    Url,
    Events,
    Headers,
    Secret,
    Active,
    DisabledReason,
    FailingSince,
    LastSuccessAt,
    Format,
    CreatedAt,
    UpdatedAt,
}

const COLUMNS: [Webhooks; 14] = [
    Webhooks::Id,
    Webhooks::AccountId,
    Webhooks::Name,
    Webhooks::Url,
    Webhooks::Events,
    Webhooks::Headers,
    Webhooks::Secret,
    Webhooks::Active,
    Webhooks::DisabledReason,
    Webhooks::FailingSince,
    Webhooks::LastSuccessAt,
    Webhooks::Format,
    Webhooks::CreatedAt,
    Webhooks::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    url: String,
    events: String,
    headers: String,
    secret: String,
    active: bool,
    disabled_reason: Option<String>,
    failing_since: Option<i64>,
    last_success_at: Option<i64>,
    format: String,
    created_at: i64,
    updated_at: i64,
}

fn corrupt(table: &'static str, e: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: e.to_string(),
    }
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;

    fn try_from(r: WebhookRow) -> Result<Webhook> {
        Ok(Webhook {
            id: WebhookId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            url: r.url,
            events: serde_json::from_str(&r.events).map_err(|e| corrupt("webhooks", e))?,
            headers: serde_json::from_str::<BTreeMap<String, String>>(&r.headers)
                .map_err(|e| corrupt("webhooks", e))?,
            secret: r.secret,
            active: r.active,
            disabled_reason: r.disabled_reason,
            failing_since: r.failing_since.map(Timestamp::from_micros),
            last_success_at: r.last_success_at.map(Timestamp::from_micros),
            format: r.format,
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        })
    }
}

fn values(w: &Webhook) -> [sea_query::SimpleExpr; 14] {
    [
        w.id.0.into(),
        w.account_id.0.into(),
        w.name.clone().into(),
        w.url.clone().into(),
        serde_json::to_string(&w.events).unwrap_or_default().into(),
        serde_json::to_string(&w.headers).unwrap_or_default().into(),
        w.secret.clone().into(),
        w.active.into(),
        w.disabled_reason.clone().into(),
        w.failing_since.map(Timestamp::micros).into(),
        w.last_success_at.map(Timestamp::micros).into(),
        w.format.clone().into(),
        w.created_at.micros().into(),
        w.updated_at.micros().into(),
    ]
}

pub async fn insert(db: &mut impl Exec, w: &Webhook) -> Result<()> {
    let stmt = Query::insert()
        .into_table(Webhooks::Table)
        .columns(COLUMNS)
        .values_panic(values(w))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

pub async fn update(db: &mut impl Exec, w: &Webhook) -> Result<bool> {
    let stmt = Query::update()
        .table(Webhooks::Table)
        .values(COLUMNS.into_iter().zip(values(w)).skip(2))
        .and_where(Expr::col(Webhooks::AccountId).eq(w.account_id.0))
        .and_where(Expr::col(Webhooks::Id).eq(w.id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: WebhookId) -> Result<Option<Webhook>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Webhooks::Table)
        .and_where(Expr::col(Webhooks::AccountId).eq(account.0))
        .and_where(Expr::col(Webhooks::Id).eq(id.0))
        .to_owned();
    let row: Option<WebhookRow> = fetch_optional(db, &stmt).await?;
    row.map(Webhook::try_from).transpose()
}

pub async fn list(db: &mut impl Exec, account: AccountId, page: PageRequest) -> Result<Page<Webhook>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Webhooks::Table)
        .and_where(Expr::col(Webhooks::AccountId).eq(account.0))
        .order_by(Webhooks::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(Webhooks::Id).gt(after));
    }
    let rows: Vec<WebhookRow> = fetch_all(db, &stmt).await?;
    let items = rows.into_iter().map(Webhook::try_from).collect::<Result<Vec<_>>>()?;
    Ok(paginate(items, page.limit, |w| w.id.0))
}

pub async fn delete(db: &mut impl Exec, account: AccountId, id: WebhookId) -> Result<bool> {
    let stmt = Query::delete()
        .from_table(Webhooks::Table)
        .and_where(Expr::col(Webhooks::AccountId).eq(account.0))
        .and_where(Expr::col(Webhooks::Id).eq(id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// The active subscriptions of these accounts (for fanning events out), in one query.
pub async fn active_of(db: &mut impl Exec, accounts: &[AccountId]) -> Result<Vec<Webhook>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Webhooks::Table)
        .and_where(Expr::col(Webhooks::AccountId).is_in(accounts.iter().map(|a| a.0)))
        .and_where(Expr::col(Webhooks::Active).eq(true))
        .to_owned();
    let rows: Vec<WebhookRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(Webhook::try_from).collect()
}

/// Subscriptions by id, whatever their account (for a worker holding claimed deliveries).
pub async fn by_ids(db: &mut impl Exec, ids: &[WebhookId]) -> Result<HashMap<WebhookId, Webhook>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Webhooks::Table)
        .and_where(Expr::col(Webhooks::Id).is_in(ids.iter().map(|i| i.0)))
        .to_owned();
    let rows: Vec<WebhookRow> = fetch_all(db, &stmt).await?;
    rows.into_iter()
        .map(|r| Webhook::try_from(r).map(|w| (w.id, w)))
        .collect()
}

/// Deliveries to these subscriptions succeeded: they are no longer failing.
pub async fn record_success(db: &mut impl Exec, ids: &[WebhookId], now: Timestamp) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = Query::update()
        .table(Webhooks::Table)
        .value(Webhooks::FailingSince, Option::<i64>::None)
        .value(Webhooks::LastSuccessAt, now.micros())
        .and_where(Expr::col(Webhooks::Id).is_in(ids.iter().map(|id| id.0)))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// A delivery failed: the subscription is failing since now, unless it already was.
pub async fn record_failure(db: &mut impl Exec, id: WebhookId, now: Timestamp) -> Result<()> {
    let stmt = Query::update()
        .table(Webhooks::Table)
        .value(Webhooks::FailingSince, now.micros())
        .and_where(Expr::col(Webhooks::Id).eq(id.0))
        .and_where(Expr::col(Webhooks::FailingSince).is_null())
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// Disables the subscription when it has been failing since before `before`; answers whether
/// this call disabled it (so its event is emitted once).
pub async fn disable_if_failing(
    db: &mut impl Exec,
    id: WebhookId,
    before: Timestamp,
    reason: &str,
    now: Timestamp,
) -> Result<bool> {
    let stmt = Query::update()
        .table(Webhooks::Table)
        .value(Webhooks::Active, false)
        .value(Webhooks::DisabledReason, reason)
        .value(Webhooks::UpdatedAt, now.micros())
        .and_where(Expr::col(Webhooks::Id).eq(id.0))
        .and_where(Expr::col(Webhooks::Active).eq(true))
        .and_where(Expr::col(Webhooks::FailingSince).lt(before.micros()))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

#[derive(Iden)]
enum WebhookDeliveries {
    Table,
    Id,
    AccountId,
    WebhookId,
    EventId,
    Event,
    Body,
    Status,
    Attempts,
    RunAt,
    ExpiresAt,
    DeliveredAt,
    CreatedAt,
}

const DELIVERY_COLUMNS: [WebhookDeliveries; 12] = [
    WebhookDeliveries::Id,
    WebhookDeliveries::AccountId,
    WebhookDeliveries::WebhookId,
    WebhookDeliveries::EventId,
    WebhookDeliveries::Event,
    WebhookDeliveries::Body,
    WebhookDeliveries::Status,
    WebhookDeliveries::Attempts,
    WebhookDeliveries::RunAt,
    WebhookDeliveries::ExpiresAt,
    WebhookDeliveries::DeliveredAt,
    WebhookDeliveries::CreatedAt,
];

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    account_id: Uuid,
    webhook_id: Uuid,
    event_id: Uuid,
    event: String,
    body: String,
    status: String,
    attempts: i64,
    run_at: i64,
    expires_at: i64,
    delivered_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;

    fn try_from(r: DeliveryRow) -> Result<Delivery> {
        let status = DeliveryStatus::from_str(&r.status).map_err(|()| corrupt("webhook_deliveries", &r.status))?;
        Ok(Delivery {
            id: DeliveryId(r.id),
            account_id: AccountId(r.account_id),
            webhook_id: WebhookId(r.webhook_id),
            event_id: EventId(r.event_id),
            event: r.event,
            body: r.body,
            status,
            attempts: r.attempts,
            next_attempt_at: (status == DeliveryStatus::Pending).then(|| Timestamp::from_micros(r.run_at)),
            expires_at: Timestamp::from_micros(r.expires_at),
            delivered_at: r.delivered_at.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(r.created_at),
            attempt_log: Vec::new(),
        })
    }
}

/// Inserts deliveries; one already made for the same subscription and event is left out (a
/// fan-out that runs twice delivers once).
pub async fn insert_deliveries(db: &mut impl Exec, list: &[Delivery]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table(WebhookDeliveries::Table)
        .columns(DELIVERY_COLUMNS)
        .on_conflict(
            OnConflict::columns([WebhookDeliveries::WebhookId, WebhookDeliveries::EventId])
                .do_nothing()
                .to_owned(),
        );
    for d in list {
        stmt.values_panic([
            d.id.0.into(),
            d.account_id.0.into(),
            d.webhook_id.0.into(),
            d.event_id.0.into(),
            d.event.clone().into(),
            d.body.clone().into(),
            d.status.as_str().into(),
            d.attempts.into(),
            d.next_attempt_at.unwrap_or(d.created_at).micros().into(),
            d.expires_at.micros().into(),
            d.delivered_at.map(Timestamp::micros).into(),
            d.created_at.micros().into(),
        ]);
    }
    execute(db, &stmt).await?;
    Ok(())
}

/// On SQLite the due deliveries are the outer loop (`CROSS JOIN` keeps them there), read from
/// their partial index in order until the limit: joined the other way, SQLite read every
/// delivery a subscription ever had (20,000 after 20,000 events) and sorted them, for each claim.
pub(crate) const CLAIM: PerBackend = PerBackend {
    sqlite: "UPDATE webhook_deliveries SET run_at = ?, attempts = attempts + 1 \
     WHERE id IN (SELECT d.id FROM webhook_deliveries d CROSS JOIN webhooks w ON w.id = d.webhook_id \
       WHERE d.status = 'pending' AND d.run_at <= ? AND w.active \
       ORDER BY d.run_at, d.id LIMIT ?) \
     RETURNING id, account_id, webhook_id, event_id, event, body, status, attempts, run_at, expires_at, \
       delivered_at, created_at",
    postgres: "UPDATE webhook_deliveries SET run_at = $1, attempts = attempts + 1 \
     WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
       WHERE d.status = 'pending' AND d.run_at <= $2 AND w.active \
       ORDER BY d.run_at, d.id LIMIT $3 FOR UPDATE OF d SKIP LOCKED) \
     RETURNING id, account_id, webhook_id, event_id, event, body, status, attempts, run_at, expires_at, \
       delivered_at, created_at",
};

/// Claims up to `limit` due deliveries of active subscriptions for a lease ending at
/// `lease_until` (counting the try). Instances never claim the same delivery.
pub async fn claim_deliveries(
    db: &mut impl Exec,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> Result<Vec<Delivery>> {
    let values = vec![
        lease_until.micros().into(),
        now.micros().into(),
        i64::from(limit).into(),
    ];
    let rows: Vec<DeliveryRow> = fetch_all_per_backend(db, &CLAIM, values).await?;
    let mut list = rows.into_iter().map(Delivery::try_from).collect::<Result<Vec<_>>>()?;
    list.sort_by_key(|d| d.id.0);
    Ok(list)
}

/// Records where a delivery stands after a try (or a manual redelivery).
pub async fn set_delivery_state(
    db: &mut impl Exec,
    id: DeliveryId,
    status: DeliveryStatus,
    run_at: Timestamp,
    delivered_at: Option<Timestamp>,
) -> Result<()> {
    let stmt = Query::update()
        .table(WebhookDeliveries::Table)
        .value(WebhookDeliveries::Status, status.as_str())
        .value(WebhookDeliveries::RunAt, run_at.micros())
        .value(WebhookDeliveries::DeliveredAt, delivered_at.map(Timestamp::micros))
        .and_where(Expr::col(WebhookDeliveries::Id).eq(id.0))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// Records deliveries answered 2xx at `now`.
pub async fn set_delivered(db: &mut impl Exec, ids: &[DeliveryId], now: Timestamp) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let stmt = Query::update()
        .table(WebhookDeliveries::Table)
        .value(WebhookDeliveries::Status, DeliveryStatus::Delivered.as_str())
        .value(WebhookDeliveries::RunAt, now.micros())
        .value(WebhookDeliveries::DeliveredAt, now.micros())
        .and_where(Expr::col(WebhookDeliveries::Id).is_in(ids.iter().map(|id| id.0)))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// Makes a delivery due again now, with a new retry period (manual redelivery).
pub async fn redeliver(db: &mut impl Exec, id: DeliveryId, now: Timestamp, expires_at: Timestamp) -> Result<()> {
    let stmt = Query::update()
        .table(WebhookDeliveries::Table)
        .value(WebhookDeliveries::Status, DeliveryStatus::Pending.as_str())
        .value(WebhookDeliveries::RunAt, now.micros())
        .value(WebhookDeliveries::ExpiresAt, expires_at.micros())
        .value(WebhookDeliveries::DeliveredAt, Option::<i64>::None)
        .and_where(Expr::col(WebhookDeliveries::Id).eq(id.0))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

pub async fn get_delivery(db: &mut impl Exec, account: AccountId, id: DeliveryId) -> Result<Option<Delivery>> {
    let stmt = Query::select()
        .columns(DELIVERY_COLUMNS)
        .from(WebhookDeliveries::Table)
        .and_where(Expr::col(WebhookDeliveries::AccountId).eq(account.0))
        .and_where(Expr::col(WebhookDeliveries::Id).eq(id.0))
        .to_owned();
    let row: Option<DeliveryRow> = fetch_optional(db, &stmt).await?;
    let Some(mut d) = row.map(Delivery::try_from).transpose()? else {
        return Ok(None);
    };
    d.attempt_log = attempts_of(db, &[d.id]).await?.remove(&d.id).unwrap_or_default();
    Ok(Some(d))
}

/// A subscription's deliveries, newest first, each with its tries (two queries a page).
pub async fn list_deliveries(
    db: &mut impl Exec,
    account: AccountId,
    webhook: WebhookId,
    page: PageRequest,
) -> Result<Page<Delivery>> {
    let mut stmt = Query::select();
    stmt.columns(DELIVERY_COLUMNS)
        .from(WebhookDeliveries::Table)
        .and_where(Expr::col(WebhookDeliveries::AccountId).eq(account.0))
        .and_where(Expr::col(WebhookDeliveries::WebhookId).eq(webhook.0))
        .order_by(WebhookDeliveries::Id, Order::Desc)
        .limit(u64::from(page.limit) + 1);
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(WebhookDeliveries::Id).lt(after));
    }
    let rows: Vec<DeliveryRow> = fetch_all(db, &stmt).await?;
    let mut items = rows.into_iter().map(Delivery::try_from).collect::<Result<Vec<_>>>()?;
    let ids: Vec<DeliveryId> = items.iter().map(|d| d.id).collect();
    let mut attempts = attempts_of(db, &ids).await?;
    for d in &mut items {
        d.attempt_log = attempts.remove(&d.id).unwrap_or_default();
    }
    Ok(paginate(items, page.limit, |d| d.id.0))
}

#[derive(Iden)]
enum WebhookAttempts {
    Table,
    Id,
    AccountId,
    DeliveryId,
    At,
    StatusCode,
    LatencyMs,
    Error,
    Response,
}

/// What a try records (besides its id and the delivery's), in the order `DeliveryAttempt` reads.
const ATTEMPT_FIELDS: [WebhookAttempts; 5] = [
    WebhookAttempts::At,
    WebhookAttempts::StatusCode,
    WebhookAttempts::LatencyMs,
    WebhookAttempts::Error,
    WebhookAttempts::Response,
];

/// Records tries of deliveries, in one statement.
pub async fn insert_attempts(db: &mut impl Exec, attempts: &[(AccountId, DeliveryId, &DeliveryAttempt)]) -> Result<()> {
    if attempts.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table(WebhookAttempts::Table).columns(
        [
            WebhookAttempts::Id,
            WebhookAttempts::AccountId,
            WebhookAttempts::DeliveryId,
        ]
        .into_iter()
        .chain(ATTEMPT_FIELDS),
    );
    for (account, delivery, a) in attempts {
        stmt.values_panic([
            Uuid::now_v7().into(),
            account.0.into(),
            delivery.0.into(),
            a.at.micros().into(),
            a.status_code.into(),
            a.latency_ms.into(),
            a.error.clone().into(),
            a.response.clone().into(),
        ]);
    }
    execute(db, &stmt).await?;
    Ok(())
}

async fn attempts_of(db: &mut impl Exec, ids: &[DeliveryId]) -> Result<HashMap<DeliveryId, Vec<DeliveryAttempt>>> {
    let mut map: HashMap<DeliveryId, Vec<DeliveryAttempt>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let stmt = Query::select()
        .columns(std::iter::once(WebhookAttempts::DeliveryId).chain(ATTEMPT_FIELDS))
        .from(WebhookAttempts::Table)
        .and_where(Expr::col(WebhookAttempts::DeliveryId).is_in(ids.iter().map(|d| d.0)))
        .order_by(WebhookAttempts::Id, Order::Asc)
        .to_owned();
    type Row = (Uuid, i64, Option<i64>, i64, Option<String>, Option<String>);
    let rows: Vec<Row> = fetch_all(db, &stmt).await?;
    for (delivery, at, status_code, latency_ms, error, response) in rows {
        map.entry(DeliveryId(delivery)).or_default().push(DeliveryAttempt {
            at: Timestamp::from_micros(at),
            status_code,
            latency_ms,
            error,
            response,
        });
    }
    Ok(map)
}
