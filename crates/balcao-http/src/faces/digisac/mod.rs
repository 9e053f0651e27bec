//! The Digisac-compatible face, under `/digisac`: a Digisac client keeps working after its
//! base URL becomes `http://<host>/digisac`. Requests are parsed as Digisac's clients send
//! them, the same service layer does the work, and answers take Digisac's shapes (camelCase
//! objects, the `{data,total,limit,skip,currentPage,lastPage,from,to}` list envelope, errors
//! `{error,message,status}`). Ids are Balcão's ids.

mod body;
pub mod catalog;
mod contacts;
mod directory;
mod exports;
mod fields;
pub mod hooks;
mod me;
mod messages;
mod now;
mod pdf;
mod people;
pub mod query;
mod records;
mod reusable;
mod services;
mod tickets;
mod views;

use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use balcao_service::{Principal, ServiceError};
use serde_json::json;

use crate::AppState;
use crate::problem::ApiError;

/// An error in Digisac's shape: `{"error": "<Kind>HttpError", "message", "status"}`.
#[derive(Debug)]
pub struct DigisacError {
    pub status: StatusCode,
    pub message: String,
}

impl DigisacError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        DigisacError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn kind(&self) -> &'static str {
        match self.status {
            StatusCode::BAD_REQUEST => "BadRequestHttpError",
            StatusCode::UNAUTHORIZED => "HttpError",
            StatusCode::FORBIDDEN => "ForbiddenHttpError",
            StatusCode::NOT_FOUND => "NotFoundHttpError",
            StatusCode::CONFLICT => "ConflictHttpError",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLargeHttpError",
            StatusCode::TOO_MANY_REQUESTS => "TooManyRequestsHttpError",
            StatusCode::NOT_IMPLEMENTED => "NotImplementedHttpError",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowedHttpError",
            StatusCode::BAD_GATEWAY => "BadGatewayHttpError",
            _ => "InternalServerError",
        }
    }
}

impl IntoResponse for DigisacError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.kind(), "message": self.message, "status": self.status.as_u16()});
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<ApiError> for DigisacError {
    fn from(e: ApiError) -> Self {
        let message = match e.status {
            StatusCode::UNAUTHORIZED => "Invalid token: access token is invalid".to_owned(),
            StatusCode::NOT_FOUND => "Not found.".to_owned(),
            _ if !e.errors.is_empty() => e
                .errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            _ => e.detail,
        };
        // Digisac answers bad input with 400, including what the native API calls 422.
        let status = if e.status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            e.status
        };
        DigisacError { status, message }
    }
}

impl From<ServiceError> for DigisacError {
    fn from(e: ServiceError) -> Self {
        ApiError::from(e).into()
    }
}

/// The caller, by `Authorization: Bearer` (Balcão's access and personal tokens).
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
{
    type Rejection = DigisacError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        Ok(Caller(crate::extract::bearer_principal(&app, &parts.headers).await?))
    }
}

/// The list envelope: `{data, total, limit, skip, currentPage, lastPage, from, to}`.
pub fn envelope(data: Vec<serde_json::Value>, total: u64, page: u64, per_page: u64) -> serde_json::Value {
    let skip = (page - 1) * per_page;
    let count = data.len() as u64;
    let mut envelope = json!({
        "total": total,
        "limit": per_page,
        "skip": skip,
        "currentPage": page,
        "lastPage": total.div_ceil(per_page).max(1),
        "from": if count == 0 { 0 } else { skip + 1 },
        "to": skip + count,
    });
    // Moved in, not through `json!`, which would copy the whole page (`to_value` of a value).
    envelope["data"] = serde_json::Value::Array(data);
    envelope
}

/// `{"data": [...]}`, the items moved in.
pub fn data_only(items: Vec<serde_json::Value>) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("data".into(), serde_json::Value::Array(items));
    serde_json::Value::Object(map)
}

/// A list request's answer: the rendered records cut to the asked `attributes`, in the envelope.
pub fn listed<F>(spec: &query::ListSpec<F>, data: Vec<serde_json::Value>, total: u64) -> serde_json::Value {
    let data = data
        .into_iter()
        .map(|v| views::project(v, spec.attributes.as_deref()))
        .collect();
    envelope(data, total, spec.page, spec.per_page)
}

fn method_filter(method: &str) -> Option<MethodFilter> {
    Some(match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => return None,
    })
}

/// Routes this face serves, as (method, path): every other catalogued route answers 501.
fn served() -> Vec<(Method, &'static str)> {
    let mut all = Vec::new();
    all.extend(me::SERVED);
    all.extend(contacts::SERVED);
    all.extend(services::SERVED);
    all.extend(messages::SERVED);
    all.extend(tickets::SERVED);
    all.extend(directory::SERVED);
    all.extend(people::SERVED);
    all.extend(hooks::SERVED);
    all.extend(now::SERVED);
    all.extend(exports::SERVED);
    all.extend(records::SERVED);
    all.extend(reusable::SERVED);
    all.iter().map(|(m, p)| (m.clone(), *p)).collect()
}

/// A catalogue path with its parameters renamed by position (`{p0}`, `{p1}`, ...): Digisac's
/// collection names one parameter differently in different routes.
pub fn canonical(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    let mut n = 0;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        out.push_str(&format!("{{p{n}}}"));
        n += 1;
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

pub fn router() -> Router<AppState> {
    let served = served();
    let mut api = Router::new()
        .merge(me::router())
        .merge(contacts::router())
        .merge(services::router())
        .merge(messages::router())
        .merge(tickets::router())
        .merge(directory::router())
        .merge(people::router())
        .merge(hooks::router())
        .merge(now::router())
        .merge(exports::router())
        .merge(records::router())
        .merge(reusable::router());
    // Where the catalogue lists one route twice (under two categories), the entry whose
    // capability exists answers.
    let mut entries: Vec<_> = catalog::ROUTES.iter().collect();
    entries.sort_by_key(|(_, _, _, missing)| missing.is_some());
    let mut registered = std::collections::HashSet::new();
    for (method, path, category, missing) in entries {
        let Some(filter) = method_filter(method) else { continue };
        let route = canonical(path);
        if served.iter().any(|(m, p)| m.as_str() == *method && *p == route) {
            continue;
        }
        if !registered.insert((*method, route.clone())) {
            continue;
        }
        let message = match missing {
            Some(capability) => format!(
                "{capability} is not available in Balcão yet ({method} {path}, Digisac category \"{category}\")"
            ),
            None => format!("{method} {path} of the Digisac API is not served by Balcão yet"),
        };
        api = api.route(
            &route,
            on(filter, move || {
                let message = message.clone();
                async move { DigisacError::new(StatusCode::NOT_IMPLEMENTED, message) }
            }),
        );
    }
    // A request no route matches is tried once more under its normalised path, on a copy of
    // the routes whose own fallback is the plain 404.
    let again = api
        .clone()
        .fallback(|request: axum::extract::Request| async move { not_found(&request) });
    let api = api.fallback(
        move |axum::extract::State(state): axum::extract::State<AppState>, request| {
            retry_normalized(again.clone().with_state(state), request)
        },
    );
    Router::new().nest("/digisac", api)
}

/// A path as Digisac's documented requests end up once a base URL is put in front of them:
/// repeated slashes collapsed (a base URL ending in `/` before `/api/v1/...`) and `/api/v1`
/// put in front of a path that has neither it nor `/pdf` (one documented request leaves it out).
fn normalized(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 7);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    if !(out.starts_with("/api/") || out.starts_with("/pdf/")) {
        out.insert_str(0, "/api/v1");
    }
    out
}

/// Sends `request` to `routes` under its normalised path, or answers 404 when normalising
/// changes nothing.
async fn retry_normalized(routes: Router, request: axum::extract::Request) -> Response {
    use tower::ServiceExt as _;
    let original = match request.extensions().get::<axum::extract::OriginalUri>() {
        Some(original) => original.path().to_owned(),
        None => request.uri().path().to_owned(),
    };
    let path = original.strip_prefix("/digisac").unwrap_or(&original);
    let normal = normalized(path);
    if normal == path {
        return not_found(&request).into_response();
    }
    let target = match request.uri().query() {
        Some(q) => format!("{normal}?{q}"),
        None => normal,
    };
    let Ok(uri) = target.parse::<axum::http::Uri>() else {
        return not_found(&request).into_response();
    };
    let (mut parts, body) = request.into_parts();
    parts.uri = uri;
    match routes.oneshot(axum::extract::Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Digisac's answer for a path it does not serve, naming the path as the client sent it.
fn not_found(request: &axum::extract::Request) -> DigisacError {
    let path = match request.extensions().get::<axum::extract::OriginalUri>() {
        Some(original) => original.path().to_owned(),
        None => request.uri().path().to_owned(),
    };
    DigisacError::new(StatusCode::NOT_FOUND, format!("Cannot {} {path}", request.method()))
}
