//! Digisac's message routes: list, read, send, react, edit.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::{get, post};
use balcao_core::message::MessageField as F;
use balcao_core::query::FieldKind as K;
use balcao_core::{ConnectionId, ContactId, MessageId, TicketId};
use balcao_service::{FileInput, NewMessage, Principal};
use serde_json::{Value, json};

use super::body::Body;
use super::fields::{PathUuid, boolean, id, text};
use super::query::{Model, parse_list};
use super::{Caller, DigisacError, listed, views};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/messages"),
    (Method::POST, "/api/v1/messages"),
    (Method::GET, "/api/v1/messages/{p0}"),
    (Method::POST, "/api/v1/messages/{p0}/send-reaction"),
    (Method::PATCH, "/api/v1/messages/messageId"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/messages", get(list).post(send))
        .route("/api/v1/messages/{p0}", get(one).patch(edit))
        .route("/api/v1/messages/{p0}/send-reaction", post(react))
}

/// `type` and `isFromMe` hold Digisac's words; Balcão keeps its own.
fn rewrite(field: &str, v: &Value) -> Option<(&'static str, Value)> {
    fn map(v: &Value, f: &dyn Fn(&str) -> Option<String>) -> Value {
        match v {
            Value::String(s) => f(s).map_or_else(|| Value::String(format!("unknown:{s}")), Value::String),
            Value::Array(items) => Value::Array(items.iter().map(|i| map(i, f)).collect()),
            Value::Object(ops) => Value::Object(ops.iter().map(|(k, i)| (k.clone(), map(i, f))).collect()),
            other => other.clone(),
        }
    }
    match field {
        "type" => Some(("_type", map(v, &|s| views::balcao_type(s).map(str::to_owned)))),
        "isFromMe" => {
            let direction = |b: bool| if b { "outbound" } else { "inbound" };
            let mapped = match v {
                Value::Bool(b) => json!(direction(*b)),
                Value::String(s) if s == "true" || s == "false" => json!(direction(s == "true")),
                Value::Object(ops) => Value::Object(
                    ops.iter()
                        .map(|(k, i)| {
                            let b = i.as_bool().or(i.as_str().map(|s| s == "true")).unwrap_or(false);
                            (k.clone(), json!(direction(b)))
                        })
                        .collect(),
                ),
                other => other.clone(),
            };
            Some(("_direction", mapped))
        }
        _ => None,
    }
}

pub static MODEL: Model<F> = Model {
    name: "message",
    fields: &[
        ("id", F::Id, K::Id),
        ("contactId", F::ContactId, K::Id),
        ("ticketId", F::TicketId, K::Id),
        ("serviceId", F::ConnectionId, K::Id),
        ("userId", F::UserId, K::Id),
        ("text", F::Text, K::Text),
        ("quotedMessageId", F::QuotedMessageId, K::Id),
        ("timestamp", F::CreatedAt, K::Time),
        ("createdAt", F::CreatedAt, K::Time),
        ("updatedAt", F::UpdatedAt, K::Time),
        ("_type", F::Kind, K::Text),
        ("_direction", F::Direction, K::Text),
    ],
    includes: &[("file", None), ("files", None)],
    period_field: Some(F::CreatedAt),
    constants: &[
        ("accountId", super::query::Constant::Account),
        ("visible", super::query::Constant::Bool(true)),
    ],
    rewrite,
    nested: &[],
    related_order: &[],
};

/// One message as Digisac shows it.
async fn render_one(
    state: &AppState,
    who: &Principal,
    m: &balcao_core::Message,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(
        render(state, who, std::slice::from_ref(m))
            .await?
            .pop()
            .unwrap_or(Value::Null),
    ))
}

async fn render(state: &AppState, who: &Principal, list: &[balcao_core::Message]) -> Result<Vec<Value>, DigisacError> {
    let ids: Vec<TicketId> = list.iter().filter_map(|m| m.ticket_id).collect();
    let routing = state.service.ticket_routing(who, &ids).await?;
    Ok(list
        .iter()
        .map(|m| views::message(m, m.ticket_id.and_then(|t| routing.get(&t).copied())))
        .collect())
}

async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let spec = parse_list(&MODEL, uri.query(), who.account_id.0)?;
    let (messages, total) = state.service.query_messages(&who, &spec.query).await?;
    let data = render(&state, &who, &messages).await?;
    Ok(axum::Json(listed(&spec, data, total)))
}

async fn one(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let m = state.service.get_message(&who, MessageId(target)).await?;
    render_one(&state, &who, &m).await
}

/// The media type of a file by its MIME type.
fn media_type(mime: &str) -> &'static str {
    match mime.split('/').next().unwrap_or_default() {
        "image" if mime == "image/webp" => "sticker",
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        _ => "document",
    }
}

/// `POST /messages`: to `contactId`, or to `number` on `serviceId` (the contact is created when
/// new). `type: chat` goes to the contact, `comment` is an internal note; `file{base64,
/// mimetype, name}` sends a file; `hsmId` + `parameters` a WhatsApp template.
async fn send(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let contact = match id(&body, "contactId")? {
        Some(c) => ContactId(c),
        None => {
            let (Some(number), Some(service)) = (text(&body, "number"), id(&body, "serviceId")?) else {
                return Err(DigisacError::bad_request(
                    "send to `contactId`, or to `number` with `serviceId`",
                ));
            };
            state
                .service
                .contact_for_number(&who, ConnectionId(service), &number)
                .await?
                .id
        }
    };
    let digisac_type = text(&body, "type").unwrap_or_else(|| "chat".into());
    let file = body.get("file").filter(|f| f.is_object()).map(|f| FileInput {
        base64: text(f, "base64"),
        mime_type: text(f, "mimetype").or_else(|| text(f, "mimeType")),
        name: text(f, "name"),
    });
    let (kind, payload) = if let Some(template) = id(&body, "hsmId")? {
        let parameters: Vec<Value> = match &body["parameters"] {
            Value::Array(items) => items
                .iter()
                .map(|p| p.get("text").cloned().unwrap_or_else(|| p.clone()))
                .collect(),
            _ => Vec::new(),
        };
        (
            "template".to_owned(),
            Some(json!({"template_id": template, "parameters": {"body": parameters}})),
        )
    } else if let Some(f) = &file {
        (media_type(f.mime_type.as_deref().unwrap_or_default()).to_owned(), None)
    } else {
        let kind = views::balcao_type(&digisac_type)
            .ok_or_else(|| DigisacError::bad_request(format!("`type` `{digisac_type}` cannot be sent")))?;
        (kind.to_owned(), None)
    };
    let dont_open = boolean(&body, "dontOpenTicket")
        .or_else(|| boolean(&body, "dontOpenticket"))
        .unwrap_or(false);
    let input = NewMessage {
        contact_id: Some(contact.0),
        kind: Some(kind),
        text: text(&body, "text"),
        payload,
        origin: text(&body, "origin").filter(|o| o == "bot" || o == "user"),
        quoted_message_id: id(&body, "quotedMessageId")?,
        dont_open_ticket: dont_open,
        file,
        ..NewMessage::default()
    };
    let m = state.service.create_message(&who, input).await?;
    render_one(&state, &who, &m).await
}

/// `POST /messages/{id}/send-reaction` with `reactionEmojiRendered` (empty takes it back).
async fn react(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let emoji = text(&body, "reactionEmojiRendered").or_else(|| text(&body, "reaction"));
    let m = state.service.react_to_message(&who, MessageId(target), emoji).await?;
    render_one(&state, &who, &m).await
}

/// `PATCH /messages/{id}` with `text`: edits one's own text message or note.
async fn edit(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let m = state
        .service
        .edit_message(&who, MessageId(target), text(&body, "text"))
        .await?;
    render_one(&state, &who, &m).await
}
