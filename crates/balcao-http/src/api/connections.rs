//! `/api/v1/connections`: the company's channel accounts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{Connection, ConnectionId};
use balcao_service::{ConnectionPatch, NewConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ArchivedParam, ListOf, ListQuery, double_option};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(get_connection, update_connection))
        .routes(routes!(archive_connection))
        .routes(routes!(unarchive_connection))
        .routes(routes!(start_connection))
        .routes(routes!(stop_connection))
        .routes(routes!(restart_connection))
}

#[derive(Serialize, ToSchema)]
pub struct ConnectionView {
    id: Uuid,
    account_id: Uuid,
    /// `whatsapp_cloud`, `telegram`, `webchat` or `email`.
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    default_department_id: Option<Uuid>,
    /// `pending`, `connected`, `disconnected` or `error`.
    status: &'static str,
    status_detail: Option<String>,
    /// The settings, without the secret ones.
    #[schema(value_type = Object)]
    settings: serde_json::Map<String, serde_json::Value>,
    /// Names of the secret settings that hold a value (their values are never shown).
    secrets_set: Vec<&'static str>,
    archived: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    archived_at: Option<balcao_core::Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    created_at: balcao_core::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: balcao_core::Timestamp,
}

impl From<Connection> for ConnectionView {
    fn from(c: Connection) -> Self {
        ConnectionView {
            id: c.id.0,
            account_id: c.account_id.0,
            kind: c.kind.as_str(),
            settings: c.kind.public_settings(&c.settings),
            secrets_set: c.kind.secrets_set(&c.settings),
            name: c.name,
            default_department_id: c.default_department_id.map(|d| d.0),
            status: c.status.as_str(),
            status_detail: c.status_detail,
            archived: c.archived_at.is_some(),
            archived_at: c.archived_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateConnection {
    /// Required: `whatsapp_cloud`, `telegram`, `webchat` or `email`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Required.
    name: Option<String>,
    default_department_id: Option<Uuid>,
    /// Settings of the type. whatsapp_cloud: `phone_number_id`*, `access_token`* (secret),
    /// `waba_id`, `app_secret` (secret: signs webhooks), `verify_token`, `graph_api_url`
    /// (default Meta's Graph API with its version), `max_messages_per_second` (default 80).
    /// telegram: `bot_token`* (secret),
    /// `bot_username`, `webhook_secret` (secret), `api_base_url`. webchat: `allowed_origins`,
    /// `greeting`, `color`. email: `address`*, `imap_host`, `imap_port`, `smtp_host`,
    /// `smtp_port`, `username`, `password` (secret), `use_tls`. (* required)
    #[schema(value_type = Object)]
    settings: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct UpdateConnection {
    name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    default_department_id: Option<Option<Uuid>>,
    /// Keys replace the stored settings; a key set to `null` removes that setting.
    #[schema(value_type = Object)]
    settings: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ConnectionQuery {
    /// Only connections of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    limit: Option<u32>,
    /// `active` (default), `archived` or `all`.
    #[param(inline)]
    archived: Option<ArchivedParam>,
}

/// List connections.
#[utoipa::path(get, path = "/connections", tag = "connections", params(ConnectionQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<ConnectionView>),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_connections(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<ConnectionQuery>,
) -> Result<Json<ListOf<ConnectionView>>, ApiError> {
    let list = ListQuery {
        after: q.after,
        limit: q.limit,
        archived: q.archived,
    };
    let page = state
        .service
        .list_connections(&who, q.kind.as_deref(), list.archived(), list.params())
        .await?;
    Ok(Json(ListOf::from_page(page, ConnectionView::from)))
}

/// Create a connection (admins). It starts `pending` until its channel connects.
#[utoipa::path(post, path = "/connections", tag = "connections", request_body = CreateConnection, security(("bearer" = [])),
    responses((status = 201, body = ConnectionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<CreateConnection>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    let input = NewConnection {
        kind: body.kind,
        name: body.name,
        default_department_id: body.default_department_id,
        settings: body.settings,
    };
    let connection = state.service.create_connection(&who, input).await?;
    Ok((StatusCode::CREATED, Json(connection.into())))
}

/// Get a connection.
#[utoipa::path(get, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ConnectionView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ConnectionId>,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(state.service.get_connection(&who, id).await?.into()))
}

/// Change a connection's name, default department or settings (admins).
#[utoipa::path(patch, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)),
    request_body = UpdateConnection, security(("bearer" = [])),
    responses((status = 200, body = ConnectionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ConnectionId>,
    JsonBody(body): JsonBody<UpdateConnection>,
) -> Result<Json<ConnectionView>, ApiError> {
    let patch = ConnectionPatch {
        name: body.name,
        default_department_id: body.default_department_id,
        settings: body.settings,
    };
    Ok(Json(state.service.update_connection(&who, id, patch).await?.into()))
}

/// Archive a connection (admins): its contacts stay; it takes no new contacts.
#[utoipa::path(post, path = "/connections/{id}/archive", tag = "connections", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ConnectionView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn archive_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ConnectionId>,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(
        state.service.set_connection_archived(&who, id, true).await?.into(),
    ))
}

/// Bring an archived connection back (admins).
#[utoipa::path(post, path = "/connections/{id}/unarchive", tag = "connections", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ConnectionView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn unarchive_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ConnectionId>,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(
        state.service.set_connection_archived(&who, id, false).await?.into(),
    ))
}

/// Start a connection (admins): checks its credentials with the channel (WhatsApp: the phone
/// number's details through the Graph API) and connects it. When the check fails the answer is
/// still 200, with `status: error` and `status_detail` saying what is wrong. Queued messages
/// go out once it is connected.
#[utoipa::path(post, path = "/connections/{id}/start", tag = "connections", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ConnectionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn start_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ConnectionId>,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(state.service.start_connection(&who, id).await?.into()))
}

/// Stop a connection (admins): nothing more is sent through it (messages stay queued) until
/// it starts again; what the channel delivers is still received.
#[utoipa::path(post, path = "/connections/{id}/stop", tag = "connections", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ConnectionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn stop_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ConnectionId>,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(state.service.stop_connection(&who, id).await?.into()))
}

/// Stop and start a connection again (admins), checking its credentials anew.
#[utoipa::path(post, path = "/connections/{id}/restart", tag = "connections", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ConnectionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn restart_connection(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ConnectionId>,
) -> Result<Json<ConnectionView>, ApiError> {
    Ok(Json(state.service.restart_connection(&who, id).await?.into()))
}
