//! `/api/v1/messages` and contacts' timelines.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{ContactId, Message, MessageId, Timestamp};
use balcao_service::{FileInput, NewMessage, StatusReport, TimelineOf};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ListOf, PageQuery};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    // Messages may carry a file inline as base64 (a third larger than the file).
    let inline_limit = usize::try_from(balcao_service::MEDIA_MAX / 3 * 4)
        .unwrap_or(usize::MAX)
        .saturating_add(1024 * 1024);
    OpenApiRouter::new()
        .routes(routes!(create_message))
        .layer(axum::extract::DefaultBodyLimit::max(inline_limit))
        .routes(routes!(get_message, edit_message, revoke_message))
        .routes(routes!(react))
        .routes(routes!(report_status))
        .routes(routes!(contact_messages))
        .routes(routes!(search_messages))
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    id: Uuid,
    account_id: Uuid,
    connection_id: Uuid,
    contact_id: Uuid,
    ticket_id: Option<Uuid>,
    /// `inbound` (from the contact) or `outbound`.
    direction: &'static str,
    /// `text`, `note`, `image`, `audio`, `video`, `document`, `sticker`, `location`, `contacts`,
    /// `template`, `interactive`, `reaction`, `ticket_event`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// `contact`, `user`, `bot`, `system` or `campaign`.
    origin: &'static str,
    /// The company user who wrote it.
    user_id: Option<Uuid>,
    text: Option<String>,
    #[schema(value_type = Option<Object>)]
    payload: Option<serde_json::Value>,
    quoted_message_id: Option<Uuid>,
    /// The file of media messages (`GET /api/v1/media/{id}/content`).
    media_id: Option<Uuid>,
    /// `queued`, `sent`, `delivered`, `read`, `failed`; `null` for notes and ticket events.
    status: Option<&'static str>,
    error_code: Option<String>,
    error_text: Option<String>,
    external_id: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    edited_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    revoked_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        MessageView {
            id: m.id.0,
            account_id: m.account_id.0,
            connection_id: m.connection_id.0,
            contact_id: m.contact_id.0,
            ticket_id: m.ticket_id.map(|t| t.0),
            direction: m.direction.as_str(),
            kind: m.kind.as_str(),
            origin: m.origin.as_str(),
            user_id: m.user_id.map(|u| u.0),
            text: m.text,
            payload: m.payload,
            quoted_message_id: m.quoted_message_id.map(|q| q.0),
            media_id: m.media_id.map(|q| q.0),
            status: m.status.map(|s| s.as_str()),
            error_code: m.error_code,
            error_text: m.error_text,
            external_id: m.external_id,
            edited_at: m.edited_at,
            revoked_at: m.revoked_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// `true`, `false`, `"true"` or `"false"` (some clients send the flag as a string).
fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    match Option::<Flag>::deserialize(deserializer)? {
        None => Ok(false),
        Some(Flag::Bool(b)) => Ok(b),
        Some(Flag::Text(t)) => match t.trim() {
            "true" | "1" => Ok(true),
            "false" | "0" | "" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "expected true or false, got `{other}`"
            ))),
        },
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateMessage {
    /// Required.
    contact_id: Option<Uuid>,
    /// `text` (default), `note` (internal, never sent), `location`, `contacts`, `template`,
    /// `interactive`, `reaction`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Required for `text` and `note`; up to 4096 characters.
    text: Option<String>,
    /// Content of the other types (an object).
    #[schema(value_type = Option<Object>)]
    payload: Option<serde_json::Value>,
    /// `outbound` (default) or `inbound` (admins: feeding messages received elsewhere).
    direction: Option<String>,
    /// `user` (default), `bot`, `campaign` or `system`.
    origin: Option<String>,
    /// The channel's id of the message; unique per connection.
    external_id: Option<String>,
    quoted_message_id: Option<Uuid>,
    /// The file of an `image`, `audio`, `video`, `document` or `sticker` message, uploaded
    /// before with `POST /api/v1/media`...
    media_id: Option<Uuid>,
    /// ...or sent inline.
    file: Option<InlineFile>,
    /// Do not open a ticket when the contact has none (also accepted as a string).
    #[serde(default, deserialize_with = "lenient_bool")]
    #[schema(value_type = Option<bool>)]
    dont_open_ticket: bool,
}

/// A file sent inline with a message.
#[derive(Debug, Deserialize, ToSchema)]
struct InlineFile {
    /// The content in base64 (a `data:…;base64,` prefix is accepted).
    base64: Option<String>,
    /// Also accepted as `mimetype`.
    #[serde(alias = "mimetype")]
    mime_type: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct StatusBody {
    /// `queued`, `sent`, `delivered`, `read` or `failed`.
    status: Option<String>,
    error_code: Option<String>,
    error_text: Option<String>,
}

/// Send a message to a contact (or write an internal note). An outbound message opens a
/// ticket unless `dont_open_ticket`; an inbound one opens a ticket in the connection's default
/// department; a blocked contact answers 409.
#[utoipa::path(post, path = "/messages", tag = "messages", request_body = CreateMessage, security(("bearer" = [])),
    responses((status = 201, body = MessageView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_message(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<CreateMessage>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let input = NewMessage {
        contact_id: b.contact_id,
        kind: b.kind,
        text: b.text,
        payload: b.payload,
        direction: b.direction,
        origin: b.origin,
        external_id: b.external_id,
        quoted_message_id: b.quoted_message_id,
        dont_open_ticket: b.dont_open_ticket,
        media_id: b.media_id,
        file: b.file.map(|f| FileInput {
            base64: f.base64,
            mime_type: f.mime_type,
            name: f.name,
        }),
    };
    let message = state.service.create_message(&who, input).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

/// Get a message.
#[utoipa::path(get, path = "/messages/{id}", tag = "messages", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = MessageView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_message(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<MessageId>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(state.service.get_message(&who, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
struct EditBody {
    /// The new text.
    text: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct ReactionBody {
    /// One emoji; empty takes the reaction back.
    emoji: Option<String>,
}

/// Edit the text of your own text message or note.
#[utoipa::path(patch, path = "/messages/{id}", tag = "messages", params(("id" = Uuid, Path)), request_body = EditBody,
    security(("bearer" = [])),
    responses((status = 200, body = MessageView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn edit_message(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<MessageId>,
    JsonBody(b): JsonBody<EditBody>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(state.service.edit_message(&who, id, b.text).await?.into()))
}

/// Revoke (delete for everyone) a message of the company: its author or an admin. The message
/// stays in the timeline, marked `revoked_at`.
#[utoipa::path(delete, path = "/messages/{id}", tag = "messages", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = MessageView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn revoke_message(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<MessageId>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(state.service.revoke_message(&who, id).await?.into()))
}

/// React to a message with an emoji (empty takes it back); answers the reaction message.
#[utoipa::path(post, path = "/messages/{id}/reactions", tag = "messages", params(("id" = Uuid, Path)), request_body = ReactionBody,
    security(("bearer" = [])),
    responses((status = 201, body = MessageView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn react(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<MessageId>,
    JsonBody(b): JsonBody<ReactionBody>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.react_to_message(&who, id, b.emoji).await?.into()),
    ))
}

/// Report a message's delivery (admins). The status never moves backwards: such a report
/// answers 409 `status_regression`.
#[utoipa::path(post, path = "/messages/{id}/status", tag = "messages", params(("id" = Uuid, Path)), request_body = StatusBody,
    security(("bearer" = [])),
    responses((status = 200, body = MessageView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn report_status(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<MessageId>,
    JsonBody(b): JsonBody<StatusBody>,
) -> Result<Json<MessageView>, ApiError> {
    let report = StatusReport {
        status: b.status,
        error_code: b.error_code,
        error_text: b.error_text,
    };
    Ok(Json(
        state.service.report_message_status(&who, id, report).await?.into(),
    ))
}

/// A contact's whole timeline across tickets, oldest first.
#[utoipa::path(get, path = "/contacts/{id}/messages", tag = "contacts", params(("id" = Uuid, Path), PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ListOf<MessageView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn contact_messages(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
    QueryParams(q): QueryParams<PageQuery>,
) -> Result<Json<ListOf<MessageView>>, ApiError> {
    let page = state
        .service
        .timeline(&who, TimelineOf::Contact(id), q.params())
        .await?;
    Ok(Json(ListOf::from_page(page, MessageView::from)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// The words to find: a message is found when it holds every one of them as a whole word,
    /// whatever the case and accents (`nao` finds "Não"). Letters and digits make words;
    /// anything else separates them. At most 16 words.
    q: Option<String>,
    /// Id of the last message of the previous page.
    after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    limit: Option<u32>,
}

/// A message found by its words, with its ticket and contact.
#[derive(Serialize, ToSchema)]
pub struct MessageHit {
    #[serde(flatten)]
    message: MessageView,
    /// The ticket the message belongs to (`null` for messages outside tickets).
    ticket: Option<super::tickets::TicketView>,
    contact: Option<super::contacts::ContactView>,
}

/// Search conversations by the words of their messages: the messages holding every word of
/// `q`, newest first, each with its ticket and contact. Notes and media captions are found too;
/// revoked messages are not.
#[utoipa::path(get, path = "/messages/search", tag = "messages", params(SearchQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<MessageHit>),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn search_messages(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<SearchQuery>,
) -> Result<Json<ListOf<MessageHit>>, ApiError> {
    let params = balcao_service::ListParams {
        after: q.after,
        cursor: None,
        limit: q.limit,
    };
    let hits = state.service.search_messages(&who, q.q.as_deref(), params).await?;
    Ok(Json(ListOf::from_page(hits.page, |m| MessageHit {
        ticket: m.ticket_id.and_then(|t| hits.tickets.get(&t).cloned()).map(Into::into),
        contact: hits.contacts.get(&m.contact_id).cloned().map(Into::into),
        message: m.into(),
    })))
}
