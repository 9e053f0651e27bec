//! Balcão records in Digisac's shapes (camelCase, Digisac's field names and defaults).

use balcao_core::{Account, Connection, ConnectionType, Contact, Person, Tag, Timestamp, User};
use serde_json::{Map, Value, json};

use super::query::Include;

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t))
}

/// Digisac's name of a connection type.
pub fn service_type(kind: ConnectionType) -> &'static str {
    match kind {
        ConnectionType::WhatsappCloud => "whatsapp-business",
        ConnectionType::Telegram => "telegram",
        ConnectionType::Webchat => "webchat",
        ConnectionType::Email => "email",
    }
}

/// The connection type a Digisac service type names.
pub fn balcao_connection_type(service_type: &str) -> Option<ConnectionType> {
    Some(match service_type {
        "whatsapp-business" | "whatsapp" | "whatsapp_cloud" => ConnectionType::WhatsappCloud,
        "telegram" => ConnectionType::Telegram,
        "webchat" => ConnectionType::Webchat,
        "email" => ConnectionType::Email,
        _ => return None,
    })
}

/// A connection as a Digisac service.
pub fn service(c: &Connection) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "type": service_type(c.kind),
        "data": {
            "status": {
                "isConnected": c.status == balcao_core::ConnectionStatus::Connected,
                "isStarted": c.status == balcao_core::ConnectionStatus::Connected,
                "state": c.status.as_str(),
                "detail": c.status_detail,
            },
        },
        "settings": c.kind.public_settings(&c.settings),
        "botId": null,
        "defaultDepartmentId": c.default_department_id,
        "accountId": c.account_id,
        "archivedAt": time(c.archived_at),
        "createdAt": c.created_at,
        "updatedAt": c.updated_at,
        "deletedAt": null,
    })
}

pub fn tag(t: &Tag) -> Value {
    json!({
        "id": t.id,
        "label": t.label,
        "backgroundColor": t.color,
        "accountId": t.account_id,
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
        "deletedAt": null,
    })
}

pub fn person(p: &Person) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "document": p.document,
        "email": p.email,
        "accountId": p.account_id,
        "organizationId": p.organization_id,
        "createdAt": p.created_at,
        "updatedAt": p.updated_at,
    })
}

/// A contact as Digisac shows it; `includes` adds the related records asked for.
pub fn contact(c: &Contact, includes: &[Include], related: &balcao_service::ContactRelations) -> Value {
    let mut v = json!({
        "id": c.id,
        "isMe": false,
        "isGroup": c.is_group,
        "isBroadcast": false,
        "unread": c.unread_count,
        "isSilenced": false,
        "isMyContact": true,
        "hadChat": c.last_message_at.is_some(),
        "visible": c.visible,
        "note": c.note,
        "lastMessageAt": time(c.last_message_at),
        "lastMessageId": null,
        "accountId": c.account_id,
        "serviceId": c.connection_id,
        "personId": c.person_id,
        "defaultDepartmentId": c.default_department_id,
        "defaultUserId": c.default_user_id,
        "status": if c.blocked { "BLOCKED" } else { "ENABLED" },
        "lastContactMessageAt": null,
        "name": c.name,
        "internalName": c.internal_name,
        "alternativeName": c.alternative_name,
        "unsubscribed": false,
        "data": {
            "number": c.phone,
            "email": c.email,
            "valid": true,
            "whatsapp": {"isBlocked": c.blocked},
            "botIsRunning": false,
        },
        "createdAt": c.created_at,
        "updatedAt": c.updated_at,
        "deletedAt": null,
    });
    for include in includes {
        let value = match include.model.as_str() {
            "tags" => Value::Array(c.tag_ids.iter().filter_map(|t| related.tags.get(t)).map(tag).collect()),
            "service" => related.connections.get(&c.connection_id).map_or(Value::Null, service),
            "person" => c
                .person_id
                .and_then(|p| related.people.get(&p))
                .map_or(Value::Null, person),
            "customFieldValues" => Value::Array(
                c.custom_fields
                    .iter()
                    .map(|(field, value)| json!({"customFieldId": field, "value": value, "contactId": c.id}))
                    .collect(),
            ),
            // Balcão keeps no avatars.
            _ => Value::Null,
        };
        v[include.model.as_str()] = project(value, include.attributes.as_deref());
    }
    v
}

/// Keeps only `attributes` of an object (or of each object of a list), when given.
pub fn project(v: Value, attributes: Option<&[String]>) -> Value {
    let Some(keep) = attributes else { return v };
    match v {
        Value::Object(map) => {
            let kept: Map<String, Value> = map.into_iter().filter(|(k, _)| keep.iter().any(|a| a == k)).collect();
            Value::Object(kept)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|i| project(i, Some(keep))).collect()),
        other => other,
    }
}

/// A user as Digisac shows it.
pub fn user(u: &User, account: Option<&Account>) -> Value {
    let mut v = json!({
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "isSuperAdmin": false,
        "active": !u.is_archived(),
        "accountId": u.account_id,
        "isFirstLogin": false,
        "status": "online",
        "archivedAt": time(u.archived_at),
        "language": "pt-BR",
        "role": u.role.as_str(),
        "departmentIds": u.department_ids,
        "createdAt": u.created_at,
        "updatedAt": u.updated_at,
        "deletedAt": null,
    });
    if let Some(a) = account {
        v["account"] = json!({"id": a.id, "name": a.name});
    }
    v
}

/// Digisac's message type for a Balcão message.
pub fn message_type(m: &balcao_core::Message) -> &'static str {
    use balcao_core::MessageType as T;
    match m.kind {
        T::Text => "chat",
        T::Note => "comment",
        T::TicketEvent => "ticket",
        T::Audio if m.payload.as_ref().is_some_and(|p| p["voice"] == true) => "ptt",
        T::Contacts => "vcard",
        T::Template => "hsm",
        T::Interactive => "interactive",
        other => other.as_str(),
    }
}

/// Balcão's message type for a Digisac type.
pub fn balcao_type(digisac: &str) -> Option<&'static str> {
    Some(match digisac {
        "chat" => "text",
        "comment" => "note",
        "ticket" => "ticket_event",
        "ptt" | "audio" => "audio",
        "vcard" => "contacts",
        "hsm" => "template",
        "image" => "image",
        "video" => "video",
        "document" => "document",
        "sticker" => "sticker",
        "location" => "location",
        "interactive" => "interactive",
        "reaction" => "reaction",
        "unsupported" => "unsupported",
        _ => return None,
    })
}

/// Digisac's acknowledgement level of a delivery status.
pub fn ack(status: Option<balcao_core::DeliveryStatus>) -> i64 {
    use balcao_core::DeliveryStatus as S;
    match status {
        None | Some(S::Queued) => 0,
        Some(S::Sent) => 1,
        Some(S::Delivered) => 2,
        Some(S::Read) => 3,
        Some(S::Failed) => -1,
    }
}

/// A message as Digisac shows it; `routing` is its ticket's (department, user).
pub fn message(
    m: &balcao_core::Message,
    routing: Option<(Option<balcao_core::DepartmentId>, Option<balcao_core::UserId>)>,
) -> Value {
    use balcao_core::{DeliveryStatus, Direction, Origin};
    let from_me = m.direction == Direction::Outbound;
    let (department, user) = routing.unwrap_or((None, None));
    json!({
        "id": m.id,
        "isFromMe": from_me,
        "sent": matches!(m.status, Some(DeliveryStatus::Sent | DeliveryStatus::Delivered | DeliveryStatus::Read)) || !from_me,
        "type": message_type(m),
        "timestamp": m.created_at,
        "visible": m.revoked_at.is_none(),
        "text": m.text,
        "obfuscated": false,
        "files": if m.media_id.is_some() { json!([{"id": m.media_id}]) } else { json!([]) },
        "quotedMessageId": m.quoted_message_id,
        "isFromBot": m.origin == Origin::Bot,
        "data": {
            "ack": ack(m.status),
            "isNew": false,
            "isFirst": false,
            "error": m.error_code.as_ref().map(|code| json!({"code": code, "message": m.error_text})),
            "payload": m.payload,
        },
        "accountId": m.account_id,
        "contactId": m.contact_id,
        "fromId": if from_me { Value::Null } else { json!(m.contact_id) },
        "toId": if from_me { json!(m.contact_id) } else { Value::Null },
        "serviceId": m.connection_id,
        "userId": m.user_id,
        "ticketId": m.ticket_id,
        "ticketUserId": user,
        "ticketDepartmentId": department,
        "origin": match m.origin {
            Origin::User => json!("user"),
            Origin::Bot => json!("bot"),
            Origin::System => json!("ticket"),
            _ => Value::Null,
        },
        "externalId": m.external_id,
        "createdAt": m.created_at,
        "updatedAt": m.updated_at,
        "deletedAt": time(m.revoked_at),
    })
}

/// A ticket as Digisac shows it (times in seconds: `ticketTime`, `waitingTime`, `messagingTime`).
pub fn ticket(t: &balcao_core::Ticket) -> Value {
    let open = t.status != balcao_core::TicketStatus::Resolved;
    let secs = |from: Timestamp, to: Option<Timestamp>| to.map(|to| from.secs_until(to));
    json!({
        "id": t.id,
        "isOpen": open,
        "protocol": t.protocol,
        "origin": null,
        "status": t.status.as_str(),
        "priority": t.priority,
        "startedAt": t.started_at,
        "endedAt": time(t.ended_at),
        "contactId": t.contact_id,
        "serviceId": t.connection_id,
        "departmentId": t.department_id,
        "userId": t.user_id,
        "accountId": t.account_id,
        "firstMessageId": t.first_message_id,
        "lastMessageId": t.last_message_id,
        "ticketTime": secs(t.started_at, t.ended_at),
        "waitingTime": secs(t.started_at, t.first_reply_at),
        "messagingTime": t.first_reply_at.and_then(|f| secs(f, t.ended_at)),
        "ticketTopicIds": t.topic_ids,
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
    })
}
