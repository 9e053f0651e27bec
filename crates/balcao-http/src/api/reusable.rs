//! Reusable messages: `/api/v1/whatsapp-templates`, `/api/v1/interactive-templates`,
//! `/api/v1/quick-replies`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::template::{InteractiveTemplate, QuickReply, WhatsappTemplate};
use balcao_core::{InteractiveTemplateId, QuickReplyId, TemplateId, Timestamp};
use balcao_service::{NewInteractive, NewTemplate, QuickReplyInput, TemplatePatch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(set_template_status))
        .routes(routes!(submit_template))
        .routes(routes!(sync_templates))
        .routes(routes!(list_interactive, create_interactive))
        .routes(routes!(get_interactive, delete_interactive))
        .routes(routes!(list_quick_replies, create_quick_reply))
        .routes(routes!(get_quick_reply, update_quick_reply, delete_quick_reply))
}

/// `{"data": [...]}`: the short, unpaged lists of this module.
#[derive(Serialize, ToSchema)]
pub struct DataOf<T> {
    data: Vec<T>,
}

#[derive(Serialize, ToSchema)]
struct TemplateView {
    id: Uuid,
    connection_id: Uuid,
    name: String,
    language: String,
    /// `marketing`, `utility` or `authentication`.
    category: &'static str,
    #[schema(value_type = Vec<Object>)]
    components: Value,
    /// `draft` (not sent to Meta yet), `pending`, `approved`, `rejected`, `paused` or `disabled`.
    status: &'static str,
    rejection_reason: Option<String>,
    /// Meta's id of the template once sent for review or found by a sync.
    external_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<WhatsappTemplate> for TemplateView {
    fn from(t: WhatsappTemplate) -> Self {
        TemplateView {
            id: t.id.0,
            connection_id: t.connection_id.0,
            name: t.name,
            language: t.language,
            category: t.category.as_str(),
            components: t.components,
            status: t.status.as_str(),
            rejection_reason: t.rejection_reason,
            external_id: t.external_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateTemplate {
    /// A whatsapp_cloud connection.
    connection_id: Option<Uuid>,
    /// Lowercase letters, digits, underscores.
    name: Option<String>,
    /// e.g. `pt_BR`.
    language: Option<String>,
    category: Option<String>,
    /// `[{type: header|body|footer|buttons, format?, text?, buttons?}]`; placeholders `{{1}}`, `{{2}}`, ...
    #[schema(value_type = Vec<Object>)]
    components: Option<Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct TemplateStatusBody {
    status: Option<String>,
    /// Kept for `rejected`.
    rejection_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TemplateQuery {
    connection_id: Option<Uuid>,
    status: Option<String>,
}

/// List WhatsApp templates.
#[utoipa::path(get, path = "/whatsapp-templates", tag = "templates", params(TemplateQuery), security(("bearer" = [])),
    responses((status = 200, body = DataOf<TemplateView>)))]
async fn list_templates(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<TemplateQuery>,
) -> Result<Json<DataOf<TemplateView>>, ApiError> {
    let list = state
        .service
        .list_templates(&who, q.connection_id, q.status.as_deref())
        .await?;
    Ok(Json(DataOf {
        data: list.into_iter().map(TemplateView::from).collect(),
    }))
}

/// Register a WhatsApp template (admins); it starts `pending` until approved.
#[utoipa::path(post, path = "/whatsapp-templates", tag = "templates", request_body = CreateTemplate, security(("bearer" = [])),
    responses((status = 201, body = TemplateView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_template(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<CreateTemplate>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let input = NewTemplate {
        connection_id: b.connection_id,
        name: b.name,
        language: b.language,
        category: b.category,
        components: b.components,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_template(&who, input).await?.into()),
    ))
}

/// Get a WhatsApp template.
#[utoipa::path(get, path = "/whatsapp-templates/{id}", tag = "templates", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = TemplateView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_template(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TemplateId>,
) -> Result<Json<TemplateView>, ApiError> {
    Ok(Json(state.service.get_template(&who, id).await?.into()))
}

/// Delete a WhatsApp template (admins).
#[utoipa::path(delete, path = "/whatsapp-templates/{id}", tag = "templates", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_template(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TemplateId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_template(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
struct UpdateTemplate {
    /// Only while the template is a draft.
    name: Option<String>,
    /// Only while the template is a draft.
    language: Option<String>,
    category: Option<String>,
    #[schema(value_type = Vec<Object>)]
    components: Option<Value>,
}

/// Change a template (admins). One Meta already has is sent to Meta again and waits for its review.
#[utoipa::path(patch, path = "/whatsapp-templates/{id}", tag = "templates", params(("id" = Uuid, Path)),
    request_body = UpdateTemplate, security(("bearer" = [])),
    responses((status = 200, body = TemplateView), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json")))]
async fn update_template(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TemplateId>,
    JsonBody(b): JsonBody<UpdateTemplate>,
) -> Result<Json<TemplateView>, ApiError> {
    let patch = TemplatePatch {
        name: b.name,
        language: b.language,
        category: b.category,
        components: b.components,
    };
    Ok(Json(state.service.update_template(&who, id, patch).await?.into()))
}

/// Send a template to Meta for review on the connection's WhatsApp Business Account (admins).
#[utoipa::path(post, path = "/whatsapp-templates/{id}/submit", tag = "templates", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = TemplateView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json")))]
async fn submit_template(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TemplateId>,
) -> Result<Json<TemplateView>, ApiError> {
    Ok(Json(state.service.submit_template(&who, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
struct SyncTemplates {
    /// The whatsapp_cloud connection whose WhatsApp Business Account is read.
    connection_id: Option<Uuid>,
}

/// Bring a connection's templates in line with its WhatsApp Business Account (admins): statuses,
/// categories and components follow Meta, templates only Meta has are added, ones Meta no
/// longer has are disabled. Answers the connection's templates.
#[utoipa::path(post, path = "/whatsapp-templates/sync", tag = "templates", request_body = SyncTemplates,
    security(("bearer" = [])),
    responses((status = 200, body = DataOf<TemplateView>),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 502, body = Problem, content_type = "application/problem+json")))]
async fn sync_templates(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<SyncTemplates>,
) -> Result<Json<DataOf<TemplateView>>, ApiError> {
    let list = state.service.sync_templates(&who, b.connection_id).await?;
    Ok(Json(DataOf {
        data: list.into_iter().map(Into::into).collect(),
    }))
}

/// Record Meta's review of a template (admins).
#[utoipa::path(post, path = "/whatsapp-templates/{id}/status", tag = "templates", params(("id" = Uuid, Path)),
    request_body = TemplateStatusBody, security(("bearer" = [])),
    responses((status = 200, body = TemplateView), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_template_status(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TemplateId>,
    JsonBody(b): JsonBody<TemplateStatusBody>,
) -> Result<Json<TemplateView>, ApiError> {
    Ok(Json(
        state
            .service
            .set_template_status(&who, id, b.status.as_deref(), b.rejection_reason)
            .await?
            .into(),
    ))
}

#[derive(Serialize, ToSchema)]
struct InteractiveView {
    id: Uuid,
    name: String,
    /// `button` or `list`.
    #[serde(rename = "type")]
    kind: &'static str,
    header: Option<String>,
    body: String,
    footer: Option<String>,
    #[schema(value_type = Object)]
    action: Value,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
}

impl From<InteractiveTemplate> for InteractiveView {
    fn from(t: InteractiveTemplate) -> Self {
        InteractiveView {
            id: t.id.0,
            name: t.name,
            kind: t.kind.as_str(),
            header: t.header,
            body: t.body,
            footer: t.footer,
            action: t.action,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateInteractive {
    name: Option<String>,
    /// `button` or `list`.
    #[serde(rename = "type")]
    kind: Option<String>,
    header: Option<String>,
    body: Option<String>,
    footer: Option<String>,
    /// `{buttons: [{id, title}]}` (1–3 buttons, titles ≤ 20) or `{button, sections: [{title?, rows: [{id, title, description?}]}]}`
    /// (≤ 10 sections, ≤ 10 rows in all, titles ≤ 24, descriptions ≤ 72).
    #[schema(value_type = Object)]
    action: Option<Value>,
}

/// List interactive templates.
#[utoipa::path(get, path = "/interactive-templates", tag = "templates", security(("bearer" = [])),
    responses((status = 200, body = DataOf<InteractiveView>)))]
async fn list_interactive(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<DataOf<InteractiveView>>, ApiError> {
    let list = state.service.list_interactive(&who).await?;
    Ok(Json(DataOf {
        data: list.into_iter().map(InteractiveView::from).collect(),
    }))
}

/// Create an interactive template (admins, supervisors).
#[utoipa::path(post, path = "/interactive-templates", tag = "templates", request_body = CreateInteractive, security(("bearer" = [])),
    responses((status = 201, body = InteractiveView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_interactive(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<CreateInteractive>,
) -> Result<(StatusCode, Json<InteractiveView>), ApiError> {
    let input = NewInteractive {
        name: b.name,
        kind: b.kind,
        header: b.header,
        body: b.body,
        footer: b.footer,
        action: b.action,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_interactive(&who, input).await?.into()),
    ))
}

/// Get an interactive template.
#[utoipa::path(get, path = "/interactive-templates/{id}", tag = "templates", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = InteractiveView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_interactive(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<InteractiveTemplateId>,
) -> Result<Json<InteractiveView>, ApiError> {
    Ok(Json(state.service.get_interactive(&who, id).await?.into()))
}

/// Delete an interactive template (admins, supervisors).
#[utoipa::path(delete, path = "/interactive-templates/{id}", tag = "templates", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_interactive(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<InteractiveTemplateId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_interactive(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct QuickReplyView {
    id: Uuid,
    /// Without the leading `/`.
    shortcut: String,
    text: String,
    department_ids: Vec<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<QuickReply> for QuickReplyView {
    fn from(q: QuickReply) -> Self {
        QuickReplyView {
            id: q.id.0,
            shortcut: q.shortcut,
            text: q.text,
            department_ids: q.department_ids.into_iter().map(|d| d.0).collect(),
            created_at: q.created_at,
            updated_at: q.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct QuickReplyBody {
    /// `/ola` or `ola`: 1–32 letters, digits, `_`, `-`; unique in the account.
    shortcut: Option<String>,
    /// Up to 4096 characters; placeholders `{{contact.name}}`, `{{contact.first_name}}`,
    /// `{{user.name}}`, `{{ticket.protocol}}`, `{{account.name}}`.
    text: Option<String>,
    /// Departments it is meant for (empty: all).
    department_ids: Option<Vec<Uuid>>,
}

impl From<QuickReplyBody> for QuickReplyInput {
    fn from(b: QuickReplyBody) -> Self {
        QuickReplyInput {
            shortcut: b.shortcut,
            text: b.text,
            department_ids: b.department_ids,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct QuickReplyQuery {
    /// Those meant for this department or for all.
    department_id: Option<Uuid>,
}

/// List quick replies, by shortcut.
#[utoipa::path(get, path = "/quick-replies", tag = "templates", params(QuickReplyQuery), security(("bearer" = [])),
    responses((status = 200, body = DataOf<QuickReplyView>)))]
async fn list_quick_replies(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<QuickReplyQuery>,
) -> Result<Json<DataOf<QuickReplyView>>, ApiError> {
    let list = state.service.list_quick_replies(&who, q.department_id).await?;
    Ok(Json(DataOf {
        data: list.into_iter().map(QuickReplyView::from).collect(),
    }))
}

/// Create a quick reply (admins, supervisors).
#[utoipa::path(post, path = "/quick-replies", tag = "templates", request_body = QuickReplyBody, security(("bearer" = [])),
    responses((status = 201, body = QuickReplyView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_quick_reply(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<QuickReplyBody>,
) -> Result<(StatusCode, Json<QuickReplyView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.save_quick_reply(&who, None, b.into()).await?.into()),
    ))
}

/// Get a quick reply.
#[utoipa::path(get, path = "/quick-replies/{id}", tag = "templates", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = QuickReplyView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_quick_reply(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<QuickReplyId>,
) -> Result<Json<QuickReplyView>, ApiError> {
    Ok(Json(state.service.get_quick_reply(&who, id).await?.into()))
}

/// Change a quick reply (admins, supervisors).
#[utoipa::path(patch, path = "/quick-replies/{id}", tag = "templates", params(("id" = Uuid, Path)), request_body = QuickReplyBody,
    security(("bearer" = [])),
    responses((status = 200, body = QuickReplyView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_quick_reply(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<QuickReplyId>,
    JsonBody(b): JsonBody<QuickReplyBody>,
) -> Result<Json<QuickReplyView>, ApiError> {
    Ok(Json(
        state.service.save_quick_reply(&who, Some(id), b.into()).await?.into(),
    ))
}

/// Delete a quick reply (admins, supervisors).
#[utoipa::path(delete, path = "/quick-replies/{id}", tag = "templates", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_quick_reply(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<QuickReplyId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_quick_reply(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
