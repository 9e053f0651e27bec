//! Digisac's webhooks (`/me/webhooks`) and the body they deliver:
//! `{"event": "message.created", "data": <Digisac message object>}`.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::routing::get;
use balcao_core::{Webhook, WebhookId};
use balcao_service::{EventFormat, ListParams, WebhookInput};
use serde_json::{Value, json};
use uuid::Uuid;

use super::body::Body;
use super::directory::paged;
use super::fields::{PathUuid, boolean, text};
use super::{Caller, DigisacError, views};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/me/webhooks"),
    (Method::POST, "/api/v1/me/webhooks"),
    (Method::GET, "/api/v1/me/webhooks/{p0}"),
    (Method::PUT, "/api/v1/me/webhooks/{p0}"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/webhooks", get(list).post(create))
        .route("/api/v1/me/webhooks/{p0}", get(one).put(update).delete(remove))
}

/// Digisac's event names and the Balcão events behind each.
const EVENTS: &[(&str, &[&str])] = &[
    ("message.created", &["message.created"]),
    ("message.updated", &["message.updated"]),
    ("contact.created", &["contact.created"]),
    ("contact.updated", &["contact.updated"]),
    ("contact.deleted", &["contact.deleted"]),
    ("ticket.created", &["ticket.opened"]),
    (
        "ticket.updated",
        &[
            "ticket.updated",
            "ticket.transferred",
            "ticket.assigned",
            "ticket.reopened",
        ],
    ),
    ("ticket.closed", &["ticket.closed"]),
];

/// Digisac's name for a Balcão event.
fn digisac_event(name: &str) -> Option<&'static str> {
    EVENTS
        .iter()
        .find(|(_, ours)| ours.contains(&name))
        .map(|(theirs, _)| *theirs)
}

/// The delivery body of Digisac-format subscriptions.
pub struct DigisacFormat;

impl EventFormat for DigisacFormat {
    fn body(
        &self,
        e: &balcao_service::StoredEvent,
        ticket: Option<(Option<balcao_core::DepartmentId>, Option<balcao_core::UserId>)>,
    ) -> Option<String> {
        let event = digisac_event(&e.name)?;
        let empty = balcao_service::ContactRelations::default();
        let data = match e.subject_type.as_str() {
            "message" => views::message(&serde_json::from_value(e.data.clone()).ok()?, ticket),
            "contact" if e.name == "contact.deleted" => e.data.clone(),
            "contact" => views::contact(&serde_json::from_value(e.data.clone()).ok()?, &[], &empty),
            "ticket" => views::ticket(&serde_json::from_value(e.data.clone()).ok()?),
            _ => return None,
        };
        Some(json!({"event": event, "data": data}).to_string())
    }
}

fn webhook(w: &Webhook) -> Value {
    let events: Vec<&str> = EVENTS
        .iter()
        .filter(|(_, ours)| ours.iter().all(|o| w.wants(o)))
        .map(|(theirs, _)| *theirs)
        .collect();
    json!({
        "id": w.id, "name": w.name, "url": w.url, "active": w.active, "events": events, "type": "general",
        "accountId": w.account_id, "createdAt": w.created_at, "updatedAt": w.updated_at,
    })
}

/// Digisac event names as Balcão's; an unknown one is refused by name.
fn events(body: &Value) -> Result<Option<Vec<String>>, DigisacError> {
    let Some(list) = body.get("events").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for e in list {
        let name = e.as_str().unwrap_or_default();
        let (_, ours) = EVENTS
            .iter()
            .find(|(theirs, _)| *theirs == name)
            .ok_or_else(|| DigisacError::bad_request(format!("event `{name}` is not delivered by Balcão")))?;
        out.extend(ours.iter().map(|o| (*o).to_owned()));
    }
    Ok(Some(out))
}

/// Only Digisac-format subscriptions show under `/me/webhooks`.
async fn find(state: &AppState, who: &balcao_service::Principal, target: Uuid) -> Result<Webhook, DigisacError> {
    let w = state.service.get_webhook(who, WebhookId(target)).await?;
    if w.format == "digisac" {
        Ok(w)
    } else {
        Err(DigisacError::new(StatusCode::NOT_FOUND, "Not found."))
    }
}

async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let items = super::directory::all(|p: ListParams| state.service.list_webhooks(&who, p)).await?;
    let data = items.iter().filter(|w| w.format == "digisac").map(webhook).collect();
    Ok(axum::Json(paged(data, uri.query())?))
}

async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let input = WebhookInput {
        name: text(&body, "name"),
        url: text(&body, "url"),
        events: events(&body)?,
        active: boolean(&body, "active"),
        headers: Some(BTreeMap::new()),
        format: Some("digisac".into()),
    };
    let (w, _) = state.service.create_webhook(&who, input).await?;
    Ok(axum::Json(webhook(&w)))
}

async fn one(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(webhook(&find(&state, &who, target).await?)))
}

async fn update(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let w = find(&state, &who, target).await?;
    let input = WebhookInput {
        name: text(&body, "name"),
        url: text(&body, "url"),
        events: events(&body)?,
        active: boolean(&body, "active"),
        ..WebhookInput::default()
    };
    Ok(axum::Json(webhook(
        &state.service.update_webhook(&who, w.id, input).await?,
    )))
}

async fn remove(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let w = find(&state, &who, target).await?;
    state.service.delete_webhook(&who, w.id).await?;
    Ok(axum::Json(webhook(&w)))
}
