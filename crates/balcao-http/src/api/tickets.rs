//! `/api/v1/tickets` and `/api/v1/ticket-topics`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{Ticket, TicketEntry, TicketId, TicketTopic, Timestamp};
use balcao_service::{TicketChange, TicketFilter, TicketIncludes, TimelineOf};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::contacts::ContactView;
use super::messages::MessageView;
use super::views::{DepartmentView, UserView};
use super::views::{ListOf, ListQuery, PageQuery, double_option};
use crate::AppState;
use crate::extract::{Auth, JsonBody, OptionalJsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tickets))
        .routes(routes!(get_ticket, update_ticket))
        .routes(routes!(ticket_history))
        .routes(routes!(ticket_messages))
        .routes(routes!(transfer))
        .routes(routes!(assign))
        .routes(routes!(set_priority))
        .routes(routes!(snooze))
        .routes(routes!(close))
        .routes(routes!(reopen))
        .routes(routes!(read))
        .routes(routes!(list_topics, create_topic))
        .routes(routes!(update_topic))
}

#[derive(Serialize, ToSchema)]
struct MetricsView {
    /// Seconds from opening to the first answer of a person of the company.
    waiting_secs: Option<u64>,
    /// Seconds from the first answer to the close.
    handling_secs: Option<u64>,
    /// Seconds from opening to the close.
    total_secs: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct TicketView {
    id: Uuid,
    account_id: Uuid,
    contact_id: Uuid,
    connection_id: Uuid,
    /// Unique in the account, never reused: opening date and sequence.
    protocol: String,
    /// `open`, `pending` (waiting for the customer), `snoozed` or `resolved`.
    status: &'static str,
    /// 0 low, 1 normal, 2 high, 3 urgent.
    priority: i16,
    department_id: Option<Uuid>,
    user_id: Option<Uuid>,
    #[schema(value_type = Option<String>, format = DateTime)]
    snoozed_until: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    started_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    ended_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    first_reply_at: Option<Timestamp>,
    first_message_id: Option<Uuid>,
    last_message_id: Option<Uuid>,
    unread_count: i64,
    /// Closing topics.
    topic_ids: Vec<Uuid>,
    /// Values of ticket custom fields, by field id.
    #[schema(value_type = Object)]
    custom_fields: std::collections::BTreeMap<Uuid, serde_json::Value>,
    metrics: MetricsView,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<Ticket> for TicketView {
    fn from(t: Ticket) -> Self {
        let m = t.metrics();
        TicketView {
            id: t.id.0,
            account_id: t.account_id.0,
            contact_id: t.contact_id.0,
            connection_id: t.connection_id.0,
            protocol: t.protocol,
            status: t.status.as_str(),
            priority: t.priority,
            department_id: t.department_id.map(|d| d.0),
            user_id: t.user_id.map(|u| u.0),
            snoozed_until: t.snoozed_until,
            started_at: t.started_at,
            ended_at: t.ended_at,
            first_reply_at: t.first_reply_at,
            first_message_id: t.first_message_id.map(|m| m.0),
            last_message_id: t.last_message_id.map(|m| m.0),
            unread_count: t.unread_count,
            topic_ids: t.topic_ids,
            custom_fields: t.custom_fields.into_iter().map(|(f, v)| (f.0, v)).collect(),
            metrics: MetricsView {
                waiting_secs: m.waiting_secs,
                handling_secs: m.handling_secs,
                total_secs: m.total_secs,
            },
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct EntryView {
    id: Uuid,
    /// `opened`, `transferred`, `assigned`, `priority_changed`, `snoozed`, `closed`, `reopened`.
    action: &'static str,
    from_department_id: Option<Uuid>,
    to_department_id: Option<Uuid>,
    from_user_id: Option<Uuid>,
    to_user_id: Option<Uuid>,
    /// Who did it; `null` when the system did (an inbound message opening the ticket).
    by_user_id: Option<Uuid>,
    comment: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
}

impl From<TicketEntry> for EntryView {
    fn from(e: TicketEntry) -> Self {
        EntryView {
            id: e.id.0,
            action: e.action.as_str(),
            from_department_id: e.from_department_id.map(|d| d.0),
            to_department_id: e.to_department_id.map(|d| d.0),
            from_user_id: e.from_user_id.map(|u| u.0),
            to_user_id: e.to_user_id.map(|u| u.0),
            by_user_id: e.by_user_id.map(|u| u.0),
            comment: e.comment,
            created_at: e.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct History {
    data: Vec<EntryView>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TicketQuery {
    /// `open`, `pending`, `snoozed` or `resolved`; comma-separated for several.
    status: Option<String>,
    contact_id: Option<Uuid>,
    connection_id: Option<Uuid>,
    department_id: Option<Uuid>,
    user_id: Option<Uuid>,
    /// Only tickets nobody is assigned to.
    unassigned: Option<bool>,
    after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    limit: Option<u32>,
    /// `created` (default), `-created`, `updated_at`, `-updated_at`, `-priority`.
    sort: Option<String>,
    /// `next_cursor` of the previous page (any sort).
    cursor: Option<String>,
    /// Related records to embed, comma-separated: `contact`, `department`, `user`,
    /// `last_message`. However many tickets a page holds, each costs one query.
    include: Option<String>,
}

/// A ticket of a list, with the related records asked for by `include`.
#[derive(Serialize, ToSchema)]
pub struct TicketListItem {
    #[serde(flatten)]
    ticket: TicketView,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<ContactView>,
    /// `null` when the ticket has no department (present only when included).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DepartmentView>)]
    department: Option<Option<DepartmentView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<UserView>)]
    user: Option<Option<UserView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<MessageView>)]
    last_message: Option<Option<MessageView>>,
}

fn includes(raw: Option<&str>) -> Result<TicketIncludes, ApiError> {
    let mut includes = TicketIncludes::default();
    for part in raw
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part {
            "contact" => includes.contact = true,
            "department" => includes.department = true,
            "user" => includes.user = true,
            "last_message" => includes.last_message = true,
            other => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("`include` knows contact, department, user and last_message, not `{other}`"),
                ));
            }
        }
    }
    Ok(includes)
}

/// List tickets.
#[utoipa::path(get, path = "/tickets", tag = "tickets", params(TicketQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<TicketListItem>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_tickets(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<TicketQuery>,
) -> Result<Json<ListOf<TicketListItem>>, ApiError> {
    let includes = includes(q.include.as_deref())?;
    let filter = TicketFilter {
        statuses: q
            .status
            .as_deref()
            .map(|s| {
                s.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        contact_id: q.contact_id,
        connection_id: q.connection_id,
        department_id: q.department_id,
        user_id: q.user_id,
        unassigned: q.unassigned.unwrap_or(false),
        sort: q.sort,
    };
    let params = balcao_service::ListParams {
        after: q.after,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = state.service.list_tickets(&who, filter, params).await?;
    let mut related = state.service.ticket_related(&who, &page.items, includes).await?;
    Ok(Json(ListOf::from_page(page, |t| {
        let contact = includes
            .contact
            .then(|| related.contacts.get(&t.contact_id).cloned().map(ContactView::from))
            .flatten();
        let department = includes.department.then(|| {
            t.department_id
                .and_then(|d| related.departments.get(&d).cloned())
                .map(DepartmentView::from)
        });
        let user = includes.user.then(|| {
            t.user_id
                .and_then(|u| related.users.get(&u).cloned())
                .map(UserView::from)
        });
        let last_message = includes.last_message.then(|| {
            t.last_message_id
                .and_then(|m| related.messages.remove(&m))
                .map(MessageView::from)
        });
        TicketListItem {
            ticket: t.into(),
            contact,
            department,
            user,
            last_message,
        }
    })))
}

/// Get a ticket, with its metrics.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_ticket(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(state.service.get_ticket(&who, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
struct UpdateTicket {
    /// Ticket custom field values: `{"<field id>": value}`; `null` removes one.
    #[schema(value_type = Object)]
    custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Set a ticket's custom field values (state changes have their own actions).
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", params(("id" = Uuid, Path)), request_body = UpdateTicket,
    security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_ticket(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
    JsonBody(b): JsonBody<UpdateTicket>,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(
        state.service.set_ticket_fields(&who, id, b.custom_fields).await?.into(),
    ))
}

/// The ticket's history: opened, transferred (from → to, by whom, comment), assigned, closed,
/// reopened, ...
#[utoipa::path(get, path = "/tickets/{id}/history", tag = "tickets", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = History), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn ticket_history(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
) -> Result<Json<History>, ApiError> {
    let entries = state.service.ticket_history(&who, id).await?;
    Ok(Json(History {
        data: entries.into_iter().map(EntryView::from).collect(),
    }))
}

/// The conversation timeline of the ticket (messages, notes and ticket events), oldest first.
#[utoipa::path(get, path = "/tickets/{id}/messages", tag = "tickets", params(("id" = Uuid, Path), PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = ListOf<MessageView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn ticket_messages(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
    QueryParams(q): QueryParams<PageQuery>,
) -> Result<Json<ListOf<MessageView>>, ApiError> {
    let page = state.service.timeline(&who, TimelineOf::Ticket(id), q.params()).await?;
    Ok(Json(ListOf::from_page(page, MessageView::from)))
}

#[derive(Debug, Deserialize, ToSchema)]
struct TransferBody {
    /// Required.
    department_id: Option<Uuid>,
    user_id: Option<Uuid>,
    comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct AssignBody {
    /// The user to assign; `null` leaves the ticket unassigned.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    user_id: Option<Option<Uuid>>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct PriorityBody {
    /// 0 low, 1 normal, 2 high, 3 urgent.
    priority: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct SnoozeBody {
    /// RFC 3339 date-time in the future; the ticket wakes when the customer writes.
    until: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
struct CloseBody {
    topic_ids: Option<Vec<Uuid>>,
    comment: Option<String>,
}

async fn change(
    state: &AppState,
    who: &balcao_service::Principal,
    id: TicketId,
    change: TicketChange,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(state.service.change_ticket(who, id, change).await?.into()))
}

/// Transfer an open ticket to a department (and optionally a user). Not open: 409.
#[utoipa::path(post, path = "/tickets/{id}/transfer", tag = "tickets", params(("id" = Uuid, Path)), request_body = TransferBody,
    security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn transfer(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
    JsonBody(b): JsonBody<TransferBody>,
) -> Result<Json<TicketView>, ApiError> {
    let c = TicketChange::Transfer {
        department_id: b.department_id,
        user_id: b.user_id,
        comment: b.comment,
    };
    change(&state, &who, id, c).await
}

/// Assign an open ticket to a user, or unassign it.
#[utoipa::path(post, path = "/tickets/{id}/assign", tag = "tickets", params(("id" = Uuid, Path)), request_body = AssignBody,
    security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn assign(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
    JsonBody(b): JsonBody<AssignBody>,
) -> Result<Json<TicketView>, ApiError> {
    change(
        &state,
        &who,
        id,
        TicketChange::Assign {
            user_id: b.user_id.flatten(),
        },
    )
    .await
}

/// Set an open ticket's priority.
#[utoipa::path(post, path = "/tickets/{id}/priority", tag = "tickets", params(("id" = Uuid, Path)), request_body = PriorityBody,
    security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_priority(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
    JsonBody(b): JsonBody<PriorityBody>,
) -> Result<Json<TicketView>, ApiError> {
    change(&state, &who, id, TicketChange::Priority { priority: b.priority }).await
}

/// Snooze an open ticket until a time.
#[utoipa::path(post, path = "/tickets/{id}/snooze", tag = "tickets", params(("id" = Uuid, Path)), request_body = SnoozeBody,
    security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn snooze(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
    JsonBody(b): JsonBody<SnoozeBody>,
) -> Result<Json<TicketView>, ApiError> {
    let until = match b.until.as_deref() {
        None => None,
        Some(raw) => Some(Timestamp::parse_rfc3339(raw).ok_or_else(|| {
            ApiError::validation(vec![balcao_core::FieldError {
                field: "until".into(),
                code: "invalid",
                message: "`until` must be an RFC 3339 date-time".into(),
            }])
        })?),
    };
    change(&state, &who, id, TicketChange::Snooze { until }).await
}

/// Close (resolve) an open ticket, optionally under topics. Not open: 409.
#[utoipa::path(post, path = "/tickets/{id}/close", tag = "tickets", params(("id" = Uuid, Path)), request_body = CloseBody,
    security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn close(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
    OptionalJsonBody(b): OptionalJsonBody<CloseBody>,
) -> Result<Json<TicketView>, ApiError> {
    let c = TicketChange::Close {
        topic_ids: b.topic_ids.unwrap_or_default(),
        comment: b.comment,
    };
    change(&state, &who, id, c).await
}

/// Mark the conversation read: the ticket's and the contact's unread counts drop to zero, and
/// on WhatsApp the contact sees its newest message read (sent in the background).
#[utoipa::path(post, path = "/tickets/{id}/read", tag = "tickets", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn read(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
) -> Result<Json<TicketView>, ApiError> {
    Ok(Json(state.service.read_ticket(&who, id).await?.into()))
}

/// Reopen a resolved ticket (409 when the contact already has another open ticket there).
#[utoipa::path(post, path = "/tickets/{id}/reopen", tag = "tickets", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = TicketView),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn reopen(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TicketId>,
) -> Result<Json<TicketView>, ApiError> {
    change(&state, &who, id, TicketChange::Reopen).await
}

#[derive(Serialize, ToSchema)]
struct TopicView {
    id: Uuid,
    name: String,
    archived: bool,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<TicketTopic> for TopicView {
    fn from(t: TicketTopic) -> Self {
        TopicView {
            id: t.id,
            name: t.name,
            archived: t.archived_at.is_some(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct TopicBody {
    name: Option<String>,
    /// Archived topics are not offered at close.
    archived: Option<bool>,
}

/// List ticket topics (closing subjects).
#[utoipa::path(get, path = "/ticket-topics", tag = "tickets", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<TopicView>)))]
async fn list_topics(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListOf<TopicView>>, ApiError> {
    let page = state.service.list_topics(&who, q.archived(), q.params()).await?;
    Ok(Json(ListOf::from_page(page, TopicView::from)))
}

/// Create a ticket topic (admins).
#[utoipa::path(post, path = "/ticket-topics", tag = "tickets", request_body = TopicBody, security(("bearer" = [])),
    responses((status = 201, body = TopicView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_topic(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<TopicBody>,
) -> Result<(StatusCode, Json<TopicView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_topic(&who, b.name).await?.into()),
    ))
}

/// Rename or archive a ticket topic (admins).
#[utoipa::path(patch, path = "/ticket-topics/{id}", tag = "tickets", params(("id" = Uuid, Path)), request_body = TopicBody,
    security(("bearer" = [])),
    responses((status = 200, body = TopicView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn update_topic(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<Uuid>,
    JsonBody(b): JsonBody<TopicBody>,
) -> Result<Json<TopicView>, ApiError> {
    Ok(Json(
        state.service.update_topic(&who, id, b.name, b.archived).await?.into(),
    ))
}
