//! `/api/v1/tokens`: personal API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{ApiTokenId, FieldError, Timestamp};
use balcao_service::{NewToken, TokenScope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ListOf, TokenView};
use crate::AppState;
use crate::extract::{Auth, JsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(get_token, rename_token, revoke_token))
}

#[derive(Debug, Deserialize, ToSchema)]
struct CreateToken {
    /// Required: what the token is for.
    name: Option<String>,
    /// Host (and its subdomains) the token may be used from, checked against `Origin`/`Referer`.
    allowed_domain: Option<String>,
    /// RFC 3339 date-time after which the token stops working (default: never).
    expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct CreatedTokenView {
    #[serde(flatten)]
    token: TokenView,
    /// The secret: shown this once, never again.
    #[serde(rename = "token")]
    secret: String,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ScopeParam {
    #[default]
    Mine,
    Account,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// `mine` (default) or `account` (every user's; admins only).
    #[param(inline)]
    scope: Option<ScopeParam>,
    after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    limit: Option<u32>,
}

/// List personal tokens (never their secrets).
#[utoipa::path(get, path = "/tokens", tag = "tokens", params(TokenQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<TokenView>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_tokens(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<TokenQuery>,
) -> Result<Json<ListOf<TokenView>>, ApiError> {
    let scope = match q.scope.unwrap_or_default() {
        ScopeParam::Mine => TokenScope::Mine,
        ScopeParam::Account => TokenScope::Account,
    };
    let params = balcao_service::ListParams {
        after: q.after,
        cursor: None,
        limit: q.limit,
    };
    let page = state.service.list_tokens(&who, scope, params).await?;
    Ok(Json(ListOf::from_page(page, TokenView::from)))
}

/// Create a personal token for the caller; the answer carries its secret in `token`, once.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = CreateToken, security(("bearer" = [])),
    responses((status = 201, body = CreatedTokenView),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_token(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<CreateToken>,
) -> Result<(StatusCode, Json<CreatedTokenView>), ApiError> {
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(raw) => Some(Timestamp::parse_rfc3339(raw).ok_or_else(|| {
            ApiError::validation(vec![FieldError {
                field: "expires_at".into(),
                code: "invalid",
                message: "`expires_at` must be an RFC 3339 date-time".into(),
            }])
        })?),
    };
    let input = NewToken {
        name: body.name,
        allowed_domain: body.allowed_domain,
        expires_at,
    };
    let created = state.service.create_token(&who, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenView {
            token: created.token.into(),
            secret: created.secret,
        }),
    ))
}

/// Get a token (yours; admins any of the account).
#[utoipa::path(get, path = "/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = TokenView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_token(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ApiTokenId>,
) -> Result<Json<TokenView>, ApiError> {
    Ok(Json(state.service.get_token(&who, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
struct RenameToken {
    /// Required: the new name.
    name: Option<String>,
}

/// Rename a token (yours; admins any of the account); its secret does not change.
#[utoipa::path(patch, path = "/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)), request_body = RenameToken,
    security(("bearer" = [])),
    responses((status = 200, body = TokenView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn rename_token(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ApiTokenId>,
    JsonBody(b): JsonBody<RenameToken>,
) -> Result<Json<TokenView>, ApiError> {
    Ok(Json(
        state.service.rename_token(&who, id, b.name.as_deref()).await?.into(),
    ))
}

/// Revoke a token: it answers 401 from now on.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn revoke_token(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ApiTokenId>,
) -> Result<StatusCode, ApiError> {
    state.service.revoke_token(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
