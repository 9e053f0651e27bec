//! `/api/v1/custom-fields`: typed fields of contacts and tickets.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{CustomField, CustomFieldId, Timestamp};
use balcao_service::{CustomFieldPatch, NewCustomField};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::ArchivedParam;
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_fields, create_field))
        .routes(routes!(get_field, update_field))
}

#[derive(Serialize, ToSchema)]
pub struct CustomFieldView {
    id: Uuid,
    name: String,
    /// `text`, `number`, `date` (`YYYY-MM-DD`), `boolean` or `select`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// `contact` or `ticket`.
    applies_to: &'static str,
    /// Choices of a select field.
    options: Vec<String>,
    archived: bool,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<CustomField> for CustomFieldView {
    fn from(f: CustomField) -> Self {
        CustomFieldView {
            id: f.id.0,
            name: f.name,
            kind: f.kind.as_str(),
            applies_to: f.applies_to.as_str(),
            options: f.options,
            archived: f.archived_at.is_some(),
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct FieldList {
    data: Vec<CustomFieldView>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateField {
    /// Required; unique among the account's fields of the same target.
    name: Option<String>,
    /// Required: `text`, `number`, `date`, `boolean` or `select`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `contact` (default) or `ticket`.
    applies_to: Option<String>,
    /// Required for (and only for) select fields.
    options: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct UpdateField {
    name: Option<String>,
    options: Option<Vec<String>>,
    archived: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FieldQuery {
    /// `contact` or `ticket`.
    applies_to: Option<String>,
    /// `active` (default), `archived` or `all`.
    #[param(inline)]
    archived: Option<ArchivedParam>,
}

/// List custom fields.
#[utoipa::path(get, path = "/custom-fields", tag = "contacts", params(FieldQuery), security(("bearer" = [])),
    responses((status = 200, body = FieldList), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_fields(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<FieldQuery>,
) -> Result<Json<FieldList>, ApiError> {
    let archived = super::views::ListQuery {
        archived: q.archived,
        ..Default::default()
    }
    .archived();
    let fields = state
        .service
        .list_custom_fields(&who, q.applies_to.as_deref(), archived)
        .await?;
    Ok(Json(FieldList {
        data: fields.into_iter().map(CustomFieldView::from).collect(),
    }))
}

/// Create a custom field (admins).
#[utoipa::path(post, path = "/custom-fields", tag = "contacts", request_body = CreateField, security(("bearer" = [])),
    responses((status = 201, body = CustomFieldView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_field(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<CreateField>,
) -> Result<(StatusCode, Json<CustomFieldView>), ApiError> {
    let input = NewCustomField {
        name: b.name,
        kind: b.kind,
        applies_to: b.applies_to,
        options: b.options,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_custom_field(&who, input).await?.into()),
    ))
}

/// Get a custom field.
#[utoipa::path(get, path = "/custom-fields/{id}", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = CustomFieldView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_field(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<CustomFieldId>,
) -> Result<Json<CustomFieldView>, ApiError> {
    Ok(Json(state.service.get_custom_field(&who, id).await?.into()))
}

/// Rename, re-option (select fields) or archive a custom field (admins).
#[utoipa::path(patch, path = "/custom-fields/{id}", tag = "contacts", params(("id" = Uuid, Path)), request_body = UpdateField,
    security(("bearer" = [])),
    responses((status = 200, body = CustomFieldView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_field(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<CustomFieldId>,
    JsonBody(b): JsonBody<UpdateField>,
) -> Result<Json<CustomFieldView>, ApiError> {
    let patch = CustomFieldPatch {
        name: b.name,
        options: b.options,
        archived: b.archived,
    };
    Ok(Json(state.service.update_custom_field(&who, id, patch).await?.into()))
}
