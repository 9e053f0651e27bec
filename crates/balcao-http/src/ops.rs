//! Operations endpoints: liveness, readiness and metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;
use crate::problem::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#)
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    match state.service.ready().await {
        Ok(()) => Ok(([(header::CONTENT_TYPE, "application/json")], r#"{"status":"ready"}"#)),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database is not reachable",
            ))
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render();
    text.push_str("# HELP balcao_db_statements_total SQL statements run by this process.\n");
    text.push_str("# TYPE balcao_db_statements_total counter\n");
    text.push_str(&format!(
        "balcao_db_statements_total {}\n",
        state.service.store().statements()
    ));
    let inbound = state.service.inbound_counts();
    for (name, help, value) in [
        (
            "balcao_inbound_notifications_total",
            "Channel notifications carrying messages, committed in groups.",
            inbound.notifications,
        ),
        (
            "balcao_inbound_groups_total",
            "Groups of inbound notifications committed together.",
            inbound.groups,
        ),
        (
            "balcao_inbound_groups_retried_total",
            "Inbound groups whose transaction failed and whose notifications were stored one by one.",
            inbound.retried,
        ),
    ] {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
        ));
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
}
