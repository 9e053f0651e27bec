//! Digisac's services (Balcão's connections): list and read.

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use balcao_core::ConnectionId;
use balcao_service::{ArchivedFilter, ConnectionPatch, ListParams, NewConnection};
use serde_json::Value;

use super::body::Body;
use super::contacts::{boolean, id, text};
use super::query::{PER_PAGE_DEFAULT, PER_PAGE_MAX, spec_of};
use super::{Caller, DigisacError, envelope, views};
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
    let spec = spec_of(uri.query())?;
    let number = |key: &str, default: u64| {
        spec.get(key)
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .unwrap_or(default)
    };
    let page = number("page", 1).max(1);
    let per_page = number("perPage", PER_PAGE_DEFAULT).clamp(1, PER_PAGE_MAX);
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let params = ListParams {
            after,
            cursor: None,
            limit: Some(100),
        };
        let batch = state
            .service
            .list_connections(&who, None, ArchivedFilter::All, params)
            .await?;
        all.extend(batch.items);
        match batch.next_after {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    let total = all.len() as u64;
    let data = all
        .iter()
        .skip(usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .map(views::service)
        .collect();
    Ok(axum::Json(envelope(data, total, page, per_page)))
}

async fn one(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<axum::Json<Value>, DigisacError> {
    let id = uuid::Uuid::parse_str(&raw).map_err(|_| DigisacError::new(StatusCode::NOT_FOUND, "Not found."))?;
    let c = state.service.get_connection(&who, ConnectionId(id)).await?;
    Ok(axum::Json(views::service(&c)))
}

fn service_id(raw: &str) -> Result<ConnectionId, DigisacError> {
    uuid::Uuid::parse_str(raw)
        .map(ConnectionId)
        .map_err(|_| DigisacError::new(StatusCode::NOT_FOUND, "Not found."))
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
    Path(raw): Path<String>,
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
        &state.service.update_connection(&who, service_id(&raw)?, patch).await?,
    )))
}

async fn archive(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let archived = boolean(&body, "archive").unwrap_or(true);
    Ok(axum::Json(views::service(
        &state
            .service
            .set_connection_archived(&who, service_id(&raw)?, archived)
            .await?,
    )))
}

/// Connections keep their contacts and history: deleting one archives it.
async fn archive_forever(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state
            .service
            .set_connection_archived(&who, service_id(&raw)?, true)
            .await?,
    )))
}

async fn start(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state.service.start_connection(&who, service_id(&raw)?).await?,
    )))
}

/// `shutdown` and `logout` both stop the connection (the Cloud API has no session to log out of).
async fn stop(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state.service.stop_connection(&who, service_id(&raw)?).await?,
    )))
}

async fn restart(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(raw): Path<String>,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::service(
        &state.service.restart_connection(&who, service_id(&raw)?).await?,
    )))
}
