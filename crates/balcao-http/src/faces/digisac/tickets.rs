//! Digisac's ticket (chamado) routes: list, read, and the contact-scoped actions.

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::{get, post};
use balcao_core::query::FieldKind as K;
use balcao_core::ticket::TicketField as F;
use balcao_core::{ContactId, TicketId, TicketStatus};
use balcao_service::{Principal, TicketChange, TicketIncludes};
use serde_json::{Value, json};

use super::body::Body;
use super::fields::{PathUuid, id, id_list, text};
use super::query::{Include, Model, parse_list};
use super::{Caller, DigisacError, listed, views};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/tickets"),
    (Method::GET, "/tickets"),
    (Method::GET, "/api/v1/tickets/{p0}"),
    (Method::POST, "/api/v1/contacts/{p0}/ticket/transfer"),
    (Method::POST, "/contacts/{p0}/ticket/transfer"),
    (Method::POST, "/api/v1/contacts/{p0}/ticket/close"),
    (Method::POST, "/api/v1/contacts/ticket/bulk-transfer"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", get(list))
        .route("/tickets", get(list))
        .route("/api/v1/tickets/{p0}", get(one))
        .route("/api/v1/contacts/{p0}/ticket/transfer", post(transfer))
        .route("/contacts/{p0}/ticket/transfer", post(transfer))
        .route("/api/v1/contacts/{p0}/ticket/close", post(close))
        .route("/api/v1/contacts/ticket/bulk-transfer", post(bulk_transfer))
}

/// `isOpen` is Balcão's status other than resolved.
fn rewrite(field: &str, v: &Value) -> Option<(&'static str, Value)> {
    if field != "isOpen" {
        return None;
    }
    let open = match v {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true",
        Value::Object(ops) => ops
            .get("$eq")
            .and_then(|x| x.as_bool().or(x.as_str().map(|s| s == "true")))
            .unwrap_or(true),
        _ => true,
    };
    Some((
        "_status",
        if open {
            // The active statuses, named: an index on the status can serve the list.
            let active: Vec<&str> = TicketStatus::ALL
                .iter()
                .filter(|s| s.is_active())
                .map(|s| s.as_str())
                .collect();
            json!({ "$in": active })
        } else {
            json!(TicketStatus::Resolved.as_str())
        },
    ))
}

pub static MODEL: Model<F> = Model {
    name: "ticket",
    fields: &[
        ("id", F::Id, K::Id),
        ("contactId", F::ContactId, K::Id),
        ("serviceId", F::ConnectionId, K::Id),
        ("departmentId", F::DepartmentId, K::Id),
        ("userId", F::UserId, K::Id),
        ("protocol", F::Protocol, K::Text),
        ("startedAt", F::StartedAt, K::Time),
        ("endedAt", F::EndedAt, K::Time),
        ("createdAt", F::CreatedAt, K::Time),
        ("updatedAt", F::UpdatedAt, K::Time),
        ("_status", F::Status, K::Text),
    ],
    includes: &[
        (
            "contact",
            Some(super::query::RelationSpec {
                relation: "contact",
                fields: &[
                    ("id", "id", K::Id),
                    ("name", "name", K::Text),
                    ("visible", "visible", K::Boolean),
                    ("serviceId", "connection_id", K::Id),
                ],
            }),
        ),
        ("department", None),
        ("user", None),
        ("lastMessage", None),
        ("ticketTopics", None),
        ("firstMessage", None),
        ("account", None),
    ],
    period_field: Some(F::CreatedAt),
    constants: &[("accountId", super::query::Constant::Account)],
    rewrite,
    nested: &[],
    related_order: &[
        ("contact", "name", F::ContactName),
        ("department", "name", F::DepartmentName),
        ("user", "name", F::UserName),
    ],
};

async fn render(
    state: &AppState,
    who: &Principal,
    list: &[balcao_core::Ticket],
    includes: &[Include],
) -> Result<Vec<Value>, DigisacError> {
    let want = |m: &str| includes.iter().any(|i| i.model == m);
    let asked = TicketIncludes {
        contact: want("contact"),
        department: want("department"),
        user: want("user"),
        last_message: want("lastMessage"),
        first_message: want("firstMessage"),
    };
    let related = state.service.ticket_related(who, list, asked).await?;
    // What the included contacts bring along themselves (their tags, service, person).
    let contact_includes: &[Include] = includes
        .iter()
        .find(|i| i.model == "contact")
        .map_or(&[], |i| i.include.as_slice());
    let nested = |m: &str| contact_includes.iter().any(|i| i.model == m);
    let contact_related = if contact_includes.is_empty() {
        balcao_service::ContactRelations::default()
    } else {
        state
            .service
            .contact_relations(
                who,
                related.contacts.values(),
                (nested("tags"), nested("service"), nested("person")),
            )
            .await?
    };
    let topics = if want("ticketTopics") {
        super::directory::all(|p| state.service.list_topics(who, balcao_service::ArchivedFilter::All, p)).await?
    } else {
        Vec::new()
    };
    let account = if want("account") {
        let (_, account) = state.service.me(who).await?;
        json!({"id": account.id, "name": account.name, "createdAt": account.created_at, "updatedAt": account.updated_at})
    } else {
        Value::Null
    };
    Ok(list
        .iter()
        .map(|t| {
            let mut v = views::ticket(t);
            for include in includes {
                let value = match include.model.as_str() {
                    "contact" => related
                        .contacts
                        .get(&t.contact_id)
                        .map_or(Value::Null, |c| views::contact(c, &include.include, &contact_related)),
                    "department" => t.department_id.and_then(|d| related.departments.get(&d)).map_or(
                        Value::Null,
                        |d| json!({"id": d.id, "name": d.name, "accountId": d.account_id, "archivedAt": d.archived_at}),
                    ),
                    "user" => t
                        .user_id
                        .and_then(|u| related.users.get(&u))
                        .map_or(Value::Null, |u| views::user(u, None)),
                    "lastMessage" | "firstMessage" => {
                        let id = if include.model == "lastMessage" {
                            t.last_message_id
                        } else {
                            t.first_message_id
                        };
                        id.and_then(|m| related.messages.get(&m))
                            .map_or(Value::Null, |m| views::message(m, Some((t.department_id, t.user_id))))
                    }
                    "ticketTopics" => Value::Array(
                        topics
                            .iter()
                            .filter(|topic| t.topic_ids.contains(&topic.id))
                            .map(|topic| json!({"id": topic.id, "name": topic.name, "archivedAt": topic.archived_at}))
                            .collect(),
                    ),
                    "account" => account.clone(),
                    _ => Value::Null,
                };
                v[include.model.as_str()] = views::project(value, include.attributes.as_deref());
            }
            v
        })
        .collect())
}

async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let spec = parse_list(&MODEL, uri.query(), who.account_id.0)?;
    let (tickets, total) = state.service.query_tickets(&who, &spec.query).await?;
    let data = render(&state, &who, &tickets, &spec.includes).await?;
    Ok(axum::Json(listed(&spec, data, total)))
}

async fn one(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    uri: OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    let spec = parse_list(&MODEL, uri.query(), who.account_id.0)?;
    let t = state.service.get_ticket(&who, TicketId(target)).await?;
    Ok(axum::Json(
        render(&state, &who, std::slice::from_ref(&t), &spec.includes)
            .await?
            .pop()
            .unwrap_or(Value::Null),
    ))
}

/// Transfers the contact's open ticket, or opens one there when it has none.
async fn transfer(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let t = state
        .service
        .transfer_contact_ticket(
            &who,
            ContactId(target),
            id(&body, "departmentId")?,
            id(&body, "userId")?,
            text(&body, "comments"),
        )
        .await?;
    Ok(axum::Json(views::ticket(&t)))
}

/// Closes the contact's open ticket, under `ticketTopicIds` (one id or a list).
async fn close(
    State(state): State<AppState>,
    Caller(who): Caller,
    PathUuid(target): PathUuid,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let topic_ids = id_list(body.get("ticketTopicIds"), "ticketTopicIds")?.unwrap_or_default();
    let t = state
        .service
        .close_contact_ticket(&who, ContactId(target), topic_ids, text(&body, "comments"))
        .await?;
    Ok(axum::Json(views::ticket(&t)))
}

/// Transfers the listed tickets (`ticketsSelectedId`) to a department (and user).
async fn bulk_transfer(
    State(state): State<AppState>,
    Caller(who): Caller,
    Body(body): Body,
) -> Result<axum::Json<Value>, DigisacError> {
    let ids = id_list(body.get("ticketsSelectedId"), "ticketsSelectedId")?.unwrap_or_default();
    if ids.is_empty() || ids.len() > 1000 {
        return Err(DigisacError::bad_request("`ticketsSelectedId` lists 1 to 1000 tickets"));
    }
    let mut done = Vec::new();
    for ticket in ids {
        let change = TicketChange::Transfer {
            department_id: id(&body, "departmentId")?,
            user_id: id(&body, "userId")?,
            comment: text(&body, "comments"),
        };
        done.push(views::ticket(
            &state.service.change_ticket(&who, TicketId(ticket), change).await?,
        ));
    }
    Ok(axum::Json(Value::Array(done)))
}
