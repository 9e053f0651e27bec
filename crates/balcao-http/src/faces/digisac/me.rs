//! Digisac's login (`oauth/token`) and `me`.

use axum::Router;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::body::Body;
use super::fields::text;
use super::{Caller, DigisacError, views};
use crate::AppState;
use crate::extract::ClientAddr;

pub const SERVED: &[(Method, &str)] = &[(Method::POST, "/api/v1/oauth/token"), (Method::GET, "/api/v1/me")];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oauth/token", post(token))
        .route("/api/v1/me", get(me))
}

/// The OAuth2 password and refresh grants, as Digisac's clients send them (`client_id` and
/// `client_secret` are not checked).
async fn token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let pair = match text(&body, "grant_type").as_deref() {
        Some("password") => {
            let (Some(username), Some(password)) = (text(&body, "username"), text(&body, "password")) else {
                return Err(DigisacError::bad_request("`username` and `password` are required"));
            };
            state.service.login_password(&username, &password, client).await?
        }
        Some("refresh_token") => {
            let refresh =
                text(&body, "refresh_token").ok_or_else(|| DigisacError::bad_request("`refresh_token` is required"))?;
            state.service.login_refresh(&refresh).await?
        }
        Some(other) => {
            return Err(DigisacError::bad_request(format!(
                "grant type `{other}` is not supported"
            )));
        }
        None => return Err(DigisacError::bad_request("`grant_type` is required")),
    };
    Ok(axum::Json(json!({
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
    })))
}

async fn me(State(state): State<AppState>, Caller(who): Caller) -> Result<axum::Json<Value>, DigisacError> {
    let (user, account) = state.service.me(&who).await?;
    Ok(axum::Json(views::user(&user, Some(&account))))
}
