//! `/api/v1/organizations` and `/api/v1/people`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{Organization, OrganizationId, Person, PersonId, Timestamp};
use balcao_service::DirectoryInput;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ListOf, PageQuery, double_option};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(get_organization, update_organization, delete_organization))
        .routes(routes!(list_people, create_person))
        .routes(routes!(get_person, update_person, delete_person))
}

#[derive(Serialize, ToSchema)]
struct OrganizationView {
    id: Uuid,
    name: String,
    /// CNPJ or CPF, digits only.
    document: Option<String>,
    note: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<Organization> for OrganizationView {
    fn from(o: Organization) -> Self {
        OrganizationView {
            id: o.id.0,
            name: o.name,
            document: o.document,
            note: o.note,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct PersonView {
    id: Uuid,
    name: String,
    /// CPF or CNPJ, digits only.
    document: Option<String>,
    email: Option<String>,
    organization_id: Option<Uuid>,
    note: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<Person> for PersonView {
    fn from(p: Person) -> Self {
        PersonView {
            id: p.id.0,
            name: p.name,
            document: p.document,
            email: p.email,
            organization_id: p.organization_id.map(|o| o.0),
            note: p.note,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Fields of an organization or a person; on update, absent fields stay and `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
struct DirectoryBody {
    /// Required on creation.
    name: Option<String>,
    /// CPF or CNPJ (check digits verified).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    document: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    note: Option<Option<String>>,
    /// People only.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    /// People only.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    organization_id: Option<Option<Uuid>>,
}

impl From<DirectoryBody> for DirectoryInput {
    fn from(b: DirectoryBody) -> Self {
        DirectoryInput {
            name: b.name,
            document: b.document,
            note: b.note,
            email: b.email,
            organization_id: b.organization_id,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PeopleQuery {
    organization_id: Option<Uuid>,
    after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    limit: Option<u32>,
}

/// List organizations.
#[utoipa::path(get, path = "/organizations", tag = "contacts", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<OrganizationView>)))]
async fn list_organizations(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<PageQuery>,
) -> Result<Json<ListOf<OrganizationView>>, ApiError> {
    let page = state.service.list_organizations(&who, q.params()).await?;
    Ok(Json(ListOf::from_page(page, OrganizationView::from)))
}

/// Create an organization.
#[utoipa::path(post, path = "/organizations", tag = "contacts", request_body = DirectoryBody, security(("bearer" = [])),
    responses((status = 201, body = OrganizationView), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_organization(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<DirectoryBody>,
) -> Result<(StatusCode, Json<OrganizationView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.save_organization(&who, None, b.into()).await?.into()),
    ))
}

/// Get an organization.
#[utoipa::path(get, path = "/organizations/{id}", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrganizationView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_organization(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<OrganizationId>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(state.service.get_organization(&who, id).await?.into()))
}

/// Change an organization.
#[utoipa::path(patch, path = "/organizations/{id}", tag = "contacts", params(("id" = Uuid, Path)), request_body = DirectoryBody,
    security(("bearer" = [])),
    responses((status = 200, body = OrganizationView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_organization(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<OrganizationId>,
    JsonBody(b): JsonBody<DirectoryBody>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(
        state.service.save_organization(&who, Some(id), b.into()).await?.into(),
    ))
}

/// Delete an organization (admins, supervisors); its people and contacts stay, unlinked.
#[utoipa::path(delete, path = "/organizations/{id}", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_organization(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<OrganizationId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_organization(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List people.
#[utoipa::path(get, path = "/people", tag = "contacts", params(PeopleQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<PersonView>)))]
async fn list_people(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<PeopleQuery>,
) -> Result<Json<ListOf<PersonView>>, ApiError> {
    let params = balcao_service::ListParams {
        after: q.after,
        cursor: None,
        limit: q.limit,
    };
    let page = state.service.list_people(&who, q.organization_id, params).await?;
    Ok(Json(ListOf::from_page(page, PersonView::from)))
}

/// Create a person.
#[utoipa::path(post, path = "/people", tag = "contacts", request_body = DirectoryBody, security(("bearer" = [])),
    responses((status = 201, body = PersonView), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_person(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(b): JsonBody<DirectoryBody>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.service.save_person(&who, None, b.into()).await?.into()),
    ))
}

/// Get a person.
#[utoipa::path(get, path = "/people/{id}", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = PersonView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_person(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<PersonId>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(state.service.get_person(&who, id).await?.into()))
}

/// Change a person.
#[utoipa::path(patch, path = "/people/{id}", tag = "contacts", params(("id" = Uuid, Path)), request_body = DirectoryBody,
    security(("bearer" = [])),
    responses((status = 200, body = PersonView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_person(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<PersonId>,
    JsonBody(b): JsonBody<DirectoryBody>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(state.service.save_person(&who, Some(id), b.into()).await?.into()))
}

/// Delete a person (admins, supervisors); their contacts stay, unlinked.
#[utoipa::path(delete, path = "/people/{id}", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_person(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<PersonId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_person(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
