//! Channel webhooks: where channels deliver what customers send and how the company's
//! messages fared. Each connection has its own URL; the channel proves itself with the
//! connection's secret (WhatsApp: the app secret's signature over the raw body), so these
//! routes take no bearer token.
//!
//! A notification is stored — committed — before the channel gets its 200: a crash after the
//! answer loses nothing, and a channel that redelivers finds every message already stored once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use balcao_core::{ConnectionId, ConnectionType};
use balcao_service::ServiceError;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::problem::ApiError;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/webhooks/whatsapp/{connection_id}",
        get(whatsapp_verify).post(whatsapp_notification),
    )
}

#[derive(Deserialize)]
struct Verification {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

fn forbidden() -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "verification_failed",
        "the verify token does not match this connection's",
    )
    .into_response()
}

/// Meta's subscription handshake: the challenge comes back when `hub.verify_token` is the
/// connection's `verify_token`; 403 otherwise (also for an unknown connection).
async fn whatsapp_verify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Verification>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return forbidden();
    };
    let connection = match state
        .service
        .webhook_connection(ConnectionId(id), ConnectionType::WhatsappCloud)
        .await
    {
        Ok(c) => c,
        Err(ServiceError::NotFound(_)) => return forbidden(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let verified =
        balcao_service::whatsapp_subscription(&connection, q.mode.as_deref(), q.verify_token.as_deref(), q.challenge);
    match verified {
        Some(challenge) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response(),
        None => forbidden(),
    }
}

fn unsigned() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
        "X-Hub-Signature-256 is missing or is not this connection's app secret's signature of the body",
    )
    .into_response()
}

/// A notification: 401 and nothing stored unless `X-Hub-Signature-256` is the HMAC-SHA256 of
/// the raw body under the connection's `app_secret`; 200 once every message and report in it
/// is committed.
async fn whatsapp_notification(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return unsigned();
    };
    let connection = match state
        .service
        .webhook_connection(ConnectionId(id), ConnectionType::WhatsappCloud)
        .await
    {
        Ok(c) => c,
        Err(ServiceError::NotFound(_)) => return unsigned(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    let batch = match balcao_service::whatsapp_notification(&connection, &body, signature) {
        Ok(Some(batch)) => batch,
        Ok(None) => return unsigned(),
        Err(e) => return ApiError::bad_request("invalid_notification", e.to_string()).into_response(),
    };
    match state.service.ingest(&connection, batch).await {
        Ok(report) => {
            tracing::debug!(connection = %connection.id, ?report, "whatsapp notification stored");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"received":true}"#,
            )
                .into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
