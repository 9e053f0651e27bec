//! `/api/v1/webhooks`: subscriptions of a company's systems to Balcão's events, their
//! deliveries and tries.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{Delivery, DeliveryAttempt, DeliveryId, Timestamp, Webhook, WebhookId};
use balcao_service::WebhookInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ListOf, ListQuery};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, PathIds, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(ping))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(redeliver))
}

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    id: Uuid,
    account_id: Uuid,
    name: String,
    url: String,
    /// Event names, or `["*"]` for every event.
    events: Vec<String>,
    /// Extra headers sent with every delivery.
    headers: BTreeMap<String, String>,
    active: bool,
    /// Why Balcão disabled it (after failing too long), if it did.
    disabled_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    failing_since: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    last_success_at: Option<Timestamp>,
    /// The signing secret: only in the answers of creation and rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl WebhookView {
    fn new(w: Webhook, secret: Option<String>) -> Self {
        WebhookView {
            id: w.id.0,
            account_id: w.account_id.0,
            name: w.name,
            url: w.url,
            events: w.events,
            headers: w.headers,
            active: w.active,
            disabled_reason: w.disabled_reason,
            failing_since: w.failing_since,
            last_success_at: w.last_success_at,
            secret,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct AttemptView {
    #[schema(value_type = String, format = DateTime)]
    at: Timestamp,
    /// The receiver's HTTP status; null when no answer came.
    status_code: Option<i64>,
    latency_ms: i64,
    /// Why no answer came (refused, timed out, connection failed).
    error: Option<String>,
    /// The first 2 KiB of the answer's body.
    response: Option<String>,
}

impl From<DeliveryAttempt> for AttemptView {
    fn from(a: DeliveryAttempt) -> Self {
        AttemptView {
            at: a.at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            response: a.response,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct DeliveryView {
    /// Sent as `X-Balcao-Delivery`, the same on every try.
    id: Uuid,
    webhook_id: Uuid,
    event_id: Uuid,
    event: String,
    /// `pending`, `delivered` or `dead` (given up after the retry period).
    status: &'static str,
    attempts: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    next_attempt_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    delivered_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    /// The body sent.
    #[schema(value_type = Object)]
    body: serde_json::Value,
    /// Its tries, oldest first.
    attempt_log: Vec<AttemptView>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            id: d.id.0,
            webhook_id: d.webhook_id.0,
            event_id: d.event_id.0,
            event: d.event,
            status: d.status.as_str(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            expires_at: d.expires_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
            body: serde_json::from_str(&d.body).unwrap_or(serde_json::Value::Null),
            attempt_log: d.attempt_log.into_iter().map(AttemptView::from).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct WebhookBody {
    /// Default `webhook`.
    name: Option<String>,
    /// Required on creation: an `http` or `https` URL outside the denied networks.
    url: Option<String>,
    /// Required on creation: event names, or `["*"]` for every event.
    events: Option<Vec<String>>,
    /// Default true. Setting it true again re-enables a disabled subscription.
    active: Option<bool>,
    /// Extra headers sent with every delivery (not `X-Balcao-*`, `Host`, `Content-Type`, ...).
    headers: Option<BTreeMap<String, String>>,
}

impl From<WebhookBody> for WebhookInput {
    fn from(b: WebhookBody) -> Self {
        WebhookInput {
            name: b.name,
            url: b.url,
            events: b.events,
            active: b.active,
            headers: b.headers,
            format: None,
        }
    }
}

/// List webhook subscriptions (admins).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<WebhookView>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_webhooks(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListOf<WebhookView>>, ApiError> {
    let page = state.service.list_webhooks(&who, q.params()).await?;
    Ok(Json(ListOf::from_page(page, |w| WebhookView::new(w, None))))
}

/// Subscribe to events (admins). The answer carries the signing `secret`, shown this once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookBody, security(("bearer" = [])),
    responses((status = 201, body = WebhookView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_webhook(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<WebhookBody>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let (w, secret) = state.service.create_webhook(&who, b.into()).await?;
    Ok((StatusCode::CREATED, Json(WebhookView::new(w, Some(secret)))))
}

/// Get a webhook subscription (admins).
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = WebhookView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_webhook(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<WebhookId>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(WebhookView::new(state.service.get_webhook(&who, id).await?, None)))
}

/// Change a webhook subscription (admins); `active: true` re-enables a disabled one.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), request_body = WebhookBody,
    security(("bearer" = [])),
    responses((status = 200, body = WebhookView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_webhook(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<WebhookId>,
    JsonBody(b): JsonBody<WebhookBody>,
) -> Result<Json<WebhookView>, ApiError> {
    Ok(Json(WebhookView::new(
        state.service.update_webhook(&who, id, b.into()).await?,
        None,
    )))
}

/// Delete a webhook subscription and its delivery log (admins).
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_webhook(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<WebhookId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_webhook(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the signing secret (admins); the answer carries the new one, shown this once.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = WebhookView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn rotate_secret(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<WebhookId>,
) -> Result<Json<WebhookView>, ApiError> {
    let (w, secret) = state.service.rotate_webhook_secret(&who, id).await?;
    Ok(Json(WebhookView::new(w, Some(secret))))
}

/// Send a `webhook.ping` now and answer how the receiver took it (not retried).
#[utoipa::path(post, path = "/webhooks/{id}/ping", tag = "webhooks", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = DeliveryView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn ping(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<WebhookId>,
) -> Result<Json<DeliveryView>, ApiError> {
    Ok(Json(state.service.ping_webhook(&who, id).await?.into()))
}

/// A subscription's deliveries, newest first, each with its tries (the delivery log).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = Uuid, Path), ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ListOf<DeliveryView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_deliveries(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<WebhookId>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListOf<DeliveryView>>, ApiError> {
    let page = state.service.webhook_deliveries(&who, id, q.params()).await?;
    Ok(Json(ListOf::from_page(page, DeliveryView::from)))
}

/// One delivery with its tries.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries/{delivery_id}", tag = "webhooks",
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = DeliveryView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_delivery(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathIds(id, delivery): PathIds<WebhookId, DeliveryId>,
) -> Result<Json<DeliveryView>, ApiError> {
    Ok(Json(state.service.get_delivery(&who, id, delivery).await?.into()))
}

/// Deliver again (same `X-Balcao-Delivery`), now, with a fresh retry period.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = DeliveryView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn redeliver(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathIds(id, delivery): PathIds<WebhookId, DeliveryId>,
) -> Result<Json<DeliveryView>, ApiError> {
    Ok(Json(state.service.redeliver(&who, id, delivery).await?.into()))
}
