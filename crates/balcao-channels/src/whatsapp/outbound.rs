//! Balcão messages turned into Cloud API send requests.

use balcao_core::{Message, MessageType};
use serde_json::{Map, Value, json};

/// What a send needs besides the message.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    pub message: &'a Message,
    /// The contact's WhatsApp number (digits).
    pub to: &'a str,
    /// The Graph media id of the message's file, uploaded before.
    pub media_id: Option<&'a str>,
    pub file_name: Option<&'a str>,
    /// The channel's id of the message quoted (or reacted to).
    pub context_id: Option<&'a str>,
    /// A template message's template: name and language.
    pub template: Option<(&'a str, &'a str)>,
}

/// The request body, or why the message cannot go out on WhatsApp. The message's id rides
/// along as `biz_opaque_callback_data`, which Meta echoes in delivery reports.
pub fn build(o: Outgoing<'_>) -> Result<Value, String> {
    let m = o.message;
    let payload = m.payload.as_ref().unwrap_or(&Value::Null);
    let (wa_type, object) = match m.kind {
        MessageType::Text => (
            "text",
            json!({ "body": m.text.as_deref().unwrap_or_default(), "preview_url": true }),
        ),
        MessageType::Image | MessageType::Video | MessageType::Audio | MessageType::Document | MessageType::Sticker => {
            let id = o.media_id.ok_or("the file was not uploaded")?;
            let mut object = json!({ "id": id });
            if let Some(caption) = m.text.as_deref()
                && !matches!(m.kind, MessageType::Audio | MessageType::Sticker)
            {
                object["caption"] = caption.into();
            }
            if m.kind == MessageType::Document
                && let Some(name) = o.file_name
            {
                object["filename"] = name.into();
            }
            (m.kind.as_str(), object)
        }
        MessageType::Location => {
            let mut object = json!({ "latitude": payload["latitude"], "longitude": payload["longitude"] });
            for field in ["name", "address"] {
                if payload[field].is_string() {
                    object[field] = payload[field].clone();
                }
            }
            ("location", object)
        }
        MessageType::Contacts => ("contacts", payload["contacts"].clone()),
        MessageType::Template => {
            let (name, language) = o.template.ok_or("the template is gone")?;
            let mut components = Vec::new();
            for part in ["header", "body"] {
                if let Some(params) = payload["parameters"][part].as_array().filter(|p| !p.is_empty()) {
                    let parameters: Vec<Value> = params
                        .iter()
                        .map(|p| json!({ "type": "text", "text": p.as_str().unwrap_or_default() }))
                        .collect();
                    components.push(json!({ "type": part, "parameters": parameters }));
                }
            }
            (
                "template",
                json!({ "name": name, "language": { "policy": "deterministic", "code": language }, "components": components }),
            )
        }
        MessageType::Interactive => ("interactive", interactive(payload)?),
        MessageType::Reaction => {
            let target = o.context_id.ok_or("the message reacted to never reached WhatsApp")?;
            (
                "reaction",
                json!({ "message_id": target, "emoji": payload["emoji"].as_str().unwrap_or_default() }),
            )
        }
        MessageType::Note | MessageType::TicketEvent | MessageType::Unsupported => {
            return Err(format!("{} messages are not sent", m.kind));
        }
    };
    let mut body = Map::new();
    body.insert("messaging_product".into(), "whatsapp".into());
    body.insert("recipient_type".into(), "individual".into());
    body.insert("to".into(), o.to.into());
    body.insert("type".into(), wa_type.into());
    body.insert(wa_type.into(), object);
    body.insert("biz_opaque_callback_data".into(), m.id.0.to_string().into());
    if let Some(context) = o.context_id
        && m.kind != MessageType::Reaction
    {
        body.insert("context".into(), json!({ "message_id": context }));
    }
    Ok(Value::Object(body))
}

/// `{type, header?, body, footer?, action}` as Balcão keeps it, in Meta's shape.
fn interactive(p: &Value) -> Result<Value, String> {
    let kind = p["type"].as_str().ok_or("the interactive message has no type")?;
    let action = match kind {
        "button" => {
            let buttons: Vec<Value> = p["action"]["buttons"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|b| json!({ "type": "reply", "reply": { "id": b["id"], "title": b["title"] } }))
                .collect();
            json!({ "buttons": buttons })
        }
        "list" => json!({ "button": p["action"]["button"], "sections": p["action"]["sections"] }),
        other => return Err(format!("`{other}` interactive messages are not supported")),
    };
    let mut object = json!({ "type": kind, "body": { "text": p["body"] }, "action": action });
    if let Some(h) = p["header"].as_str() {
        object["header"] = json!({ "type": "text", "text": h });
    }
    if let Some(f) = p["footer"].as_str() {
        object["footer"] = json!({ "text": f });
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use balcao_core::*;

    use super::*;

    fn message(kind: MessageType, text: Option<&str>, payload: Option<Value>) -> Message {
        let now = Timestamp::now();
        Message {
            id: MessageId::new(),
            account_id: AccountId::new(),
            connection_id: ConnectionId::new(),
            contact_id: ContactId::new(),
            ticket_id: None,
            direction: Direction::Outbound,
            kind,
            origin: Origin::User,
            user_id: None,
            text: text.map(str::to_owned),
            payload,
            quoted_message_id: None,
            media_id: None,
            status: Some(DeliveryStatus::Queued),
            error_code: None,
            error_text: None,
            external_id: None,
            edited_at: None,
            revoked_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn out<'a>(m: &'a Message) -> Outgoing<'a> {
        Outgoing {
            message: m,
            to: "5511999990000",
            media_id: None,
            file_name: None,
            context_id: None,
            template: None,
        }
    }

    #[test]
    fn texts_templates_and_interactives_take_meta_shapes() {
        let m = message(MessageType::Text, Some("Olá"), None);
        let body = build(Outgoing {
            context_id: Some("wamid.Q"),
            ..out(&m)
        })
        .expect("text");
        assert_eq!(body["type"], "text");
        assert_eq!(body["text"]["body"], "Olá");
        assert_eq!(body["context"]["message_id"], "wamid.Q");
        assert_eq!(body["biz_opaque_callback_data"], m.id.0.to_string());

        let t = message(
            MessageType::Template,
            None,
            Some(json!({"template_id": "x", "parameters": {"header": [], "body": ["Ana", "42"]}})),
        );
        let body = build(Outgoing {
            template: Some(("order_update", "pt_BR")),
            ..out(&t)
        })
        .expect("template");
        assert_eq!(
            body["template"],
            json!({"name": "order_update", "language": {"policy": "deterministic", "code": "pt_BR"},
                   "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "42"}]}]})
        );

        let i = message(
            MessageType::Interactive,
            None,
            Some(json!({"type": "button", "body": "Escolha", "action": {"buttons": [{"id": "a", "title": "A"}]}})),
        );
        let body = build(out(&i)).expect("interactive");
        assert_eq!(
            body["interactive"]["action"]["buttons"][0],
            json!({"type": "reply", "reply": {"id": "a", "title": "A"}})
        );

        let img = message(MessageType::Image, Some("foto"), None);
        assert!(build(out(&img)).is_err(), "a file must be uploaded first");
        let body = build(Outgoing {
            media_id: Some("77"),
            ..out(&img)
        })
        .expect("image");
        assert_eq!(body["image"], json!({"id": "77", "caption": "foto"}));

        let r = message(MessageType::Reaction, None, Some(json!({"emoji": "👍"})));
        let body = build(Outgoing {
            context_id: Some("wamid.T"),
            ..out(&r)
        })
        .expect("reaction");
        assert_eq!(body["reaction"], json!({"message_id": "wamid.T", "emoji": "👍"}));
        assert!(body.get("context").is_none());
        assert!(build(out(&message(MessageType::Note, Some("x"), None))).is_err());
    }
}
