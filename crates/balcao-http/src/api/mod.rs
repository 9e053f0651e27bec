//! The native REST API under `/api/v1`: JSON in snake_case, keyset-paginated lists
//! (`{"data": [...], "next_after": id|null}` with `?after=&limit=`), RFC 9457 problems.

mod connections;
mod contacts;
mod custom_fields;
mod departments;
mod directory;
mod events;
mod me;
mod media;
mod messages;
mod oauth;
mod reusable;
mod tags;
mod tickets;
mod tokens;
mod users;
mod views;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Balcão API",
        description = "Native REST API of Balcão, the self-hosted customer-service platform. \
            Authenticate with `Authorization: Bearer <token>`: an access token from \
            `POST /api/v1/oauth/token`, or a personal API token from `POST /api/v1/tokens`. \
            Errors are RFC 9457 problem documents with a stable `code`.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Logging in and out"),
        (name = "me", description = "The caller"),
        (name = "users", description = "People of the account: admins, supervisors, agents"),
        (name = "departments", description = "Teams that tickets are routed to"),
        (name = "tokens", description = "Personal API tokens"),
        (name = "connections", description = "Channel accounts: WhatsApp numbers, Telegram bots, webchat widgets, mailboxes"),
        (name = "contacts", description = "Customers and groups reached through a connection"),
        (name = "tags", description = "Labels put on contacts"),
        (name = "tickets", description = "Conversations with a contact, from opening to resolution, and their closing topics"),
        (name = "messages", description = "Messages to and from contacts, internal notes, delivery"),
        (name = "templates", description = "WhatsApp templates, interactive templates and quick replies"),
        (name = "webhooks", description = "Subscriptions to events, their deliveries and tries"),
        (name = "events", description = "The realtime stream of the account's events")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The native API with its OpenAPI document, generated from the handlers' annotations.
pub fn openapi_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        OpenApiRouter::new()
            .merge(oauth::router())
            .merge(me::router())
            .merge(users::router())
            .merge(departments::router())
            .merge(tokens::router())
            .merge(connections::router())
            .merge(contacts::router())
            .merge(custom_fields::router())
            .merge(directory::router())
            .merge(tags::router())
            .merge(tickets::router())
            .merge(messages::router())
            .merge(media::router())
            .merge(reusable::router())
            .merge(webhooks::router())
            .merge(events::router()),
    )
}

pub fn router() -> Router<AppState> {
    let (router, openapi) = openapi_router().split_for_parts();
    // Rendered once: the document does not change while the server runs.
    let json: Arc<str> = Arc::from(openapi.to_pretty_json().unwrap_or_default());
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let json = json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], json.to_string()) }
            }),
        )
        .route("/api/docs", get(docs_page))
}

/// A readable reference of the API, rendered in the browser from `/api/v1/openapi.json`
/// by a script inside the page: nothing is loaded from elsewhere.
async fn docs_page() -> impl IntoResponse {
    Html(include_str!("docs.html"))
}
