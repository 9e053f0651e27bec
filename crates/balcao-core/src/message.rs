//! Messages: the timeline of a contact, across tickets.

use serde::Serialize;
use serde_json::Value;

use crate::{AccountId, ConnectionId, ContactId, MediaId, MessageId, TicketId, Timestamp, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the contact.
    Inbound,
    /// From the company (or internal: notes and ticket events).
    Outbound,
}

crate::string_enum!(Direction {
    Inbound => "inbound",
    Outbound => "outbound",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    Text,
    /// Internal note: shown to the company only, never sent.
    Note,
    Image,
    Audio,
    Video,
    Document,
    Sticker,
    Location,
    Contacts,
    Template,
    Interactive,
    Reaction,
    /// A message the channel could not show (a type it does not support).
    Unsupported,
    /// A ticket's history entry shown in the timeline.
    TicketEvent,
}

crate::string_enum!(MessageType {
    Text => "text",
    Note => "note",
    Image => "image",
    Audio => "audio",
    Video => "video",
    Document => "document",
    Sticker => "sticker",
    Location => "location",
    Contacts => "contacts",
    Template => "template",
    Interactive => "interactive",
    Reaction => "reaction",
    Unsupported => "unsupported",
    TicketEvent => "ticket_event",
});

impl MessageType {
    /// Whether messages of this type carry a file.
    pub fn has_media(self) -> bool {
        matches!(
            self,
            MessageType::Image | MessageType::Audio | MessageType::Video | MessageType::Document | MessageType::Sticker
        )
    }

    /// Whether the message goes to the customer (notes and ticket events stay inside).
    pub fn is_sent(self) -> bool {
        !matches!(self, MessageType::Note | MessageType::TicketEvent)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Contact,
    User,
    Bot,
    System,
    Campaign,
}

crate::string_enum!(Origin {
    Contact => "contact",
    User => "user",
    Bot => "bot",
    System => "system",
    Campaign => "campaign",
});

/// Delivery of a message. It only moves forward: `queued → sent → delivered → read`, or to
/// `failed` from `queued` or `sent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
}

crate::string_enum!(DeliveryStatus {
    Queued => "queued",
    Sent => "sent",
    Delivered => "delivered",
    Read => "read",
    Failed => "failed",
});

impl DeliveryStatus {
    fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed => 4,
        }
    }

    /// Whether a message in `self` may move to `next`. Staying is allowed (channels repeat
    /// themselves); going back is not; `failed` is final and reachable only before delivery.
    pub fn may_become(self, next: DeliveryStatus) -> bool {
        match (self, next) {
            (a, b) if a == b => true,
            (DeliveryStatus::Failed, _) => false,
            (a, DeliveryStatus::Failed) => {
                matches!(a, DeliveryStatus::Queued | DeliveryStatus::Sent)
            }
            (a, b) => b.rank() > a.rank(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub account_id: AccountId,
    pub connection_id: ConnectionId,
    pub contact_id: ContactId,
    pub ticket_id: Option<TicketId>,
    pub direction: Direction,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub origin: Origin,
    /// The company user who wrote it.
    pub user_id: Option<UserId>,
    pub text: Option<String>,
    /// Structured content of non-text types (location, template, interactive, ticket event, ...).
    pub payload: Option<Value>,
    pub quoted_message_id: Option<MessageId>,
    /// The file of image, audio, video, document and sticker messages.
    pub media_id: Option<MediaId>,
    /// `None` for messages that are never sent (notes, ticket events).
    pub status: Option<DeliveryStatus>,
    pub error_code: Option<String>,
    pub error_text: Option<String>,
    /// The channel's id for the message; unique per connection.
    pub external_id: Option<String>,
    pub edited_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::*;

    #[test]
    fn delivery_never_moves_backwards() {
        assert!(Queued.may_become(Sent) && Sent.may_become(Read) && Delivered.may_become(Read));
        assert!(Read.may_become(Read), "repeats are harmless");
        assert!(!Read.may_become(Delivered) && !Delivered.may_become(Sent) && !Sent.may_become(Queued));
        assert!(Queued.may_become(Failed) && Sent.may_become(Failed));
        assert!(!Delivered.may_become(Failed) && !Failed.may_become(Sent));
    }
}

/// The fields of messages a query may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageField {
    Id,
    ConnectionId,
    ContactId,
    TicketId,
    UserId,
    Direction,
    Kind,
    Origin,
    Text,
    Status,
    ExternalId,
    QuotedMessageId,
    CreatedAt,
    UpdatedAt,
}

/// The words of a message search: what a search for `text` asks every found message to
/// contain. Words are runs of letters and digits (punctuation and spaces separate them), as
/// the search indexes cut messages into words; case and accents are left to the indexes,
/// which fold both. At most [`SearchWords::MAX`] words, each of at most
/// [`SearchWords::WORD_MAX`] characters (longer ones cannot be in the index either).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchWords(Vec<String>);

impl SearchWords {
    pub const MAX: usize = 16;
    pub const WORD_MAX: usize = 64;

    /// The words of `text`; an error (to show the user) when it holds none, or too many or
    /// too long ones.
    pub fn parse(text: &str) -> Result<SearchWords, &'static str> {
        let mut words = Vec::new();
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            if word.chars().count() > Self::WORD_MAX {
                return Err("a word of the search is longer than 64 characters");
            }
            if words.len() == Self::MAX {
                return Err("a search holds at most 16 words");
            }
            words.push(word.to_owned());
        }
        if words.is_empty() {
            return Err("the search holds no word (letters or digits)");
        }
        Ok(SearchWords(words))
    }

    pub fn words(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod search_tests {
    use super::SearchWords;

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        let w = SearchWords::parse("  Não recebi o boleto! (pedido 42-B)").expect("words");
        assert_eq!(w.words(), ["Não", "recebi", "o", "boleto", "pedido", "42", "B"]);
        assert!(SearchWords::parse(" ?! -- ").is_err());
        assert!(SearchWords::parse(&"palavra ".repeat(17)).is_err());
        assert!(SearchWords::parse(&"a".repeat(65)).is_err());
        assert!(SearchWords::parse(&"á".repeat(64)).is_ok());
    }
}
