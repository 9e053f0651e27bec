//! Webhook notifications of the Cloud API turned into Balcão's terms.
//!
//! A notification carries changes for one or more phone numbers of a business account; only
//! the changes of the connection's own number are taken. A message this module cannot read
//! is not dropped: it becomes an `unsupported` message holding what arrived.

use balcao_core::{
    DeliveryReport, DeliveryStatus, InboundBatch, InboundMessage, MessageId, MessageType, RemoteMedia,
    TemplateReviewUpdate, Timestamp,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Why a notification was refused as a whole.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("`object` is `{0}`, not `whatsapp_business_account`")]
    WrongObject(String),
}

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    value: Option<ChangeValue>,
}

#[derive(Deserialize)]
struct ChangeValue {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    contacts: Vec<WaContact>,
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    statuses: Vec<Value>,
    /// `message_template_status_update`: `event`, `message_template_id`, `reason`, ...
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    message_template_id: Option<Value>,
    #[serde(default)]
    message_template_name: Option<String>,
    #[serde(default)]
    message_template_language: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: Option<String>,
}

#[derive(Deserialize)]
struct WaContact {
    #[serde(default)]
    wa_id: Option<String>,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
}

/// A template review notification (Meta sends the id as a number).
fn template_update(value: ChangeValue) -> Option<TemplateReviewUpdate> {
    let external_id = match value.message_template_id? {
        Value::Number(n) => n.to_string(),
        Value::String(s) if !s.is_empty() => s,
        _ => return None,
    };
    Some(TemplateReviewUpdate {
        external_id,
        name: value.message_template_name,
        language: value.message_template_language,
        event: value.event?,
        reason: value.reason.filter(|r| !r.is_empty() && r != "NONE"),
    })
}

/// Reads a notification for the number `phone_number_id`.
pub fn parse(body: &[u8], phone_number_id: &str) -> Result<InboundBatch, ParseError> {
    let notification: Notification = serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))?;
    match notification.object.as_deref() {
        Some("whatsapp_business_account") => {}
        other => return Err(ParseError::WrongObject(other.unwrap_or("").to_owned())),
    }
    let mut batch = InboundBatch::default();
    for change in notification.entry.into_iter().flat_map(|e| e.changes) {
        if change.field.as_deref() == Some("message_template_status_update") {
            if let Some(update) = change.value.and_then(template_update) {
                batch.templates.push(update);
            }
            continue;
        }
        if change.field.as_deref().is_some_and(|f| f != "messages") {
            continue;
        }
        let Some(value) = change.value else { continue };
        let number = value.metadata.as_ref().and_then(|m| m.phone_number_id.as_deref());
        if number.is_some_and(|n| n != phone_number_id) {
            tracing::debug!(?number, "notification for another phone number ignored");
            continue;
        }
        for raw in &value.messages {
            let from = raw["from"].as_str().unwrap_or_default();
            let profile = value
                .contacts
                .iter()
                .find(|c| c.wa_id.as_deref() == Some(from))
                .or(value.contacts.first())
                .and_then(|c| c.profile.as_ref())
                .and_then(|p| p.name.clone());
            if let Some(m) = message(raw, profile) {
                batch.messages.push(m);
            }
        }
        batch.reports.extend(value.statuses.iter().filter_map(report));
    }
    Ok(batch)
}

fn seconds(v: &Value) -> Timestamp {
    let secs = match v {
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    match secs {
        Some(s) if s > 0 => Timestamp::from_micros(s.saturating_mul(1_000_000)),
        _ => Timestamp::now(),
    }
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// One message; `None` only when it lacks the ids nothing can be stored without.
fn message(raw: &Value, profile_name: Option<String>) -> Option<InboundMessage> {
    let external_id = text_of(&raw["id"])?;
    let from = text_of(&raw["from"])?;
    let wa_type = raw["type"].as_str().unwrap_or("unsupported");
    let mut m = InboundMessage {
        external_id,
        from,
        profile_name,
        sent_at: seconds(&raw["timestamp"]),
        kind: MessageType::Unsupported,
        text: None,
        payload: None,
        media: None,
        context_id: text_of(&raw["context"]["id"]),
    };
    let body = &raw[wa_type];
    match wa_type {
        "text" => {
            m.kind = MessageType::Text;
            m.text = text_of(&body["body"]);
        }
        "image" | "video" | "audio" | "document" | "sticker" => {
            let kind = match wa_type {
                "image" => MessageType::Image,
                "video" => MessageType::Video,
                "audio" => MessageType::Audio,
                "document" => MessageType::Document,
                _ => MessageType::Sticker,
            };
            match (text_of(&body["id"]), text_of(&body["mime_type"])) {
                (Some(id), Some(mime)) => {
                    m.kind = kind;
                    m.text = text_of(&body["caption"]);
                    m.media = Some(RemoteMedia {
                        external_id: id,
                        mime_type: mime.split(';').next().unwrap_or(&mime).trim().to_owned(),
                        sha256: text_of(&body["sha256"]),
                        file_name: text_of(&body["filename"]),
                    });
                    if wa_type == "audio" && body["voice"].as_bool() == Some(true) {
                        m.payload = Some(json!({ "voice": true }));
                    }
                }
                _ => m.payload = Some(unsupported(wa_type, raw)),
            }
        }
        "location" => match (body["latitude"].as_f64(), body["longitude"].as_f64()) {
            (Some(latitude), Some(longitude)) => {
                m.kind = MessageType::Location;
                let mut p = json!({ "latitude": latitude, "longitude": longitude });
                for field in ["name", "address", "url"] {
                    if let Some(t) = text_of(&body[field]) {
                        p[field] = Value::String(t);
                    }
                }
                m.payload = Some(p);
            }
            _ => m.payload = Some(unsupported(wa_type, raw)),
        },
        "contacts" => match raw["contacts"].as_array() {
            Some(cards) if !cards.is_empty() => {
                m.kind = MessageType::Contacts;
                m.payload = Some(json!({ "contacts": cards }));
            }
            _ => m.payload = Some(unsupported(wa_type, raw)),
        },
        "interactive" => {
            let reply_type = body["type"].as_str().unwrap_or_default();
            let reply = &body[reply_type];
            match (reply_type, text_of(&reply["id"])) {
                ("button_reply" | "list_reply", Some(id)) => {
                    m.kind = MessageType::Interactive;
                    m.text = text_of(&reply["title"]);
                    let mut p = json!({ "type": reply_type, "id": id, "title": m.text });
                    if let Some(d) = text_of(&reply["description"]) {
                        p["description"] = Value::String(d);
                    }
                    m.payload = Some(p);
                }
                _ => m.payload = Some(unsupported(wa_type, raw)),
            }
        }
        "button" => {
            m.kind = MessageType::Interactive;
            m.text = text_of(&body["text"]);
            m.payload = Some(json!({ "type": "button", "text": m.text, "payload": body["payload"] }));
        }
        "reaction" => match text_of(&body["message_id"]) {
            Some(target) => {
                m.kind = MessageType::Reaction;
                m.context_id = Some(target);
                m.payload = Some(json!({ "emoji": body["emoji"].as_str().unwrap_or_default() }));
            }
            None => m.payload = Some(unsupported(wa_type, raw)),
        },
        _ => m.payload = Some(unsupported(wa_type, raw)),
    }
    Some(m)
}

/// What an unreadable message keeps: its type, Meta's errors and the whole object.
fn unsupported(wa_type: &str, raw: &Value) -> Value {
    json!({ "channel_type": wa_type, "errors": raw.get("errors"), "raw": raw })
}

fn report(raw: &Value) -> Option<DeliveryReport> {
    let external_id = text_of(&raw["id"])?;
    let status = match raw["status"].as_str()? {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" | "played" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        _ => return None,
    };
    let error = raw["errors"].as_array().and_then(|e| e.first());
    Some(DeliveryReport {
        external_id,
        message_id: raw["biz_opaque_callback_data"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .map(MessageId),
        status,
        at: seconds(&raw["timestamp"]),
        error_code: error.and_then(|e| match &e["code"] {
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) => Some(s.clone()),
            _ => None,
        }),
        error_text: error.and_then(|e| {
            let title = e["title"].as_str().or(e["message"].as_str())?;
            Some(match e["error_data"]["details"].as_str() {
                Some(details) if details != title => format!("{title}: {details}"),
                _ => title.to_owned(),
            })
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(value: Value) -> Vec<u8> {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{"field": "messages", "value": value}]}]})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn messages_of_every_type_are_read() {
        let body = wrap(json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511400000000", "phone_number_id": "PN1"},
            "contacts": [{"profile": {"name": "Maria"}, "wa_id": "5511999990000"}],
            "messages": [
                {"from": "5511999990000", "id": "w1", "timestamp": "1700000000", "type": "text", "text": {"body": "Oi"}},
                {"from": "5511999990000", "id": "w2", "timestamp": "1700000001", "type": "image",
                 "image": {"id": "M1", "mime_type": "image/jpeg", "sha256": "abc", "caption": "foto"}},
                {"from": "5511999990000", "id": "w3", "timestamp": "1700000002", "type": "audio",
                 "audio": {"id": "M2", "mime_type": "audio/ogg; codecs=opus", "voice": true}},
                {"from": "5511999990000", "id": "w4", "timestamp": "1700000003", "type": "location",
                 "location": {"latitude": -23.5, "longitude": -46.6, "name": "Loja"}},
                {"from": "5511999990000", "id": "w5", "timestamp": "1700000004", "type": "interactive",
                 "context": {"from": "5511400000000", "id": "wout"},
                 "interactive": {"type": "list_reply", "list_reply": {"id": "r1", "title": "Sim", "description": "Quero"}}},
                {"from": "5511999990000", "id": "w6", "timestamp": "1700000005", "type": "reaction",
                 "reaction": {"message_id": "wout", "emoji": "👍"}},
                {"from": "5511999990000", "id": "w7", "timestamp": "1700000006", "type": "unsupported",
                 "errors": [{"code": 131051, "title": "Message type unknown"}]},
                {"from": "5511999990000", "id": "w8", "timestamp": "1700000007", "type": "document",
                 "document": {"id": "M3", "mime_type": "application/pdf", "filename": "nota.pdf"}},
                {"from": "5511999990000", "id": "w9", "timestamp": "1700000008", "type": "button",
                 "button": {"text": "Parar", "payload": "STOP"}}
            ]
        }));
        let batch = parse(&body, "PN1").expect("valid");
        let kinds: Vec<_> = batch.messages.iter().map(|m| m.kind).collect();
        use MessageType::*;
        assert_eq!(
            kinds,
            [
                Text,
                Image,
                Audio,
                Location,
                Interactive,
                Reaction,
                Unsupported,
                Document,
                Interactive
            ]
        );
        let m = &batch.messages;
        assert_eq!(m[0].text.as_deref(), Some("Oi"));
        assert_eq!(m[0].profile_name.as_deref(), Some("Maria"));
        assert_eq!(m[0].sent_at, Timestamp::from_micros(1_700_000_000_000_000));
        assert_eq!(m[1].media.as_ref().map(|x| x.external_id.as_str()), Some("M1"));
        assert_eq!(m[1].text.as_deref(), Some("foto"));
        assert_eq!(m[2].media.as_ref().map(|x| x.mime_type.as_str()), Some("audio/ogg"));
        assert_eq!(m[3].payload.as_ref().map(|p| p["name"].clone()), Some(json!("Loja")));
        assert_eq!(m[4].context_id.as_deref(), Some("wout"));
        assert_eq!(m[4].payload.as_ref().map(|p| p["id"].clone()), Some(json!("r1")));
        assert_eq!(m[5].context_id.as_deref(), Some("wout"));
        assert_eq!(
            m[7].media.as_ref().and_then(|x| x.file_name.as_deref()),
            Some("nota.pdf")
        );
        assert_eq!(m[8].text.as_deref(), Some("Parar"));
    }

    #[test]
    fn statuses_keep_the_error_and_the_echoed_id() {
        let id = uuid_like();
        let body = wrap(json!({
            "metadata": {"phone_number_id": "PN1"},
            "statuses": [
                {"id": "wout", "status": "delivered", "timestamp": "1700000000", "recipient_id": "55119"},
                {"id": "wout2", "status": "failed", "timestamp": "1700000001", "recipient_id": "55119",
                 "biz_opaque_callback_data": id,
                 "errors": [{"code": 131026, "title": "Message undeliverable", "error_data": {"details": "not on WhatsApp"}}]},
                {"id": "wout3", "status": "deleted", "timestamp": "1700000001"}
            ]
        }));
        let batch = parse(&body, "PN1").expect("valid");
        assert_eq!(batch.reports.len(), 2);
        assert_eq!(batch.reports[0].status, DeliveryStatus::Delivered);
        let failed = &batch.reports[1];
        assert_eq!(failed.error_code.as_deref(), Some("131026"));
        assert_eq!(
            failed.error_text.as_deref(),
            Some("Message undeliverable: not on WhatsApp")
        );
        assert_eq!(failed.message_id.map(|m| m.0.to_string()), Some(id));
    }

    fn uuid_like() -> String {
        "0190f0a0-0000-7000-8000-000000000001".to_owned()
    }

    #[test]
    fn other_numbers_and_bad_bodies() {
        let body = wrap(json!({"metadata": {"phone_number_id": "OTHER"},
            "messages": [{"from": "1", "id": "x", "timestamp": "1", "type": "text", "text": {"body": "hi"}}]}));
        assert!(parse(&body, "PN1").expect("valid").messages.is_empty());
        assert!(matches!(parse(b"not json", "PN1"), Err(ParseError::NotJson(_))));
        assert_eq!(
            parse(br#"{"object":"page","entry":[]}"#, "PN1"),
            Err(ParseError::WrongObject("page".into()))
        );
    }

    #[test]
    fn template_reviews_are_read() {
        let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [
            {"field": "message_template_status_update", "value": {"event": "REJECTED",
                "message_template_id": 594425479261596_u64, "message_template_name": "order_update",
                "message_template_language": "pt_BR", "reason": "INVALID_FORMAT"}},
            {"field": "message_template_status_update", "value": {"event": "APPROVED",
                "message_template_id": "77", "reason": "NONE"}}
        ]}]});
        let batch = parse(body.to_string().as_bytes(), "1").expect("a valid notification");
        assert!(batch.messages.is_empty());
        assert_eq!(batch.templates.len(), 2);
        assert_eq!(batch.templates[0].external_id, "594425479261596");
        assert_eq!(batch.templates[0].event, "REJECTED");
        assert_eq!(batch.templates[0].reason.as_deref(), Some("INVALID_FORMAT"));
        assert_eq!(batch.templates[0].language.as_deref(), Some("pt_BR"));
        assert_eq!(
            (
                batch.templates[1].external_id.as_str(),
                batch.templates[1].reason.as_ref()
            ),
            ("77", None)
        );
    }
}
