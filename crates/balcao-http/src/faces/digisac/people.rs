//! Digisac's users and personal tokens (`/me/tokens`).

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::{get, post};
use balcao_core::{ApiToken, ApiTokenId, UserId};
use balcao_service::{ArchivedFilter, NewToken, NewUser, TokenScope, UserPatch};
use serde_json::{Value, json};

use super::body::Body;
use super::directory::{all, paged};
use super::fields::{PathUuid, boolean, id_list, text};
use super::{Caller, DigisacError, views};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/users"),
    (Method::POST, "/api/v1/users"),
    (Method::GET, "/api/v1/users/{p0}"),
    (Method::PUT, "/api/v1/users/{p0}"),
    (Method::POST, "/api/v1/users/{p0}/archive"),
    (Method::GET, "/api/v1/me/tokens"),
    (Method::POST, "/api/v1/me/tokens"),
    (Method::GET, "/api/v1/me/tokens/{p0}"),
    (Method::PUT, "/api/v1/me/tokens/{p0}"),
    (Method::DELETE, "/api/v1/me/tokens/{p0}"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{p0}", get(get_user).put(update_user))
        .route("/api/v1/users/{p0}/archive", post(archive_user))
        .route("/api/v1/me/tokens", get(list_tokens).post(create_token))
        .route(
            "/api/v1/me/tokens/{p0}",
            get(get_token).put(rename_token).delete(revoke_token),
        )
}

async fn list_users(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let items = all(|p| state.service.list_users(&who, ArchivedFilter::All, p)).await?;
    Ok(axum::Json(paged(
        items.iter().map(|u| views::user(u, None)).collect(),
        uri.query(),
    )?))
}

/// `isAdmin: true` makes an admin; Digisac's custom roles (`rolesId`) do not exist in Balcão.
fn role(body: &Value) -> Option<String> {
    boolean(body, "isAdmin").map(|admin| if admin { "admin".to_owned() } else { "agent".to_owned() })
}

async fn create_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let input = NewUser {
        name: text(&body, "name"),
        email: text(&body, "email"),
        password: text(&body, "password"),
        role: role(&body),
        department_ids: id_list(body.get("departmentsId").or(body.get("departmentIds")), "departmentsId")?,
    };
    Ok(axum::Json(views::user(
        &state.service.create_user(&who, input).await?,
        None,
    )))
}

async fn get_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::user(
        &state.service.get_user(&who, UserId(target)).await?,
        None,
    )))
}

async fn update_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let patch = UserPatch {
        name: text(&body, "name"),
        email: text(&body, "email"),
        password: text(&body, "password"),
        role: role(&body),
        department_ids: id_list(body.get("departmentsId").or(body.get("departmentIds")), "departmentsId")?,
    };
    Ok(axum::Json(views::user(
        &state.service.update_user(&who, UserId(target), patch).await?,
        None,
    )))
}

async fn archive_user(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let archive = boolean(&body, "archive").unwrap_or(true);
    let u = state.service.set_user_archived(&who, UserId(target), archive).await?;
    Ok(axum::Json(views::user(&u, None)))
}

fn token(t: &ApiToken, secret: Option<&str>) -> Value {
    let mut v = json!({
        "id": t.id, "name": t.name, "userId": t.user_id, "accountId": t.account_id,
        "expiresAt": t.expires_at, "lastUsedAt": t.last_used_at, "createdAt": t.created_at,
    });
    if let Some(s) = secret {
        v["token"] = json!(s);
    }
    v
}

async fn list_tokens(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let items = all(|p| state.service.list_tokens(&who, TokenScope::Mine, p)).await?;
    Ok(axum::Json(paged(
        items.iter().map(|t| token(t, None)).collect(),
        uri.query(),
    )?))
}

/// The token's value is in the answer's `token`, this once.
async fn create_token(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let created = state
        .service
        .create_token(
            &who,
            NewToken {
                name: text(&body, "name"),
                ..NewToken::default()
            },
        )
        .await?;
    Ok(axum::Json(token(&created.token, Some(&created.secret))))
}

async fn get_token(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(token(
        &state.service.get_token(&who, ApiTokenId(target)).await?,
        None,
    )))
}

async fn rename_token(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let t = state
        .service
        .rename_token(&who, ApiTokenId(target), text(&body, "name").as_deref())
        .await?;
    Ok(axum::Json(token(&t, None)))
}

async fn revoke_token(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let id = ApiTokenId(target);
    let t = state.service.get_token(&who, id).await?;
    state.service.revoke_token(&who, id).await?;
    Ok(axum::Json(token(&t, None)))
}
