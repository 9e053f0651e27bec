//! Balcão's HTTP side: every face is a thin translator onto the service layer.
//!
//! - [`api`]: the native REST API under `/api/v1` (JSON, snake_case, RFC 9457 problems), its
//!   generated OpenAPI document and the offline docs page at `/api/docs`.
//! - [`ops`]: `/healthz`, `/readyz` and `/metrics`.
//! - [`webhooks`]: where channels deliver (`/webhooks/whatsapp/{connection_id}`).
//!
//! Vendor-compatible faces (`/digisac`, `/poli`, `/wegly`) and the agent web app mount beside
//! these as their own modules with their own error shapes.

pub mod api;
pub mod extract;
pub mod faces;
pub mod metrics;
pub mod ops;
pub mod problem;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use balcao_service::Service;

/// What the HTTP layer needs to know beyond the service.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Largest request body accepted, in bytes; larger ones answer 413.
    pub body_limit: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    /// How often an idle realtime stream gets a heartbeat.
    pub stream_heartbeat: std::time::Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            trust_forwarded_for: false,
            stream_heartbeat: std::time::Duration::from_secs(15),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub settings: Arc<HttpSettings>,
    pub metrics: Arc<metrics::Metrics>,
    /// Turns true when the server begins shutting down: long-lived responses (realtime
    /// streams) end then, so the graceful shutdown is not held up by them.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// The whole HTTP application; `shutdown` turning true ends its open streams.
pub fn router(service: Service, settings: HttpSettings, shutdown: tokio::sync::watch::Receiver<bool>) -> Router {
    let body_limit = settings.body_limit;
    let state = AppState {
        service,
        shutdown,
        settings: Arc::new(settings),
        metrics: Arc::new(metrics::Metrics::default()),
    };
    Router::new()
        .merge(api::router())
        .merge(ops::router())
        .merge(webhooks::router())
        .merge(faces::digisac::router())
        .fallback(problem::route_not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}
