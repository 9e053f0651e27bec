//! `/api/v1/tags`: labels put on contacts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{Tag, TagId, Timestamp};
use balcao_service::{NewTag, TagPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ListOf, ListQuery};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tags, create_tag))
        .routes(routes!(get_tag, update_tag, delete_tag))
        .routes(routes!(add_contacts, remove_contacts))
}

#[derive(Serialize, ToSchema)]
pub struct TagView {
    id: Uuid,
    account_id: Uuid,
    label: String,
    /// `#rrggbb`.
    color: String,
    /// Departments the tag is meant for (empty: all).
    department_ids: Vec<Uuid>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<Tag> for TagView {
    fn from(t: Tag) -> Self {
        TagView {
            id: t.id.0,
            account_id: t.account_id.0,
            label: t.label,
            color: t.color,
            department_ids: t.department_ids.into_iter().map(|d| d.0).collect(),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
struct TagBody {
    /// Required on creation; unique in the account.
    label: Option<String>,
    /// `#rrggbb` (default `#6b7280`).
    color: Option<String>,
    department_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct ContactIds {
    /// 1 to 1000 contact ids of the account.
    contact_ids: Vec<Uuid>,
}

#[derive(Serialize, ToSchema)]
struct Tagged {
    contact_ids: Vec<Uuid>,
}

/// List tags.
#[utoipa::path(get, path = "/tags", tag = "tags", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<TagView>)))]
async fn list_tags(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListOf<TagView>>, ApiError> {
    let page = state.service.list_tags(&who, q.params()).await?;
    Ok(Json(ListOf::from_page(page, TagView::from)))
}

/// Create a tag (admins and supervisors).
#[utoipa::path(post, path = "/tags", tag = "tags", request_body = TagBody, security(("bearer" = [])),
    responses((status = 201, body = TagView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_tag(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<TagBody>,
) -> Result<(StatusCode, Json<TagView>), ApiError> {
    let input = NewTag {
        label: b.label,
        color: b.color,
        department_ids: b.department_ids,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.service.create_tag(&who, input).await?.into()),
    ))
}

/// Get a tag.
#[utoipa::path(get, path = "/tags/{id}", tag = "tags", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = TagView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_tag(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TagId>,
) -> Result<Json<TagView>, ApiError> {
    Ok(Json(state.service.get_tag(&who, id).await?.into()))
}

/// Change a tag (admins and supervisors).
#[utoipa::path(patch, path = "/tags/{id}", tag = "tags", params(("id" = Uuid, Path)), request_body = TagBody, security(("bearer" = [])),
    responses((status = 200, body = TagView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_tag(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TagId>,
    JsonBody(b): JsonBody<TagBody>,
) -> Result<Json<TagView>, ApiError> {
    let patch = TagPatch {
        label: b.label,
        color: b.color,
        department_ids: b.department_ids,
    };
    Ok(Json(state.service.update_tag(&who, id, patch).await?.into()))
}

/// Delete a tag (admins and supervisors); it comes off every contact.
#[utoipa::path(delete, path = "/tags/{id}", tag = "tags", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_tag(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TagId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_tag(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put the tag on contacts.
#[utoipa::path(post, path = "/tags/{id}/contacts", tag = "tags", params(("id" = Uuid, Path)), request_body = ContactIds,
    security(("bearer" = [])),
    responses((status = 200, body = Tagged),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_contacts(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TagId>,
    JsonBody(b): JsonBody<ContactIds>,
) -> Result<Json<Tagged>, ApiError> {
    let ids = state.service.tag_contacts(&who, id, &b.contact_ids, true).await?;
    Ok(Json(Tagged {
        contact_ids: ids.into_iter().map(|c| c.0).collect(),
    }))
}

/// Take the tag off contacts.
#[utoipa::path(delete, path = "/tags/{id}/contacts", tag = "tags", params(("id" = Uuid, Path)), request_body = ContactIds,
    security(("bearer" = [])),
    responses((status = 200, body = Tagged),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn remove_contacts(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<TagId>,
    JsonBody(b): JsonBody<ContactIds>,
) -> Result<Json<Tagged>, ApiError> {
    let ids = state.service.tag_contacts(&who, id, &b.contact_ids, false).await?;
    Ok(Json(Tagged {
        contact_ids: ids.into_iter().map(|c| c.0).collect(),
    }))
}
