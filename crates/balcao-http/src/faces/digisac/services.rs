//! Digisac's services (Balcão's connections): list and read.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::{get, post};
use balcao_core::ConnectionId;
use balcao_service::{ArchivedFilter, ConnectionPatch, NewConnection};
use serde_json::Value;

use super::body::Body;
use super::directory::{all, paged};
use super::fields::{PathUuid, boolean, id, text};
use super::{Caller, DigisacError, views};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/services"),
    (Method::POST, "/api/v1/services"),
    (Method::GET, "/api/v1/services/{p0}"),
    (Method::PUT, "/api/v1/services/{p0}"),
    (Method::DELETE, "/api/v1/services/{p0}"),
    (Method::POST, "/api/v1/services/{p0}/archive"),
    (Method::POST, "/api/v1/services/{p0}/start"),
    (Method::POST, "/api/v1/services/{p0}/shutdown"),
    (Method::POST, "/api/v1/services/{p0}/restart"),
    (Method::POST, "/api/v1/services/{p0}/logout"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services", get(list).post(create))
        .route("/api/v1/services/{p0}", get(one).put(update).delete(archive_forever))
        .route("/api/v1/services/{p0}/archive", post(archive))
        .route("/api/v1/services/{p0}/start", post(start))
        .route("/api/v1/services/{p0}/shutdown", post(stop))
        .route("/api/v1/services/{p0}/restart", post(restart))
        .route("/api/v1/services/{p0}/logout", post(stop))
}

/// Every service of the account (an account has a handful), paged as Digisac pages.
async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let all = all(|p| state.service.list_connections(&who, None, ArchivedFilter::All, p)).await?;
    Ok(axum::Json(paged(
        all.iter().map(views::service).collect(),
        uri.query(),
    )?))
}

async fn one(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let c = state.service.get_connection(&who, ConnectionId(target)).await?;
    Ok(axum::Json(views::service(&c)))
}

/// `POST /services {name, type, defaultDepartmentId, settings?}`: `type` is Digisac's
/// (`whatsapp-business`, `telegram`, `webchat`, `email`); the channel's settings go in
/// `settings` (Digisac's `botId` has no counterpart and is ignored).
async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let kind = text(&body, "type").map(|t| views::balcao_connection_type(&t).map_or(t, |k| k.as_str().to_owned()));
    let input = NewConnection {
        kind,
        name: text(&body, "name"),
        default_department_id: id(&body, "defaultDepartmentId")?,
        settings: body.get("settings").cloned(),
    };
    Ok(axum::Json(views::service(
        &state.service.create_connection(&who, input).await?,
    )))
}

async fn update(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let patch = ConnectionPatch {
        name: text(&body, "name"),
        default_department_id: if body.get("defaultDepartmentId").is_some() {
            Some(id(&body, "defaultDepartmentId")?)
        } else {
            None
        },
        settings: body.get("settings").filter(|s| s.is_object()).cloned(),
    };
    Ok(axum::Json(views::service(
        &state
            .service
            .update_connection(&who, ConnectionId(target), patch)
            .await?,
    )))
}

async fn archive(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let archived = boolean(&body, "archive").unwrap_or(true);
    Ok(axum::Json(views::service(
        &state
            .service
            .set_connection_archived(&who, ConnectionId(target), archived)
            .await?,
    )))
}

/// Connections keep their contacts and history: deleting one archives it.
async fn archive_forever(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state
            .service
            .set_connection_archived(&who, ConnectionId(target), true)
            .await?,
    )))
}

async fn start(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state.service.start_connection(&who, ConnectionId(target)).await?,
    )))
}

/// `shutdown` and `logout` both stop the connection (the Cloud API has no session to log out of).
async fn stop(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state.service.stop_connection(&who, ConnectionId(target)).await?,
    )))
}

async fn restart(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state.service.restart_connection(&who, ConnectionId(target)).await?,
    )))
}
