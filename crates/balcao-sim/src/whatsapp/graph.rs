//! The HTTP router: Graph API dispatch (token check, version segment, objects and edges) and request recording.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Map, Value, json};

use super::errors::GraphError;
use super::{RecordedRequest, WhatsappSim, control, media, send, templates};

/// Uploads can be up to 100 MB (documents); leave room for the multipart framing.
const MAX_UPLOAD: usize = 110 * 1024 * 1024;

pub(crate) fn router(sim: WhatsappSim) -> Router {
    Router::new()
        .route("/_sim", get(control::info))
        .route("/_sim/webhook", put(control::set_webhook))
        .route("/_sim/customers/{wa_id}/messages", post(control::customer_message))
        .route("/_sim/sent", get(control::sent))
        .route("/_sim/deliveries", get(control::deliveries))
        .route("/_sim/requests", get(control::requests))
        .route("/_sim/faults", post(control::fault))
        .route("/_sim/templates", get(control::templates))
        .route("/_sim/templates/review", post(control::review_template))
        .route(
            "/_sim/templates/{name}",
            axum::routing::delete(control::remove_template),
        )
        .fallback(dispatch)
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
        .with_state(sim)
}

/// Every request that is not for the control API: answers it and records it. The work runs in its own task, so a
/// client that gives up (e.g. times out on a delayed answer) does not cancel it: as on Meta's side, the call is
/// still carried out.
async fn dispatch(State(sim): State<WhatsappSim>, request: Request) -> Response {
    let task = tokio::spawn(async move {
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        let response = route(&sim, request).await;
        let status = response.status().as_u16();
        sim.update(|s| s.requests.push(RecordedRequest { method, path, status }));
        response
    });
    match task.await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "graph request handler failed");
            GraphError::code(131000).into_response()
        }
    }
}

async fn route(sim: &WhatsappSim, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let method = request.method().clone();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();

    if segments == ["whatsapp_business", "attachments"] && (method == Method::GET || method == Method::HEAD) {
        return media::download(sim, request.headers(), &query);
    }
    if !token_ok(sim, request.headers(), &query) {
        return GraphError::bad_token().into_response();
    }
    let Some((version, rest)) = segments.split_first() else {
        return GraphError::unknown_path(&path).into_response();
    };
    if !is_version(version) {
        return GraphError::unknown_path(&path).into_response();
    }
    let config = &sim.inner.config;
    match (&method, rest) {
        (m, [id, "messages"]) if m == Method::POST => {
            if *id != config.phone_number_id {
                return GraphError::unsupported("post", id).into_response();
            }
            send::messages(sim, request).await
        }
        (m, [id, "media"]) if m == Method::POST => {
            if *id != config.phone_number_id {
                return GraphError::unsupported("post", id).into_response();
            }
            media::upload(sim, request).await
        }
        (m, [id, "message_templates"]) if *id == config.waba_id && m == Method::GET => templates::list(sim, &query),
        (m, [id, "message_templates"]) if *id == config.waba_id && m == Method::POST => {
            templates::create(sim, request).await
        }
        (m, [id]) if m == Method::GET => {
            if *id == config.phone_number_id {
                phone_number(sim, &query)
            } else if let Some(template) = sim.template_by_id(id) {
                templates::get(&template)
            } else {
                media::info(sim, id)
            }
        }
        (m, [id]) if m == Method::POST && sim.template_by_id(id).is_some() => {
            let id = (*id).to_owned();
            templates::edit(sim, &id, request).await
        }
        (m, [id]) if m == Method::DELETE => media::delete(sim, id),
        (m, [id, ..]) => {
            let known = *id == config.phone_number_id || *id == config.waba_id || sim.state().media.contains_key(*id);
            if known {
                let edge = rest[1..].join("/");
                GraphError::unknown_path(&format!("/{edge}")).into_response()
            } else {
                GraphError::unsupported(m.as_str(), id).into_response()
            }
        }
        _ => GraphError::unknown_path(&path).into_response(),
    }
}

/// `v<digits>.<digits>`.
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(major) && all_digits(minor)
}

/// The access token from `Authorization: Bearer ..` (or the `access_token` query parameter, as the Graph API also
/// accepts) matches.
pub(crate) fn token_ok(sim: &WhatsappSim, headers: &HeaderMap, query: &str) -> bool {
    let expected = sim.inner.config.access_token.as_str();
    if let Some(value) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth") => {
                token.trim()
            }
            _ => return false,
        };
        return token == expected;
    }
    query_param(query, "access_token").is_some_and(|token| token == expected)
}

/// A raw query parameter's value (no percent-decoding; the values this simulator reads never need it).
pub(crate) fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

const PHONE_FIELDS: &[&str] = &[
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "webhook_configuration",
    "name_status",
    "messaging_limit_tier",
    "is_official_business_account",
    "account_mode",
    "status",
    "id",
];

/// `GET /{version}/{phone-number-id}` (optionally `?fields=a,b`).
fn phone_number(sim: &WhatsappSim, query: &str) -> Response {
    let config = &sim.inner.config;
    let webhook = sim.webhook_url();
    let value = |field: &str| -> Value {
        match field {
            "verified_name" => json!(config.verified_name),
            "code_verification_status" => json!("VERIFIED"),
            "display_phone_number" => json!(config.display_phone_number),
            "quality_rating" => json!("GREEN"),
            "platform_type" => json!("CLOUD_API"),
            "throughput" => json!({"level": "STANDARD"}),
            "webhook_configuration" => json!({"application": webhook}),
            "name_status" => json!("APPROVED"),
            "messaging_limit_tier" => json!("TIER_1K"),
            "is_official_business_account" => json!(false),
            "account_mode" => json!("LIVE"),
            "status" => json!("CONNECTED"),
            _ => json!(config.phone_number_id),
        }
    };
    let requested: Vec<String> = match query_param(query, "fields") {
        Some(fields) => fields
            .replace("%2C", ",")
            .replace("%2c", ",")
            .split(',')
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect(),
        None => PHONE_FIELDS[..6].iter().map(|f| (*f).to_owned()).collect(),
    };
    let mut body = Map::new();
    for field in &requested {
        if !PHONE_FIELDS.contains(&field.as_str()) {
            let mut error = GraphError::invalid("");
            error.details = None;
            error.message = format!(
                "(#100) Tried accessing nonexisting field ({field}) on node type (WhatsAppBusinessPhoneNumber)"
            );
            return error.into_response();
        }
        body.insert(field.clone(), value(field));
    }
    body.insert("id".to_owned(), value("id"));
    axum::Json(Value::Object(body)).into_response()
}
