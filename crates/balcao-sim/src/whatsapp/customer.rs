//! Simulated customers writing to the business.

use std::fmt;

use anyhow::bail;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{WhatsappSim, new_wamid, sha256, timestamp_now};

/// A simulated WhatsApp user who writes to the business. Every `send_*` builds Meta's message object (fresh wamid,
/// timestamp now), opens the customer's 24-hour window, delivers the signed notification (with redelivery) and
/// returns the message's wamid; a delivery that never got HTTP 200 is an error.
#[derive(Clone)]
pub struct Customer {
    wa_id: String,
    name: String,
    sim: WhatsappSim,
}

impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Customer")
            .field("wa_id", &self.wa_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Customer {
    pub(crate) fn new(sim: WhatsappSim, wa_id: String, name: String) -> Self {
        Customer { wa_id, name, sim }
    }

    pub fn wa_id(&self) -> &str {
        &self.wa_id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub async fn send_text(&self, body: &str) -> anyhow::Result<String> {
        self.write("text", json!({ "body": body }), None).await
    }

    /// A text replying to a message (with `context{from, id}`).
    pub async fn reply_text(&self, to_wamid: &str, body: &str) -> anyhow::Result<String> {
        self.write("text", json!({ "body": body }), Some(to_wamid)).await
    }

    pub async fn send_image(&self, bytes: Vec<u8>, mime_type: &str, caption: Option<&str>) -> anyhow::Result<String> {
        let mut image = self.media_object(bytes, mime_type);
        if let Some(caption) = caption {
            image.insert("caption".to_owned(), json!(caption));
        }
        self.write("image", Value::Object(image), None).await
    }

    pub async fn send_video(&self, bytes: Vec<u8>, mime_type: &str, caption: Option<&str>) -> anyhow::Result<String> {
        let mut video = self.media_object(bytes, mime_type);
        if let Some(caption) = caption {
            video.insert("caption".to_owned(), json!(caption));
        }
        self.write("video", Value::Object(video), None).await
    }

    /// An audio file, or a voice note when `voice`.
    pub async fn send_audio(&self, bytes: Vec<u8>, mime_type: &str, voice: bool) -> anyhow::Result<String> {
        let mut audio = self.media_object(bytes, mime_type);
        audio.insert("voice".to_owned(), json!(voice));
        self.write("audio", Value::Object(audio), None).await
    }

    pub async fn send_document(
        &self,
        bytes: Vec<u8>,
        mime_type: &str,
        filename: &str,
        caption: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut document = self.media_object(bytes, mime_type);
        document.insert("filename".to_owned(), json!(filename));
        if let Some(caption) = caption {
            document.insert("caption".to_owned(), json!(caption));
        }
        self.write("document", Value::Object(document), None).await
    }

    /// A (static) `image/webp` sticker.
    pub async fn send_sticker(&self, bytes: Vec<u8>) -> anyhow::Result<String> {
        let mut sticker = self.media_object(bytes, "image/webp");
        sticker.insert("animated".to_owned(), json!(false));
        self.write("sticker", Value::Object(sticker), None).await
    }

    pub async fn send_location(
        &self,
        latitude: f64,
        longitude: f64,
        name: Option<&str>,
        address: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut location = json!({ "latitude": latitude, "longitude": longitude });
        if let Some(name) = name {
            location["name"] = json!(name);
        }
        if let Some(address) = address {
            location["address"] = json!(address);
        }
        self.write("location", location, None).await
    }

    /// Shares contact cards: an array of `{name{formatted_name, ..}, phones[..], ..}` (a single card is wrapped).
    pub async fn send_contacts(&self, cards: Value) -> anyhow::Result<String> {
        let cards = match cards {
            Value::Array(cards) => Value::Array(cards),
            card => Value::Array(vec![card]),
        };
        self.write("contacts", cards, None).await
    }

    /// Taps a reply button of an interactive message.
    pub async fn send_button_reply(&self, to_wamid: &str, id: &str, title: &str) -> anyhow::Result<String> {
        let interactive = json!({ "type": "button_reply", "button_reply": { "id": id, "title": title } });
        self.write("interactive", interactive, Some(to_wamid)).await
    }

    /// Picks a row of an interactive list.
    pub async fn send_list_reply(
        &self,
        to_wamid: &str,
        id: &str,
        title: &str,
        description: &str,
    ) -> anyhow::Result<String> {
        let interactive =
            json!({ "type": "list_reply", "list_reply": { "id": id, "title": title, "description": description } });
        self.write("interactive", interactive, Some(to_wamid)).await
    }

    /// Taps a quick-reply button of a template message (type `button`).
    pub async fn send_quick_reply(&self, to_wamid: &str, text: &str, payload: &str) -> anyhow::Result<String> {
        self.write("button", json!({ "text": text, "payload": payload }), Some(to_wamid))
            .await
    }

    /// Reacts to a message with an emoji; `None` removes the reaction.
    pub async fn react(&self, to_wamid: &str, emoji: Option<&str>) -> anyhow::Result<String> {
        let mut reaction = json!({ "message_id": to_wamid });
        if let Some(emoji) = emoji {
            reaction["emoji"] = json!(emoji);
        }
        self.write("reaction", reaction, None).await
    }

    /// A message of a type the Cloud API does not support (e.g. a poll).
    pub async fn send_unsupported(&self) -> anyhow::Result<String> {
        let mut message = self.message_object("unsupported");
        message.insert(
            "errors".to_owned(),
            json!([{
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": { "details": "Message type is currently not supported." },
            }]),
        );
        self.deliver(Value::Object(message)).await
    }

    /// The notification body a message object would be delivered in.
    pub fn notification(&self, message: Value) -> Value {
        self.sim.message_notification(&self.wa_id, &self.name, message)
    }

    /// `{from, id, timestamp, type}` with a fresh wamid.
    fn message_object(&self, kind: &str) -> Map<String, Value> {
        let mut message = Map::new();
        message.insert("from".to_owned(), json!(self.wa_id));
        message.insert("id".to_owned(), json!(new_wamid(&self.wa_id)));
        message.insert("timestamp".to_owned(), json!(timestamp_now()));
        message.insert("type".to_owned(), json!(kind));
        message
    }

    /// Stores the bytes as media and answers the common part of a media message object. The webhook's `sha256` is
    /// base64, as Meta sends it (the media information endpoint answers hex).
    fn media_object(&self, bytes: Vec<u8>, mime_type: &str) -> Map<String, Value> {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha256(&bytes));
        let id = self.sim.add_media(bytes, mime_type);
        let mut media = Map::new();
        media.insert("mime_type".to_owned(), json!(mime_type));
        media.insert("sha256".to_owned(), json!(hash));
        media.insert("id".to_owned(), json!(id));
        media
    }

    async fn write(&self, kind: &str, content: Value, context: Option<&str>) -> anyhow::Result<String> {
        let mut message = self.message_object(kind);
        if let Some(id) = context {
            message.insert(
                "context".to_owned(),
                json!({ "from": self.sim.display_digits(), "id": id }),
            );
        }
        message.insert(kind.to_owned(), content);
        self.deliver(Value::Object(message)).await
    }

    async fn deliver(&self, message: Value) -> anyhow::Result<String> {
        let wamid = message.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        self.sim.note_customer_message(&self.wa_id, &self.name, &wamid);
        let status = self.sim.deliver(self.notification(message)).await?;
        if status != 200 {
            bail!("the webhook answered HTTP {status} to message {wamid} after all delivery attempts");
        }
        Ok(wamid)
    }
}
