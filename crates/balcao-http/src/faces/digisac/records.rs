//! Digisac's custom fields, organizations, people and quick replies.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::get;
use balcao_core::{CustomFieldId, OrganizationId, PersonId, QuickReplyId};
use balcao_service::{ArchivedFilter, CustomFieldPatch, DirectoryInput, NewCustomField, QuickReplyInput};
use serde_json::{Value, json};
use uuid::Uuid;

use super::body::Body;
use super::directory::{all, paged};
use super::fields::{PathUuid, id_list, text};
use super::{Caller, DigisacError};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/custom-fields"),
    (Method::POST, "/api/v1/custom-fields"),
    (Method::GET, "/api/v1/custom-fields/{p0}"),
    (Method::PUT, "/api/v1/custom-fields/{p0}"),
    (Method::DELETE, "/api/v1/custom-fields/{p0}"),
    (Method::GET, "/api/v1/organizations"),
    (Method::POST, "/api/v1/organizations"),
    (Method::GET, "/api/v1/organizations/{p0}"),
    (Method::PUT, "/api/v1/organizations/{p0}"),
    (Method::DELETE, "/api/v1/organizations/{p0}"),
    (Method::GET, "/api/v1/people"),
    (Method::POST, "/api/v1/people"),
    (Method::GET, "/api/v1/people/{p0}"),
    (Method::PUT, "/api/v1/people/{p0}"),
    (Method::DELETE, "/api/v1/people/{p0}"),
    (Method::GET, "/api/v1/quick-replies"),
    (Method::POST, "/api/v1/quick-replies"),
    (Method::GET, "/api/v1/quick-replies/{p0}"),
    (Method::PUT, "/api/v1/quick-replies/{p0}"),
    (Method::DELETE, "/api/v1/quick-replies/{p0}"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/custom-fields", get(list_fields).post(create_field))
        .route(
            "/api/v1/custom-fields/{p0}",
            get(get_field).put(update_field).delete(delete_field),
        )
        .route(
            "/api/v1/organizations",
            get(list_organizations).post(create_organization),
        )
        .route(
            "/api/v1/organizations/{p0}",
            get(get_organization)
                .put(update_organization)
                .delete(delete_organization),
        )
        .route("/api/v1/people", get(list_people).post(create_person))
        .route(
            "/api/v1/people/{p0}",
            get(get_person).put(update_person).delete(delete_person),
        )
        .route("/api/v1/quick-replies", get(list_replies).post(create_reply))
        .route(
            "/api/v1/quick-replies/{p0}",
            get(get_reply).put(update_reply).delete(delete_reply),
        )
}

type Json = Result<axum::Json<Value>, DigisacError>;

fn field(f: &balcao_core::CustomField) -> Value {
    json!({
        "id": f.id, "name": f.name, "type": f.kind,
        "allowed": match f.applies_to { balcao_core::FieldTarget::Contact => "contacts", balcao_core::FieldTarget::Ticket => "tickets" },
        "options": f.options, "accountId": f.account_id, "archivedAt": f.archived_at,
        "createdAt": f.created_at, "updatedAt": f.updated_at,
    })
}

/// `allowed` (`contacts`, `tickets`) as Balcão's `applies_to`.
fn applies_to(body: &Value) -> Option<String> {
    text(body, "allowed").map(|a| match a.as_str() {
        "contacts" | "contact" => "contact".to_owned(),
        "tickets" | "ticket" => "ticket".to_owned(),
        other => other.to_owned(),
    })
}

fn options(body: &Value) -> Option<Vec<String>> {
    body["options"]
        .as_array()
        .map(|o| o.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
}

async fn list_fields(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Json {
    let items = state
        .service
        .list_custom_fields(&who, None, ArchivedFilter::All)
        .await?;
    Ok(axum::Json(paged(items.iter().map(field).collect(), uri.query())?))
}

async fn create_field(State(state): State<AppState>, Caller(who): Caller, Body(body): Body) -> Json {
    let input = NewCustomField {
        name: text(&body, "name"),
        kind: text(&body, "type"),
        applies_to: applies_to(&body),
        options: options(&body),
    };
    Ok(axum::Json(field(
        &state.service.create_custom_field(&who, input).await?,
    )))
}

async fn get_field(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    Ok(axum::Json(field(
        &state.service.get_custom_field(&who, CustomFieldId(target)).await?,
    )))
}

async fn update_field(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Json {
    let patch = CustomFieldPatch {
        name: text(&body, "name"),
        options: options(&body),
        archived: None,
    };
    Ok(axum::Json(field(
        &state
            .service
            .update_custom_field(&who, CustomFieldId(target), patch)
            .await?,
    )))
}

/// Values stay on the records that hold them: deleting a field archives it.
async fn delete_field(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    let patch = CustomFieldPatch {
        archived: Some(true),
        ..CustomFieldPatch::default()
    };
    Ok(axum::Json(field(
        &state
            .service
            .update_custom_field(&who, CustomFieldId(target), patch)
            .await?,
    )))
}

fn organization(o: &balcao_core::Organization) -> Value {
    json!({"id": o.id, "name": o.name, "document": o.document, "note": o.note, "accountId": o.account_id,
           "createdAt": o.created_at, "updatedAt": o.updated_at})
}

fn directory_input(body: &Value) -> Result<DirectoryInput, DigisacError> {
    let present = |k: &str| body.get(k).map(|v| if v.is_null() { None } else { text(body, k) });
    // Digisac links a person to organizations (`organizationIds`); Balcão to one: the first.
    let organization = match body.get("organizationIds").or(body.get("organizationId")) {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .find(|s| !s.trim().is_empty())
                .map(|s| Uuid::parse_str(s.trim()))
                .transpose()
                .map_err(|_| DigisacError::bad_request("`organizationIds` holds an invalid id"))?,
        ),
        Some(Value::String(s)) => {
            Some(Some(Uuid::parse_str(s.trim()).map_err(|_| {
                DigisacError::bad_request("`organizationId` is not a valid id")
            })?))
        }
        Some(_) => Some(None),
    };
    Ok(DirectoryInput {
        name: text(body, "name"),
        document: present("document"),
        note: present("note"),
        email: present("email"),
        organization_id: organization,
    })
}

async fn list_organizations(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Json {
    let items = all(|p| state.service.list_organizations(&who, p)).await?;
    Ok(axum::Json(paged(
        items.iter().map(organization).collect(),
        uri.query(),
    )?))
}

async fn create_organization(State(state): State<AppState>, Caller(who): Caller, Body(body): Body) -> Json {
    let mut input = directory_input(&body)?;
    input.email = None;
    input.organization_id = None;
    Ok(axum::Json(organization(
        &state.service.save_organization(&who, None, input).await?,
    )))
}

async fn get_organization(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    Ok(axum::Json(organization(
        &state.service.get_organization(&who, OrganizationId(target)).await?,
    )))
}

async fn update_organization(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Json {
    let mut input = directory_input(&body)?;
    input.email = None;
    input.organization_id = None;
    let o = state
        .service
        .save_organization(&who, Some(OrganizationId(target)), input)
        .await?;
    Ok(axum::Json(organization(&o)))
}

async fn delete_organization(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    let id = OrganizationId(target);
    let o = state.service.get_organization(&who, id).await?;
    state.service.delete_organization(&who, id).await?;
    Ok(axum::Json(organization(&o)))
}

fn person(p: &balcao_core::Person) -> Value {
    json!({"id": p.id, "name": p.name, "document": p.document, "email": p.email,
           "organizationIds": p.organization_id.map(|o| vec![o]).unwrap_or_default(),
           "accountId": p.account_id, "createdAt": p.created_at, "updatedAt": p.updated_at})
}

async fn list_people(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Json {
    let items = all(|p| state.service.list_people(&who, None, p)).await?;
    Ok(axum::Json(paged(items.iter().map(person).collect(), uri.query())?))
}

async fn create_person(State(state): State<AppState>, Caller(who): Caller, Body(body): Body) -> Json {
    Ok(axum::Json(person(
        &state.service.save_person(&who, None, directory_input(&body)?).await?,
    )))
}

async fn get_person(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    Ok(axum::Json(person(
        &state.service.get_person(&who, PersonId(target)).await?,
    )))
}

async fn update_person(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Json {
    let p = state
        .service
        .save_person(&who, Some(PersonId(target)), directory_input(&body)?)
        .await?;
    Ok(axum::Json(person(&p)))
}

async fn delete_person(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    let id = PersonId(target);
    let p = state.service.get_person(&who, id).await?;
    state.service.delete_person(&who, id).await?;
    Ok(axum::Json(person(&p)))
}

fn reply(r: &balcao_core::template::QuickReply) -> Value {
    json!({"id": r.id, "title": r.shortcut, "text": r.text, "departmentIds": r.department_ids,
           "accountId": r.account_id, "createdAt": r.created_at, "updatedAt": r.updated_at})
}

/// Balcão's quick replies have a shortcut (`title` here); without one, it is made from the
/// text's first words.
fn shortcut(body: &Value) -> Option<String> {
    text(body, "title").or_else(|| text(body, "shortcut")).or_else(|| {
        let words: Vec<String> = text(body, "text")?
            .split_whitespace()
            .take(3)
            .map(|w| {
                balcao_core::text::folded(w)
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
            })
            .filter(|w| !w.is_empty())
            .collect();
        let joined: String = words.join("-").chars().take(32).collect();
        (!joined.is_empty()).then_some(joined)
    })
}

async fn list_replies(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Json {
    let items = state.service.list_quick_replies(&who, None).await?;
    Ok(axum::Json(paged(items.iter().map(reply).collect(), uri.query())?))
}

async fn create_reply(State(state): State<AppState>, Caller(who): Caller, Body(body): Body) -> Json {
    let input = QuickReplyInput {
        shortcut: shortcut(&body),
        text: text(&body, "text"),
        department_ids: id_list(body.get("departmentIds"), "departmentIds")?,
    };
    Ok(axum::Json(reply(
        &state.service.save_quick_reply(&who, None, input).await?,
    )))
}

async fn get_reply(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    Ok(axum::Json(reply(
        &state.service.get_quick_reply(&who, QuickReplyId(target)).await?,
    )))
}

async fn update_reply(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Json {
    let input = QuickReplyInput {
        shortcut: text(&body, "title").or_else(|| text(&body, "shortcut")),
        text: text(&body, "text"),
        department_ids: id_list(body.get("departmentIds"), "departmentIds")?,
    };
    Ok(axum::Json(reply(
        &state
            .service
            .save_quick_reply(&who, Some(QuickReplyId(target)), input)
            .await?,
    )))
}

async fn delete_reply(State(state): State<AppState>, Caller(who): Caller, PathUuid(target): PathUuid) -> Json {
    let id = QuickReplyId(target);
    let r = state.service.get_quick_reply(&who, id).await?;
    state.service.delete_quick_reply(&who, id).await?;
    Ok(axum::Json(reply(&r)))
}
