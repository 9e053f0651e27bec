//! Digisac's services (Balcão's connections): list and read.

use axum::Router;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::get;
use balcao_core::ConnectionId;
use balcao_service::{ArchivedFilter, ListParams};
use serde_json::Value;

use super::query::{PER_PAGE_DEFAULT, PER_PAGE_MAX, spec_of};
use super::{Caller, DigisacError, envelope, views};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/services"),
    (Method::GET, "/api/v1/services/{p0}"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services", get(list))
        .route("/api/v1/services/{p0}", get(one))
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
