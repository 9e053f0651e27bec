//! Digisac's departments, tags (with their contacts) and ticket topics (assuntos).

use std::future::Future;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use balcao_core::{DepartmentId, TagId};
use balcao_service::{ArchivedFilter, DepartmentPatch, ListParams, NewDepartment, NewTag, Page, TagPatch};
use serde_json::{Value, json};
use uuid::Uuid;

use super::body::Body;
use super::fields::{PathUuid, boolean, id_list, text, where_ids};
use super::query::{PER_PAGE_DEFAULT, PER_PAGE_MAX, spec_of};
use super::{Caller, DigisacError, envelope, views};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/departments"),
    (Method::POST, "/api/v1/departments"),
    (Method::GET, "/api/v1/departments/{p0}"),
    (Method::PUT, "/api/v1/departments/{p0}"),
    (Method::DELETE, "/api/v1/departments/{p0}"),
    (Method::POST, "/api/v1/departments/{p0}/archive"),
    (Method::GET, "/api/v1/tags"),
    (Method::POST, "/api/v1/tags"),
    (Method::GET, "/api/v1/tags/{p0}"),
    (Method::PUT, "/api/v1/tags/{p0}"),
    (Method::DELETE, "/api/v1/tags/{p0}"),
    (Method::POST, "/api/v1/tags/{p0}/contacts"),
    (Method::DELETE, "/api/v1/tags/{p0}/contacts"),
    (Method::GET, "/api/v1/ticket-topics"),
    (Method::POST, "/api/v1/ticket-topics"),
    (Method::GET, "/api/v1/ticket-topics/{p0}"),
    (Method::PUT, "/api/v1/ticket-topics/{p0}"),
    (Method::DELETE, "/api/v1/ticket-topics/{p0}"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/departments", get(list_departments).post(create_department))
        .route(
            "/api/v1/departments/{p0}",
            get(get_department).put(update_department).delete(delete_department),
        )
        .route("/api/v1/departments/{p0}/archive", post(archive_department))
        .route("/api/v1/tags", get(list_tags).post(create_tag))
        .route("/api/v1/tags/{p0}", get(get_tag).put(update_tag).delete(delete_tag))
        .route("/api/v1/tags/{p0}/contacts", post(add_contacts).delete(remove_contacts))
        .route("/api/v1/ticket-topics", get(list_topics).post(create_topic))
        .route(
            "/api/v1/ticket-topics/{p0}",
            get(get_topic).put(update_topic).delete(delete_topic),
        )
}

/// Every item of a keyset-paged native list (these collections are small).
pub(super) async fn all<T, Fut>(mut page: impl FnMut(ListParams) -> Fut) -> Result<Vec<T>, DigisacError>
where
    Fut: Future<Output = balcao_service::Result<Page<T>>>,
{
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let batch = page(ListParams {
            after,
            cursor: None,
            limit: Some(100),
        })
        .await?;
        out.extend(batch.items);
        match batch.next_after {
            Some(a) => after = Some(a),
            None => return Ok(out),
        }
    }
}

/// A page of `items` in Digisac's envelope, by the request's `page` and `perPage`.
pub(super) fn paged(items: Vec<Value>, raw_query: Option<&str>) -> Result<Value, DigisacError> {
    let spec = spec_of(raw_query)?;
    let number = |key: &str, default: u64| {
        spec.get(key)
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .unwrap_or(default)
    };
    let page = number("page", 1).max(1);
    let per_page = number("perPage", PER_PAGE_DEFAULT).clamp(1, PER_PAGE_MAX);
    let total = items.len() as u64;
    let skip = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let data = items
        .into_iter()
        .skip(skip)
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .collect();
    Ok(envelope(data, total, page, per_page))
}

fn department(d: &balcao_core::Department) -> Value {
    json!({
        "id": d.id, "name": d.name, "accountId": d.account_id, "archivedAt": d.archived_at,
        "distributionId": null, "createdAt": d.created_at, "updatedAt": d.updated_at, "deletedAt": null,
    })
}

async fn list_departments(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let items = all(|p| state.service.list_departments(&who, ArchivedFilter::All, p)).await?;
    Ok(axum::Json(paged(items.iter().map(department).collect(), uri.query())?))
}

async fn create_department(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let d = state
        .service
        .create_department(
            &who,
            NewDepartment {
                name: text(&body, "name"),
            },
        )
        .await?;
    Ok(axum::Json(department(&d)))
}

async fn get_department(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let d = state.service.get_department(&who, DepartmentId(target)).await?;
    Ok(axum::Json(department(&d)))
}

async fn update_department(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let patch = DepartmentPatch {
        name: text(&body, "name"),
    };
    let d = state
        .service
        .update_department(&who, DepartmentId(target), patch)
        .await?;
    Ok(axum::Json(department(&d)))
}

async fn archive_department(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let archive = boolean(&body, "archive").unwrap_or(true);
    let d = state
        .service
        .set_department_archived(&who, DepartmentId(target), archive)
        .await?;
    Ok(axum::Json(department(&d)))
}

async fn delete_department(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let id = DepartmentId(target);
    let d = state.service.get_department(&who, id).await?;
    state.service.delete_department(&who, id).await?;
    Ok(axum::Json(department(&d)))
}

async fn list_tags(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let items = all(|p| state.service.list_tags(&who, p)).await?;
    Ok(axum::Json(paged(items.iter().map(views::tag).collect(), uri.query())?))
}

async fn create_tag(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let input = NewTag {
        label: text(&body, "label"),
        color: text(&body, "backgroundColor"),
        department_ids: id_list(body.get("departments").or(body.get("departmentIds")), "departments")?,
    };
    Ok(axum::Json(views::tag(&state.service.create_tag(&who, input).await?)))
}

async fn get_tag(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(views::tag(
        &state.service.get_tag(&who, TagId(target)).await?,
    )))
}

async fn update_tag(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let patch = TagPatch {
        label: text(&body, "label"),
        color: text(&body, "backgroundColor"),
        department_ids: id_list(body.get("departments").or(body.get("departmentIds")), "departments")?,
    };
    Ok(axum::Json(views::tag(
        &state.service.update_tag(&who, TagId(target), patch).await?,
    )))
}

async fn delete_tag(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let id = TagId(target);
    let tag = state.service.get_tag(&who, id).await?;
    state.service.delete_tag(&who, id).await?;
    Ok(axum::Json(views::tag(&tag)))
}

async fn tag_contacts(
    state: &AppState,
    who: &balcao_service::Principal,
    target: Uuid,
    body: &Value,
    add: bool,
) -> Result<axum::Json<Value>, DigisacError> {
    let ids = where_ids(body)?;
    let changed = state.service.tag_contacts(who, TagId(target), &ids, add).await?;
    Ok(axum::Json(json!({"contactIds": changed})))
}

async fn add_contacts(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    tag_contacts(&state, &who, target, &body, true).await
}

async fn remove_contacts(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    tag_contacts(&state, &who, target, &body, false).await
}

fn topic(t: &balcao_core::TicketTopic) -> Value {
    json!({"id": t.id, "name": t.name, "accountId": t.account_id, "archivedAt": t.archived_at,
           "createdAt": t.created_at, "updatedAt": t.updated_at, "deletedAt": null})
}

async fn list_topics(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let items = all(|p| state.service.list_topics(&who, ArchivedFilter::All, p)).await?;
    Ok(axum::Json(paged(items.iter().map(topic).collect(), uri.query())?))
}

async fn create_topic(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(topic(
        &state.service.create_topic(&who, text(&body, "name")).await?,
    )))
}

async fn find_topic(
    state: &AppState,
    who: &balcao_service::Principal,
    id: Uuid,
) -> Result<balcao_core::TicketTopic, DigisacError> {
    all(|p| state.service.list_topics(who, ArchivedFilter::All, p))
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| DigisacError::new(StatusCode::NOT_FOUND, "Not found."))
}

async fn get_topic(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    Ok(axum::Json(topic(&find_topic(&state, &who, target).await?)))
}

async fn update_topic(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let t = state
        .service
        .update_topic(&who, target, text(&body, "name"), None)
        .await?;
    Ok(axum::Json(topic(&t)))
}

/// Topics stay on the tickets closed under them: deleting one archives it.
async fn delete_topic(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<axum::Json<Value>, DigisacError> {
    let t = state.service.update_topic(&who, target, None, Some(true)).await?;
    Ok(axum::Json(topic(&t)))
}
