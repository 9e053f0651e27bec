//! `/api/v1/departments`: teams that tickets are routed to.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::DepartmentId;
use balcao_service::{DepartmentPatch, NewDepartment};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::views::{DepartmentView, ListOf, ListQuery};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_departments, create_department))
        .routes(routes!(get_department, update_department, delete_department))
        .routes(routes!(archive_department))
        .routes(routes!(unarchive_department))
}

#[derive(Debug, Deserialize, ToSchema)]
struct DepartmentBody {
    /// Unique in the account.
    name: Option<String>,
}

/// List the account's departments.
#[utoipa::path(get, path = "/departments", tag = "departments", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<DepartmentView>),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_departments(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListOf<DepartmentView>>, ApiError> {
    let page = state.service.list_departments(&who, q.archived(), q.params()).await?;
    Ok(Json(ListOf::from_page(page, DepartmentView::from)))
}

/// Create a department (admins).
#[utoipa::path(post, path = "/departments", tag = "departments", request_body = DepartmentBody, security(("bearer" = [])),
    responses((status = 201, body = DepartmentView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Name taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_department(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<DepartmentBody>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    let department = state
        .service
        .create_department(&who, NewDepartment { name: body.name })
        .await?;
    Ok((StatusCode::CREATED, Json(department.into())))
}

/// Get a department.
#[utoipa::path(get, path = "/departments/{id}", tag = "departments", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = DepartmentView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_department(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<DepartmentId>,
) -> Result<Json<DepartmentView>, ApiError> {
    Ok(Json(state.service.get_department(&who, id).await?.into()))
}

/// Rename a department (admins).
#[utoipa::path(patch, path = "/departments/{id}", tag = "departments", params(("id" = Uuid, Path)),
    request_body = DepartmentBody, security(("bearer" = [])),
    responses((status = 200, body = DepartmentView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_department(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<DepartmentId>,
    JsonBody(body): JsonBody<DepartmentBody>,
) -> Result<Json<DepartmentView>, ApiError> {
    let patch = DepartmentPatch { name: body.name };
    Ok(Json(state.service.update_department(&who, id, patch).await?.into()))
}

/// Delete a department (admins); its memberships go with it.
#[utoipa::path(delete, path = "/departments/{id}", tag = "departments", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_department(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<DepartmentId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_department(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archive a department (admins).
#[utoipa::path(post, path = "/departments/{id}/archive", tag = "departments", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = DepartmentView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn archive_department(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<DepartmentId>,
) -> Result<Json<DepartmentView>, ApiError> {
    Ok(Json(
        state.service.set_department_archived(&who, id, true).await?.into(),
    ))
}

/// Bring an archived department back (admins).
#[utoipa::path(post, path = "/departments/{id}/unarchive", tag = "departments", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = DepartmentView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn unarchive_department(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<DepartmentId>,
) -> Result<Json<DepartmentView>, ApiError> {
    Ok(Json(
        state.service.set_department_archived(&who, id, false).await?.into(),
    ))
}
