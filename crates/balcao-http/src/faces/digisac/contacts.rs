//! Digisac's contact routes.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use balcao_core::ContactId;
use balcao_core::contact::ContactField as F;
use balcao_core::query::{Cond, FieldKind as K, Op, Value as QValue};
use balcao_service::{ContactInput, ContactPatch};
use serde_json::{Map, Value, json};

use super::body::Body;
use super::fields::{PathUuid, boolean, id, id_list, optional_id, optional_text, text, where_ids};
use super::query::{Constant, Include, Model, RelationSpec, no_rewrite, parse_list, parse_spec};
use super::views;
use super::{Caller, DigisacError, envelope};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/contacts"),
    (Method::POST, "/api/v1/contacts"),
    (Method::GET, "/api/v1/contacts/{p0}"),
    (Method::PUT, "/api/v1/contacts/{p0}"),
    (Method::DELETE, "/api/v1/contacts/{p0}"),
    (Method::POST, "/api/v1/contacts/count"),
    (Method::POST, "/api/v1/contacts/many"),
    (Method::DELETE, "/api/v1/contacts/many"),
    (Method::POST, "/api/v1/contacts/{p0}/block"),
    (Method::GET, "/api/v1/contacts/exists"),
    (Method::POST, "/api/v1/contacts/{p0}/sync"),
    (Method::POST, "/api/v1/contacts/{p0}/add-members"),
    (Method::POST, "/api/v1/contacts/{p0}/promote-members"),
    (Method::POST, "/api/v1/contacts/{p0}/demote-members"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts", get(list).post(create))
        .route("/api/v1/contacts/count", post(count))
        .route("/api/v1/contacts/exists", get(exists_query))
        .route("/api/v1/contacts/many", post(create_many).delete(delete_many))
        .route("/api/v1/contacts/{p0}", get(one).put(update).delete(remove))
        .route("/api/v1/contacts/{p0}/block", post(block))
        .route("/api/v1/contacts/{p0}/sync", post(sync))
        .route("/api/v1/contacts/{p0}/add-members", post(add_members))
        .route("/api/v1/contacts/{p0}/promote-members", post(promote_members))
        .route("/api/v1/contacts/{p0}/demote-members", post(demote_members))
}

pub static MODEL: Model<F> = Model {
    name: "contact",
    fields: &[
        ("id", F::Id, K::Id),
        ("name", F::Name, K::Text),
        ("internalName", F::InternalName, K::Text),
        ("alternativeName", F::AlternativeName, K::Text),
        ("serviceId", F::ConnectionId, K::Id),
        ("personId", F::PersonId, K::Id),
        ("defaultDepartmentId", F::DefaultDepartmentId, K::Id),
        ("defaultUserId", F::DefaultUserId, K::Id),
        ("note", F::Note, K::Text),
        ("visible", F::Visible, K::Boolean),
        ("isGroup", F::IsGroup, K::Boolean),
        ("unread", F::UnreadCount, K::Integer),
        ("lastMessageAt", F::LastMessageAt, K::Time),
        ("createdAt", F::CreatedAt, K::Time),
        ("updatedAt", F::UpdatedAt, K::Time),
        ("data.number", F::Phone, K::Text),
        ("data.email", F::Email, K::Text),
        ("data.whatsapp.isBlocked", F::Blocked, K::Boolean),
    ],
    includes: &[
        (
            "tags",
            Some(RelationSpec {
                relation: "tags",
                fields: &[("id", "id", K::Id), ("label", "label", K::Text)],
            }),
        ),
        ("service", None),
        (
            "person",
            Some(RelationSpec {
                relation: "person",
                fields: &[("id", "id", K::Id), ("name", "name", K::Text)],
            }),
        ),
        ("customFieldValues", None),
        ("avatar", None),
        ("thumbAvatar", None),
    ],
    period_field: Some(F::CreatedAt),
    constants: &[
        ("accountId", Constant::Account),
        ("isBroadcast", Constant::Bool(false)),
        ("isMe", Constant::Bool(false)),
        ("isMyContact", Constant::Bool(true)),
        ("unsubscribed", Constant::Bool(false)),
    ],
    rewrite: no_rewrite,
    nested: &[(
        "customFieldValues",
        "customField",
        RelationSpec {
            relation: "custom_fields",
            fields: &[("id", "id", K::Id), ("name", "name", K::Text)],
        },
    )],
    related_order: &[
        ("service", "name", F::ConnectionName),
        ("person", "name", F::PersonName),
    ],
};

async fn render(
    state: &AppState,
    who: &balcao_service::Principal,
    list: &[balcao_core::Contact],
    includes: &[Include],
    attributes: Option<&[String]>,
) -> Result<Vec<Value>, DigisacError> {
    let want = |m: &str| includes.iter().any(|i| i.model == m);
    let related = state
        .service
        .contact_relations(who, list, (want("tags"), want("service"), want("person")))
        .await?;
    Ok(list
        .iter()
        .map(|c| {
            let mut v = views::contact(c, includes, &related);
            if let Some(keep) = attributes {
                let included: Vec<String> = includes.iter().map(|i| i.model.clone()).collect();
                let keep: Vec<String> = keep.iter().cloned().chain(included).collect();
                v = views::project(v, Some(&keep));
            }
            v
        })
        .collect())
}

async fn list(State(state): State<AppState>, Caller(who): Caller, uri: OriginalUri) -> Result<Response, DigisacError> {
    let spec = parse_list(&MODEL, uri.query(), who.account_id.0)?;
    let (contacts, total) = state.service.query_contacts(&who, &spec.query).await?;
    let data = render(&state, &who, &contacts, &spec.includes, spec.attributes.as_deref()).await?;
    Ok(axum::Json(envelope(data, total, spec.page, spec.per_page)).into_response())
}

async fn one(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    uri: OriginalUri,
) -> Result<Response, DigisacError> {
    let spec = parse_list(&MODEL, uri.query(), who.account_id.0)?;
    let contact = state.service.get_contact(&who, ContactId(target)).await?;
    let mut data = render(
        &state,
        &who,
        std::slice::from_ref(&contact),
        &spec.includes,
        spec.attributes.as_deref(),
    )
    .await?;
    Ok(axum::Json(data.pop().unwrap_or(Value::Null)).into_response())
}

/// `customFields: [{id, value}]` as Balcão's `{field id: value}`.
fn custom_fields(body: &Value) -> Result<Option<Map<String, Value>>, DigisacError> {
    match &body["customFields"] {
        Value::Null => Ok(None),
        Value::Array(items) => {
            let mut map = Map::new();
            for item in items {
                let field = item["id"]
                    .as_str()
                    .ok_or_else(|| DigisacError::bad_request("each of `customFields` needs an `id`"))?;
                map.insert(field.to_owned(), item["value"].clone());
            }
            Ok(Some(map))
        }
        Value::Object(map) => Ok(Some(map.clone())),
        _ => Err(DigisacError::bad_request(
            "`customFields` must be a list of {id, value}",
        )),
    }
}

fn input(body: &Value) -> Result<ContactInput, DigisacError> {
    let name = text(body, "name")
        .or_else(|| text(body, "internalName"))
        .or_else(|| text(body, "number"));
    Ok(ContactInput {
        connection_id: id(body, "serviceId")?,
        name,
        internal_name: text(body, "internalName"),
        alternative_name: text(body, "alternativeName"),
        phone: text(body, "number").or_else(|| text(&body["data"], "number")),
        email: text(body, "email").or_else(|| text(&body["data"], "email")),
        note: text(body, "note"),
        visible: boolean(body, "visible"),
        default_department_id: id(body, "defaultDepartmentId")?,
        default_user_id: id(body, "defaultUserId")?,
        tag_ids: id_list(body.get("tagIds"), "tagIds")?,
        person_id: id(body, "personId")?,
        custom_fields: custom_fields(body)?,
        ..ContactInput::default()
    })
}

async fn create(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let contact = state.service.create_contact(&who, input(&body)?).await?;
    render_one(&state, &who, &contact).await
}

async fn create_many(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let items = match &body {
        Value::Array(items) => items.clone(),
        Value::Object(_) => body["contacts"].as_array().cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    let inputs = items.iter().map(input).collect::<Result<Vec<_>, _>>()?;
    let created = state.service.create_contacts(&who, inputs).await?;
    let data = render(&state, &who, &created, &[], None).await?;
    Ok(axum::Json(Value::Array(data)).into_response())
}

async fn update(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let contact = ContactId(target);
    let patch = ContactPatch {
        name: text(&body, "name"),
        internal_name: optional_text(&body, "internalName"),
        alternative_name: optional_text(&body, "alternativeName"),
        phone: optional_text(&body, "number"),
        email: optional_text(&body, "email"),
        note: optional_text(&body, "note"),
        visible: boolean(&body, "visible"),
        default_department_id: optional_id(&body, "defaultDepartmentId")?,
        default_user_id: optional_id(&body, "defaultUserId")?,
        tag_ids: id_list(body.get("tagIds"), "tagIds")?,
        person_id: optional_id(&body, "personId")?,
        custom_fields: custom_fields(&body)?,
        ..ContactPatch::default()
    };
    let updated = state.service.update_contact(&who, contact, patch).await?;
    render_one(&state, &who, &updated).await
}

async fn remove(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<Response, DigisacError> {
    let id = ContactId(target);
    let contact = state.service.get_contact(&who, id).await?;
    state.service.delete_contact(&who, id).await?;
    render_one(&state, &who, &contact).await
}

/// `DELETE /contacts/many` with `{"where": {"id": [...]}}`: answers the ids deleted.
async fn delete_many(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let list = where_ids(&body)?;
    let deleted = state.service.delete_contacts(&who, &list).await?;
    Ok(axum::Json(json!({"deleted": deleted.len(), "ids": deleted})).into_response())
}

/// `POST /contacts/count`: how many contacts match (`where` as in a list, and Digisac's
/// `query.departmentIds`, the contacts' default departments). Answers `{"count": n}`.
async fn count(State(state): State<AppState>, Caller(who): Caller, Body(body): Body) -> Result<Response, DigisacError> {
    let mut spec = match &body {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    spec.insert("perPage".into(), json!(1));
    let mut parsed = parse_spec(&MODEL, &spec, who.account_id.0)?;
    if let Some(departments) = body["query"]["departmentIds"].as_array().filter(|d| !d.is_empty()) {
        let values = departments
            .iter()
            .map(|d| super::query::coerce("departmentIds", K::Id, d))
            .collect::<Result<Vec<_>, _>>()?;
        parsed.query.cond = parsed.query.cond.and(Cond::Cmp {
            field: F::DefaultDepartmentId,
            op: Op::In,
            value: QValue::List(values),
        });
    }
    let (_, total) = state.service.query_contacts(&who, &parsed.query).await?;
    Ok(axum::Json(json!({"count": total})).into_response())
}

/// `POST /contacts/{id}/block` with `{block, description}`.
async fn block(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let id = ContactId(target);
    let block = boolean(&body, "block").unwrap_or(true);
    let contact = state
        .service
        .set_contact_blocked(&who, id, block, text(&body, "description"))
        .await?;
    render_one(&state, &who, &contact).await
}

/// The contact as Digisac shows it (no includes).
async fn render_one(
    state: &AppState,
    who: &balcao_service::Principal,
    contact: &balcao_core::Contact,
) -> Result<Response, DigisacError> {
    let data = render(state, who, std::slice::from_ref(contact), &[], None).await?;
    Ok(axum::Json(data.into_iter().next().unwrap_or(Value::Null)).into_response())
}

/// The contact as Digisac shows it, after a change through one of the routes below.
async fn one_contact(
    state: &AppState,
    who: &balcao_service::Principal,
    id: ContactId,
) -> Result<Response, DigisacError> {
    render_one(state, who, &state.service.get_contact(who, id).await?).await
}

/// "Sincroniza contato": Digisac asks the phone for the contact's name and picture. The Cloud
/// API has no such lookup; the profile name arrives with every message the contact writes and
/// is stored then, so the contact is answered as it stands.
async fn sync(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
) -> Result<Response, DigisacError> {
    one_contact(&state, &who, ContactId(target)).await
}

/// "Adicionar participante": `[{"number": ...}]` (or plain numbers) join the group's members.
async fn add_members(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<Response, DigisacError> {
    let items = match &body {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(&body),
        _ => {
            return Err(DigisacError::bad_request(
                "the body lists the members to add: [{\"number\": ...}]",
            ));
        }
    };
    let members = items
        .iter()
        .map(|item| match item {
            Value::String(_) | Value::Number(_) => balcao_service::MemberInput {
                phone: text(&json!({"n": item}), "n"),
                ..Default::default()
            },
            _ => balcao_service::MemberInput {
                phone: text(item, "number").or_else(|| text(item, "phone")),
                name: text(item, "name"),
                is_admin: boolean(item, "isAdmin"),
            },
        })
        .collect();
    let id = ContactId(target);
    state.service.add_group_members(&who, id, members).await?;
    one_contact(&state, &who, id).await
}

async fn promote_members(
    state: State<AppState>,
    who: Caller,
    target: PathUuid,
    body: Body,
) -> Result<Response, DigisacError> {
    set_admins(state, who, target, body, true).await
}

async fn demote_members(
    state: State<AppState>,
    who: Caller,
    target: PathUuid,
    body: Body,
) -> Result<Response, DigisacError> {
    set_admins(state, who, target, body, false).await
}

/// "Atribuir cargo de administrador" / "Remover permissões de administrador": a list of the
/// members' contact ids.
async fn set_admins(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
    admin: bool,
) -> Result<Response, DigisacError> {
    let list = match &body {
        Value::Object(o) => o.get("contactIds").or(o.get("ids")),
        other => Some(other),
    };
    let ids: Vec<ContactId> = id_list(list, "contactIds")?
        .unwrap_or_default()
        .into_iter()
        .map(ContactId)
        .collect();
    let id = ContactId(target);
    state.service.set_group_admins(&who, id, &ids, admin).await?;
    one_contact(&state, &who, id).await
}

/// Digisac's "Validação WhatsApp" (`numbers[]`, `serviceId`): for each number, whether it is a
/// valid phone number and whether it is already a contact (on the service, when given). The
/// Cloud API offers no way to ask whether a number has WhatsApp, so `exists` is `null`
/// (unknown) rather than a guess.
async fn exists(
    state: &AppState,
    who: &balcao_service::Principal,
    params: &Value,
) -> Result<axum::Json<Value>, DigisacError> {
    let numbers: Vec<String> = match params.get("numbers").or(params.get("number")) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| text(&json!({"n": v}), "n")).collect(),
        Some(v) => text(&json!({"n": v}), "n").into_iter().collect(),
        None => Vec::new(),
    };
    if numbers.is_empty() || numbers.len() > 100 {
        return Err(DigisacError::bad_request("`numbers[]` lists 1 to 100 numbers"));
    }
    let service = id(params, "serviceId")?;
    let mut data = Vec::with_capacity(numbers.len());
    for number in numbers {
        let Ok(phone) = balcao_core::phone::normalize(&number) else {
            data.push(json!({"number": number, "valid": false, "exists": false, "contactId": null}));
            continue;
        };
        let mut cond = Cond::Cmp {
            field: F::Phone,
            op: Op::Eq,
            value: QValue::Text(phone.clone()),
        };
        if let Some(service) = service {
            cond = cond.and(Cond::Cmp {
                field: F::ConnectionId,
                op: Op::Eq,
                value: QValue::Id(service),
            });
        }
        let q = balcao_core::query::Query {
            cond,
            order: Vec::new(),
            offset: 0,
            limit: 1,
        };
        let (found, _) = state.service.query_contacts(who, &q).await?;
        data.push(json!({
            "number": number,
            "normalized": phone,
            "valid": true,
            "exists": null,
            "contactId": found.first().map(|c| c.id),
        }));
    }
    Ok(axum::Json(super::data_only(data)))
}

async fn exists_query(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let params = Value::Object(super::query::spec_of(uri.query())?);
    exists(&state, &who, &params).await
}
