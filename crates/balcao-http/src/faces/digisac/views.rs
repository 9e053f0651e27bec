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
