//! `/api/v1/contacts`: the customers (and groups) a company talks to.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use balcao_core::{Contact, ContactId, Timestamp};
use balcao_service::{ContactFilter, ContactInput, ContactPatch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{ListOf, double_option};
use crate::AppState;
use crate::extract::{Auth, JsonBody, OptionalJsonBody, PathId, QueryParams};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(create_contacts))
        .routes(routes!(delete_contacts))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(block_contact))
        .routes(routes!(unblock_contact))
        .routes(routes!(get_members, set_members))
}

#[derive(Serialize, ToSchema)]
pub struct ContactView {
    id: Uuid,
    account_id: Uuid,
    connection_id: Uuid,
    name: String,
    internal_name: Option<String>,
    alternative_name: Option<String>,
    /// Digits with the country code, e.g. `5511912345678`.
    phone: Option<String>,
    /// The channel's own id for the contact.
    external_id: Option<String>,
    email: Option<String>,
    /// CPF or CNPJ, digits only.
    document: Option<String>,
    address: Option<String>,
    gender: Option<String>,
    note: Option<String>,
    blocked: bool,
    blocked_reason: Option<String>,
    is_group: bool,
    visible: bool,
    default_department_id: Option<Uuid>,
    default_user_id: Option<Uuid>,
    organization_id: Option<Uuid>,
    person_id: Option<Uuid>,
    tag_ids: Vec<Uuid>,
    /// Values of contact custom fields, by field id.
    #[schema(value_type = Object)]
    custom_fields: std::collections::BTreeMap<Uuid, serde_json::Value>,
    #[schema(value_type = Option<String>, format = DateTime)]
    last_message_at: Option<Timestamp>,
    unread_count: i64,
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Timestamp,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        ContactView {
            id: c.id.0,
            account_id: c.account_id.0,
            connection_id: c.connection_id.0,
            name: c.name,
            internal_name: c.internal_name,
            alternative_name: c.alternative_name,
            phone: c.phone,
            external_id: c.external_id,
            email: c.email,
            document: c.document,
            address: c.address,
            gender: c.gender,
            note: c.note,
            blocked: c.blocked,
            blocked_reason: c.blocked_reason,
            is_group: c.is_group,
            visible: c.visible,
            default_department_id: c.default_department_id.map(|d| d.0),
            default_user_id: c.default_user_id.map(|u| u.0),
            organization_id: c.organization_id.map(|o| o.0),
            person_id: c.person_id.map(|p| p.0),
            tag_ids: c.tag_ids.into_iter().map(|t| t.0).collect(),
            custom_fields: c.custom_fields.into_iter().map(|(f, v)| (f.0, v)).collect(),
            last_message_at: c.last_message_at,
            unread_count: c.unread_count,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
struct CreateContact {
    /// Required.
    connection_id: Option<Uuid>,
    /// Required.
    name: Option<String>,
    internal_name: Option<String>,
    alternative_name: Option<String>,
    /// Any usual spelling; numbers without a country code are taken as Brazilian, and a
    /// Brazilian mobile number without its ninth digit gets it back. Unique per connection.
    phone: Option<String>,
    /// Unique per connection.
    external_id: Option<String>,
    email: Option<String>,
    /// CPF or CNPJ, with or without punctuation; check digits are verified.
    document: Option<String>,
    address: Option<String>,
    gender: Option<String>,
    note: Option<String>,
    is_group: Option<bool>,
    visible: Option<bool>,
    default_department_id: Option<Uuid>,
    default_user_id: Option<Uuid>,
    organization_id: Option<Uuid>,
    person_id: Option<Uuid>,
    tag_ids: Option<Vec<Uuid>>,
    /// Values of contact custom fields: `{"<field id>": value}`, checked by the field's type.
    #[schema(value_type = Option<Object>)]
    custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
}

impl From<CreateContact> for ContactInput {
    fn from(b: CreateContact) -> Self {
        ContactInput {
            connection_id: b.connection_id,
            name: b.name,
            internal_name: b.internal_name,
            alternative_name: b.alternative_name,
            phone: b.phone,
            external_id: b.external_id,
            email: b.email,
            document: b.document,
            address: b.address,
            gender: b.gender,
            note: b.note,
            is_group: b.is_group,
            visible: b.visible,
            default_department_id: b.default_department_id,
            default_user_id: b.default_user_id,
            organization_id: b.organization_id,
            person_id: b.person_id,
            tag_ids: b.tag_ids,
            custom_fields: b.custom_fields,
        }
    }
}

/// Fields to change; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
struct UpdateContact {
    name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    internal_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    alternative_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    document: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    gender: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    note: Option<Option<String>>,
    visible: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    default_department_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    default_user_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    organization_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    person_id: Option<Option<Uuid>>,
    /// Replaces the contact's tags.
    tag_ids: Option<Vec<Uuid>>,
    /// Custom field values to set (`null` removes one; fields not named stay).
    #[schema(value_type = Option<Object>)]
    custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ContactQuery {
    /// Text to find in the names, the e-mail, or (three digits or more) the phone number.
    q: Option<String>,
    connection_id: Option<Uuid>,
    /// Only contacts with this tag.
    tag_id: Option<Uuid>,
    blocked: Option<bool>,
    organization_id: Option<Uuid>,
    person_id: Option<Uuid>,
    /// With `custom_field_value`: contacts whose value of this custom field equals it.
    custom_field_id: Option<Uuid>,
    custom_field_value: Option<String>,
    /// `created` (default), `-created`, `name`, `-name`, `-last_message_at`, `-updated_at`.
    sort: Option<String>,
    /// `next_cursor` of the previous page (any sort).
    cursor: Option<String>,
    after: Option<Uuid>,
    /// Page size, 1 to 100 (default 50).
    limit: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct BulkCreate {
    /// 1 to 1000 contacts; all are created or none.
    contacts: Vec<CreateContact>,
}

#[derive(Serialize, ToSchema)]
struct Created {
    data: Vec<ContactView>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct BulkDelete {
    /// Up to 1000 ids.
    ids: Vec<Uuid>,
}

#[derive(Serialize, ToSchema)]
struct Deleted {
    /// The ids that named contacts of the account and were deleted.
    deleted: Vec<Uuid>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
struct BlockBody {
    reason: Option<String>,
}

/// List and search contacts.
#[utoipa::path(get, path = "/contacts", tag = "contacts", params(ContactQuery), security(("bearer" = [])),
    responses((status = 200, body = ListOf<ContactView>),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_contacts(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(q): QueryParams<ContactQuery>,
) -> Result<Json<ListOf<ContactView>>, ApiError> {
    let filter = ContactFilter {
        text: q.q,
        connection_id: q.connection_id,
        tag_id: q.tag_id,
        blocked: q.blocked,
        organization_id: q.organization_id,
        person_id: q.person_id,
        custom_field_id: q.custom_field_id,
        custom_field_value: q.custom_field_value,
        sort: q.sort,
    };
    let params = balcao_service::ListParams {
        after: q.after,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = state.service.list_contacts(&who, filter, params).await?;
    Ok(Json(ListOf::from_page(page, ContactView::from)))
}

/// Create a contact. A phone already used on the connection answers 409 `phone_taken` with
/// the contact holding it in `existing_id`.
#[utoipa::path(post, path = "/contacts", tag = "contacts", request_body = CreateContact, security(("bearer" = [])),
    responses((status = 201, body = ContactView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_contact(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<CreateContact>,
) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let contact = state.service.create_contact(&who, body.into()).await?;
    Ok((StatusCode::CREATED, Json(contact.into())))
}

/// Create many contacts at once: all or none (errors name `contacts[i].field`).
#[utoipa::path(post, path = "/contacts/bulk", tag = "contacts", request_body = BulkCreate, security(("bearer" = [])),
    responses((status = 201, body = Created),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_contacts(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<BulkCreate>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let inputs = body.contacts.into_iter().map(ContactInput::from).collect();
    let created = state.service.create_contacts(&who, inputs).await?;
    let data = created.into_iter().map(ContactView::from).collect();
    Ok((StatusCode::CREATED, Json(Created { data })))
}

/// Delete many contacts (admins and supervisors).
#[utoipa::path(post, path = "/contacts/bulk-delete", tag = "contacts", request_body = BulkDelete, security(("bearer" = [])),
    responses((status = 200, body = Deleted),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn delete_contacts(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(body): JsonBody<BulkDelete>,
) -> Result<Json<Deleted>, ApiError> {
    let deleted = state.service.delete_contacts(&who, &body.ids).await?;
    Ok(Json(Deleted {
        deleted: deleted.into_iter().map(|c| c.0).collect(),
    }))
}

/// Get a contact.
#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ContactView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_contact(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(state.service.get_contact(&who, id).await?.into()))
}

/// Change a contact.
#[utoipa::path(patch, path = "/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)), request_body = UpdateContact,
    security(("bearer" = [])),
    responses((status = 200, body = ContactView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_contact(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
    JsonBody(b): JsonBody<UpdateContact>,
) -> Result<Json<ContactView>, ApiError> {
    let patch = ContactPatch {
        name: b.name,
        internal_name: b.internal_name,
        alternative_name: b.alternative_name,
        phone: b.phone,
        external_id: b.external_id,
        email: b.email,
        document: b.document,
        address: b.address,
        gender: b.gender,
        note: b.note,
        visible: b.visible,
        default_department_id: b.default_department_id,
        default_user_id: b.default_user_id,
        organization_id: b.organization_id,
        person_id: b.person_id,
        tag_ids: b.tag_ids,
        custom_fields: b.custom_fields,
    };
    Ok(Json(state.service.update_contact(&who, id, patch).await?.into()))
}

/// Delete a contact (admins and supervisors).
#[utoipa::path(delete, path = "/contacts/{id}", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_contact(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_contact(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Block a contact: its messages are kept but open no ticket, and nothing can be sent to it.
#[utoipa::path(post, path = "/contacts/{id}/block", tag = "contacts", params(("id" = Uuid, Path)), request_body = BlockBody,
    security(("bearer" = [])),
    responses((status = 200, body = ContactView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn block_contact(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
    OptionalJsonBody(body): OptionalJsonBody<BlockBody>,
) -> Result<Json<ContactView>, ApiError> {
    let reason = body.reason;
    Ok(Json(
        state.service.set_contact_blocked(&who, id, true, reason).await?.into(),
    ))
}

/// Unblock a contact.
#[utoipa::path(post, path = "/contacts/{id}/unblock", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ContactView),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn unblock_contact(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(
        state.service.set_contact_blocked(&who, id, false, None).await?.into(),
    ))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
struct Member {
    /// Any usual spelling; stored normalised.
    phone: Option<String>,
    name: Option<String>,
    #[serde(default)]
    is_admin: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
struct Members {
    /// The whole list (up to 1024): it replaces the current one.
    members: Vec<Member>,
}

fn members_view(list: Vec<balcao_service::GroupMember>) -> Members {
    Members {
        members: list
            .into_iter()
            .map(|m| Member {
                phone: Some(m.phone),
                name: m.name,
                is_admin: Some(m.is_admin),
            })
            .collect(),
    }
}

/// The members of a group contact.
#[utoipa::path(get, path = "/contacts/{id}/members", tag = "contacts", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Members), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_members(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
) -> Result<Json<Members>, ApiError> {
    Ok(Json(members_view(state.service.group_members(&who, id).await?)))
}

/// Replace the members of a group contact (not a group: 409).
#[utoipa::path(put, path = "/contacts/{id}/members", tag = "contacts", params(("id" = Uuid, Path)), request_body = Members,
    security(("bearer" = [])),
    responses((status = 200, body = Members),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_members(
    State(state): State<AppState>,
    Auth(who): Auth,
    PathId(id): PathId<ContactId>,
    JsonBody(b): JsonBody<Members>,
) -> Result<Json<Members>, ApiError> {
    let input = b
        .members
        .into_iter()
        .map(|m| balcao_service::MemberInput {
            phone: m.phone,
            name: m.name,
            is_admin: m.is_admin,
        })
        .collect();
    Ok(Json(members_view(
        state.service.set_group_members(&who, id, input).await?,
    )))
}
