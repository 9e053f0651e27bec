//! `/api/v1/events`: the realtime stream (Server-Sent Events) of what happens in the account.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use balcao_core::Timestamp;
use balcao_service::{LiveEvent, Viewer};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::extract::{Auth, bearer_principal};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stream_ticket))
        .routes(routes!(event_stream))
}

#[derive(Serialize, ToSchema)]
struct StreamTicket {
    /// Opens the caller's stream as `?ticket=`, on any instance, for a minute.
    ticket: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Timestamp,
    /// The stream's path with the ticket, ready for `new EventSource(...)`.
    url: String,
}

/// A short-lived ticket to open the realtime stream from a browser's `EventSource`, which
/// cannot send an `Authorization` header.
#[utoipa::path(post, path = "/events/stream-ticket", tag = "events", security(("bearer" = [])),
    responses((status = 200, body = StreamTicket), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn stream_ticket(State(state): State<AppState>, Auth(who): Auth) -> Result<Json<StreamTicket>, ApiError> {
    let (ticket, expires_at) = state.service.stream_ticket(&who).await?;
    let url = format!("/api/v1/events/stream?ticket={ticket}");
    Ok(Json(StreamTicket {
        ticket,
        expires_at,
        url,
    }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// A stream ticket (instead of the `Authorization` header).
    ticket: Option<String>,
    /// Resume after this event (as the `Last-Event-ID` header does).
    last_event_id: Option<Uuid>,
}

/// What a stream still has to send.
struct StreamState {
    viewer: Viewer,
    replay: VecDeque<LiveEvent>,
    replayed: HashSet<Uuid>,
    live: broadcast::Receiver<Arc<LiveEvent>>,
    /// Live events at or before this id came before the stream's start.
    after: Uuid,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

fn sse_event(e: &LiveEvent) -> Event {
    Event::default()
        .id(e.event.id.0.to_string())
        .event(e.event.name.as_str())
        .data(&*e.json)
}

fn events(state: StreamState) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(state, |mut s| async move {
        if let Some(e) = s.replay.pop_front() {
            let event = sse_event(&e);
            return Some((Ok(event), s));
        }
        loop {
            if *s.shutdown.borrow() {
                return None;
            }
            let received = tokio::select! {
                r = s.live.recv() => r,
                // The server is stopping: end the stream (the client reconnects elsewhere).
                _ = s.shutdown.changed() => return None,
            };
            match received {
                Ok(e) if e.event.id.0 <= s.after || s.replayed.contains(&e.event.id.0) || !s.viewer.may_see(&e) => {
                    continue;
                }
                Ok(e) => {
                    let event = sse_event(&e);
                    return Some((Ok(event), s));
                }
                // Too slow to keep up: end the stream; the client resumes with Last-Event-ID
                // and gets the gap replayed.
                Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => {
                    return None;
                }
            }
        }
    })
}

/// The account's events as they happen (Server-Sent Events): `id` is the event's id,
/// `event` its name, `data` the same JSON as a webhook delivery. Admins and supervisors get
/// every event; agents those of their departments' tickets (and tickets assigned to them or
/// in no department) and of contacts, tags and connections. Resume with `Last-Event-ID` (or
/// `?last_event_id=`): the events after it are replayed first. A comment line arrives as a
/// heartbeat when nothing else does.
#[utoipa::path(get, path = "/events/stream", tag = "events", params(StreamQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "the stream"),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn event_stream(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<StreamQuery>) -> Response {
    let who = match &q.ticket {
        Some(ticket) => state
            .service
            .authenticate_stream_ticket(ticket)
            .await
            .map_err(ApiError::from),
        None => bearer_principal(&state, &headers).await,
    };
    let who = match who {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok())
        .or(q.last_event_id);
    let opened = match state.service.open_stream(&who, last).await {
        Ok(opened) => opened,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let replayed = opened.replay.iter().map(|e| e.event.id.0).collect();
    let stream = events(StreamState {
        viewer: opened.viewer,
        replay: opened.replay.into(),
        replayed,
        live: opened.live,
        after: opened.after,
        shutdown: state.shutdown.clone(),
    });
    Sse::new(stream)
        .keep_alive(
            KeepAlive::new()
                .interval(state.settings.stream_heartbeat)
                .text("heartbeat"),
        )
        .into_response()
}
