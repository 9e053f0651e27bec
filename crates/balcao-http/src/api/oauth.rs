//! OAuth2 token endpoint (password and refresh-token grants) and logout.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{Auth, ClientAddr, JsonOrForm};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token)).routes(routes!(logout))
}

/// An OAuth2 token request, as JSON or form-encoded.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password` or `refresh_token`.
    grant_type: Option<String>,
    /// Accepted and ignored (clients of the Digisac API send `api`).
    #[allow(dead_code)]
    client_id: Option<String>,
    /// Accepted and ignored (clients of the Digisac API send `secret`).
    #[allow(dead_code)]
    client_secret: Option<String>,
    /// The user's e-mail (password grant).
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
    refresh_token: String,
}

/// Log in (OAuth2 password grant) or refresh a session (refresh-token grant).
///
/// Failed logins answer 400 `invalid_grant`; too many of them for one account from one
/// address answer 429 with `Retry-After`.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Tokens", body = TokenResponse),
        (status = 400, description = "Invalid grant or request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    JsonOrForm(req): JsonOrForm<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let pair = match req.grant_type.as_deref() {
        Some("password") => {
            let (Some(username), Some(password)) = (req.username.as_deref(), req.password.as_deref()) else {
                return Err(ApiError::oauth(
                    "invalid_request",
                    "`username` and `password` are required",
                ));
            };
            state.service.login_password(username, password, client).await?
        }
        Some("refresh_token") => {
            let Some(refresh) = req.refresh_token.as_deref() else {
                return Err(ApiError::oauth("invalid_request", "`refresh_token` is required"));
            };
            state.service.login_refresh(refresh).await?
        }
        Some(other) => {
            return Err(ApiError::oauth(
                "unsupported_grant_type",
                format!("grant type `{other}` is not supported (use password or refresh_token)"),
            ));
        }
        None => {
            return Err(ApiError::oauth("invalid_request", "`grant_type` is required"));
        }
    };
    Ok(Json(TokenResponse {
        access_token: pair.access_token,
        token_type: "Bearer",
        expires_in: pair.expires_in,
        refresh_token: pair.refresh_token,
    }))
}

/// End the session of the access token used (its refresh token stops working too).
#[utoipa::path(
    post,
    path = "/oauth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn logout(State(state): State<AppState>, Auth(who): Auth) -> Result<StatusCode, ApiError> {
    state.service.logout(&who).await?;
    Ok(StatusCode::NO_CONTENT)
}
