//! Digisac's WhatsApp templates (`whatsapp-business-templates`) and interactive messages.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::{get, post};
use balcao_core::{InteractiveTemplateId, TemplateId};
use balcao_service::{NewInteractive, NewTemplate, TemplatePatch};
use serde_json::{Value, json};

use super::body::Body;
use super::directory::paged;
use super::fields::{PathUuid, id, text};
use super::query::spec_of;
use super::{Caller, DigisacError};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/whatsapp-business-templates"),
    (Method::POST, "/api/v1/whatsapp-business-templates"),
    (Method::GET, "/api/v1/whatsapp-business-templates/count"),
    (Method::GET, "/api/v1/whatsapp-business-templates/{p0}"),
    (Method::PUT, "/api/v1/whatsapp-business-templates/{p0}"),
    (Method::DELETE, "/api/v1/whatsapp-business-templates/{p0}"),
    (Method::POST, "/api/v1/whatsapp-business-templates/{p0}/send-to-review"),
    (Method::POST, "/api/v1/whatsapp-business-templates/refresh-templates"),
    (Method::GET, "/api/v1/interactive-messages"),
    (Method::POST, "/api/v1/interactive-messages"),
    (Method::GET, "/api/v1/interactive-messages/{p0}"),
    (Method::DELETE, "/api/v1/interactive-messages/{p0}"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/whatsapp-business-templates",
            get(list_templates).post(create_template),
        )
        .route("/api/v1/whatsapp-business-templates/count", get(count_templates))
        .route(
            "/api/v1/whatsapp-business-templates/{p0}",
            get(get_template).put(update_template).delete(delete_template),
        )
        .route(
            "/api/v1/whatsapp-business-templates/{p0}/send-to-review",
            post(send_to_review),
        )
        .route(
            "/api/v1/whatsapp-business-templates/refresh-templates",
            post(refresh_templates),
        )
        .route(
            "/api/v1/interactive-messages",
            get(list_interactive).post(create_interactive),
        )
        .route(
            "/api/v1/interactive-messages/{p0}",
            get(get_interactive).delete(delete_interactive),
        )
}

type Json = Result<axum::Json<Value>, DigisacError>;

/// A template as Digisac shows it: Meta's upper-case status and category.
fn template(t: &balcao_core::template::WhatsappTemplate) -> Value {
    json!({
        "id": t.id, "name": t.name, "internalName": t.name, "language": t.language,
        "category": t.category.as_str().to_uppercase(), "status": t.status.as_str().to_uppercase(),
        "rejectedReason": t.rejection_reason, "components": t.components, "serviceId": t.connection_id,
        "externalId": t.external_id,
        "messageType": "text_only", "namespace": "", "accountId": t.account_id,
        "createdAt": t.created_at, "updatedAt": t.updated_at,
    })
}

/// `serviceId` and `status` narrow the list (`status` in Meta's upper case or Balcão's).
async fn filtered(
    state: &AppState,
    who: &balcao_service::Principal,
    raw_query: Option<&str>,
) -> Result<Vec<Value>, DigisacError> {
    let spec = Value::Object(spec_of(raw_query)?);
    let service = id(&spec, "serviceId")?.or(id(&spec["where"], "serviceId")?);
    let status = text(&spec, "status")
        .or_else(|| text(&spec["where"], "status"))
        .map(|s| s.to_lowercase());
    let list = state.service.list_templates(who, service, status.as_deref()).await?;
    Ok(list.iter().map(template).collect())
}

async fn list_templates(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Json {
    let items = filtered(&state, &who, uri.query()).await?;
    Ok(axum::Json(paged(items, uri.query())?))
}

/// `{"count": n}` of the templates the same filters select.
async fn count_templates(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Json {
    Ok(axum::Json(
        json!({"count": filtered(&state, &who, uri.query()).await?.len()}),
    ))
}

/// A new template starts as a `DRAFT`; `send-to-review` sends it to Meta.
async fn create_template(State(state): State<AppState>, Caller(who): Caller, Body(body): Body) -> Json {
    let input = NewTemplate {
        connection_id: id(&body, "serviceId")?,
        name: text(&body, "name"),
        language: text(&body, "language"),
        category: text(&body, "category").map(|c| c.to_lowercase()),
        components: body.get("components").cloned(),
    };
    Ok(axum::Json(template(&state.service.create_template(&who, input).await?)))
}

async fn get_template(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    Ok(axum::Json(template(
        &state.service.get_template(&who, TemplateId(target)).await?,
    )))
}

/// Changes name and language (drafts only), category and components; a template Meta has
/// goes back to Meta's review.
async fn update_template(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Json {
    let patch = TemplatePatch {
        name: text(&body, "name"),
        language: text(&body, "language"),
        category: text(&body, "category").map(|c| c.to_lowercase()),
        components: body.get("components").filter(|c| !c.is_null()).cloned(),
    };
    Ok(axum::Json(template(
        &state.service.update_template(&who, TemplateId(target), patch).await?,
    )))
}

/// "Enviar template para aprovação": the template goes to Meta's review on the connection's
/// WhatsApp Business Account.
async fn send_to_review(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    Ok(axum::Json(template(
        &state.service.submit_template(&who, TemplateId(target)).await?,
    )))
}

/// "Sincronizar templates com o provedor": `serviceId` (body or query) names the connection
/// whose WhatsApp Business Account is read; answers its templates after the sync.
async fn refresh_templates(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
    Body(body): Body,
) -> Json {
    let params = Value::Object(spec_of(uri.query())?);
    let service = id(&body, "serviceId")?.or(id(&params, "serviceId")?);
    if service.is_none() {
        return Err(DigisacError::bad_request(
            "`serviceId` names the connection whose templates to sync",
        ));
    }
    let list = state.service.sync_templates(&who, service).await?;
    Ok(axum::Json(Value::Array(list.iter().map(template).collect())))
}

async fn delete_template(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    let id = TemplateId(target);
    let t = state.service.get_template(&who, id).await?;
    state.service.delete_template(&who, id).await?;
    Ok(axum::Json(template(&t)))
}

fn interactive(t: &balcao_core::template::InteractiveTemplate) -> Value {
    let mut inner = json!({"type": t.kind, "action": t.action, "body": {"text": t.body}});
    if let Some(h) = &t.header {
        inner["header"] = json!({"type": "text", "text": h});
    }
    if let Some(f) = &t.footer {
        inner["footer"] = json!({"text": f});
    }
    json!({"id": t.id, "name": t.name, "interactive": inner, "file": null, "accountId": t.account_id,
           "createdAt": t.created_at, "updatedAt": t.updated_at})
}

async fn list_interactive(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Json {
    let items = state.service.list_interactive(&who).await?;
    Ok(axum::Json(paged(items.iter().map(interactive).collect(), uri.query())?))
}

/// `{name, interactive: {type, header{text}, body{text}, footer{text}, action}}`; list rows
/// without an `id` get one from their position (Meta needs one). Digisac's `departments` and
/// `file` are not kept.
async fn create_interactive(State(state): State<AppState>, Caller(who): Caller, Body(body): Body) -> Json {
    let i = &body["interactive"];
    let mut action = i["action"].clone();
    if let Some(sections) = action["sections"].as_array_mut() {
        for (s, section) in sections.iter_mut().enumerate() {
            if let Some(rows) = section["rows"].as_array_mut() {
                for (r, row) in rows.iter_mut().enumerate() {
                    if row.get("id").is_none_or(Value::is_null) {
                        row["id"] = json!(format!("{}-{}", s + 1, r + 1));
                    }
                }
            }
        }
    }
    if let Some(buttons) = action["buttons"].as_array_mut() {
        for (b, button) in buttons.iter_mut().enumerate() {
            // Meta's shape `{type: reply, reply: {id, title}}`, or Balcão's `{id, title}`.
            if let Some(reply) = button.get("reply").cloned() {
                *button = reply;
            }
            if button.get("id").is_none_or(Value::is_null) {
                button["id"] = json!((b + 1).to_string());
            }
        }
    }
    let input = NewInteractive {
        name: text(&body, "name"),
        kind: text(i, "type"),
        header: text(&i["header"], "text"),
        body: text(&i["body"], "text"),
        footer: text(&i["footer"], "text"),
        action: Some(action),
    };
    Ok(axum::Json(interactive(
        &state.service.create_interactive(&who, input).await?,
    )))
}

async fn get_interactive(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    let t = state
        .service
        .get_interactive(&who, InteractiveTemplateId(target))
        .await?;
    Ok(axum::Json(interactive(&t)))
}

async fn delete_interactive(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    let id = InteractiveTemplateId(target);
    let t = state.service.get_interactive(&who, id).await?;
    state.service.delete_interactive(&who, id).await?;
    Ok(axum::Json(interactive(&t)))
}
