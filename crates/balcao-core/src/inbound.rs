//! What channels report, in Balcão's terms: messages from contacts and delivery reports of
//! the company's messages. Each connector turns its channel's wire format into these.

use serde_json::Value;

use crate::{DeliveryStatus, MessageId, MessageType, Timestamp};

/// A message a contact sent through a channel.
#[derive(Clone, Debug, PartialEq)]
pub struct InboundMessage {
    /// The channel's id for the message (a WhatsApp `wamid`); a message arriving twice is
    /// stored once.
    pub external_id: String,
    /// The channel's id for the sender (a WhatsApp id: the phone number's digits).
    pub from: String,
    /// The name the sender shows on the channel.
    pub profile_name: Option<String>,
    /// When the contact sent it, by the channel's clock.
    pub sent_at: Timestamp,
    pub kind: MessageType,
    /// The text, or a media message's caption, or a reply's title.
    pub text: Option<String>,
    /// Structured content: location, contact cards, a button or list reply, a reaction.
    pub payload: Option<Value>,
    /// The file of a media message, still on the channel's side.
    pub media: Option<RemoteMedia>,
    /// The channel's id of the message this one answers (quotes or reacts to).
    pub context_id: Option<String>,
}

/// A file held by the channel, fetched after the message is stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteMedia {
    pub external_id: String,
    pub mime_type: String,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
}

/// A delivery report of a message the company sent.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryReport {
    /// The channel's id of the message.
    pub external_id: String,
    /// Balcão's id of the message when the channel echoes it back (WhatsApp's
    /// `biz_opaque_callback_data`), so a report that overtakes the send's answer still finds
    /// its message.
    pub message_id: Option<MessageId>,
    pub status: DeliveryStatus,
    pub at: Timestamp,
    pub error_code: Option<String>,
    pub error_text: Option<String>,
}

/// Meta's review of a message template changed (`message_template_status_update`).
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateReviewUpdate {
    /// Meta's id of the template.
    pub external_id: String,
    pub name: Option<String>,
    pub language: Option<String>,
    /// Meta's `event`: `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub event: String,
    pub reason: Option<String>,
}

/// Everything one notification of a channel carried.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InboundBatch {
    pub messages: Vec<InboundMessage>,
    pub reports: Vec<DeliveryReport>,
    pub templates: Vec<TemplateReviewUpdate>,
}
