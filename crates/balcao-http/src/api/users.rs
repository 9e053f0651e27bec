//! `/api/v1/users`: people of the account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::UserId;
use balcao_service::{NewUser, UserPatch};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ListOf, ListQuery, UserView};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(archive_user))
        .routes(routes!(unarchive_user))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateUser {
    /// Required.
    name: Option<String>,
    /// Required; unique across the installation (login is by e-mail).
    email: Option<String>,
    /// Required; 8 to 256 characters.
    password: Option<String>,
    /// `admin`, `supervisor` or `agent` (default).
    role: Option<String>,
    /// Departments the user works in.
    department_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct UpdateUser {
    name: Option<String>,
    email: Option<String>,
    /// Changing it ends the user's sessions.
    password: Option<String>,
    /// Admins only.
    role: Option<String>,
    /// Admins only; replaces the memberships.
    department_ids: Option<Vec<Uuid>>,
}

/// List the account's users.
#[utoipa::path(get, path = "/users", tag = "users", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<UserView>),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_users(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListOf<UserView>>, ApiError> {
    let page = state.service.list_users(&who, q.archived(), q.params()).await?;
    Ok(Json(ListOf::from_page(page, UserView::from)))
}

/// Create a user (admins).
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser, security(("bearer" = [])),
    responses((status = 201, body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "E-mail taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_user(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let input = NewUser {
        name: body.name,
        email: body.email,
        password: body.password,
        role: body.role,
        department_ids: body.department_ids,
    };
    let user = state.service.create_user(&who, input).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Get a user.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_user(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<UserId>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(state.service.get_user(&who, id).await?.into()))
}

/// Change a user (admins; anyone their own name, e-mail and password).
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = Uuid, Path)), request_body = UpdateUser,
    security(("bearer" = [])),
    responses((status = 200, body = UserView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_user(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<UserId>,
    JsonBody(body): JsonBody<UpdateUser>,
) -> Result<Json<UserView>, ApiError> {
    let patch = UserPatch {
        name: body.name,
        email: body.email,
        password: body.password,
        role: body.role,
        department_ids: body.department_ids,
    };
    Ok(Json(state.service.update_user(&who, id, patch).await?.into()))
}

/// Delete a user (admins). An account keeps at least one active admin.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn delete_user(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<UserId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_user(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archive a user (admins): they can no longer log in and their tokens stop working.
#[utoipa::path(post, path = "/users/{id}/archive", tag = "users", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn archive_user(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<UserId>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(state.service.set_user_archived(&who, id, true).await?.into()))
}

/// Bring an archived user back (admins).
#[utoipa::path(post, path = "/users/{id}/unarchive", tag = "users", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = UserView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn unarchive_user(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<UserId>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(state.service.set_user_archived(&who, id, false).await?.into()))
}
