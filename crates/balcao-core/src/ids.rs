//! Typed identifiers. Every id is a UUID v7, so ids sort by creation time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    /// A tenant: a company using Balcão. Every other row belongs to one.
    AccountId,
    /// A person who logs in: admin, supervisor or agent.
    UserId,
    /// A team that tickets are routed to.
    DepartmentId,
    /// A named personal API token.
    ApiTokenId,
    /// A login session: one access token and its refresh token.
    SessionId,
    /// A channel account of a company: a WhatsApp number, a Telegram bot, a webchat, a mailbox.
    ConnectionId,
    /// A customer (or a group) reached through a connection.
    ContactId,
    /// A label put on contacts.
    TagId,
    /// An event in the transactional outbox.
    EventId,
    /// A conversation with a contact, from opening to resolution.
    TicketId,
    /// One entry of a ticket's history (opened, transferred, closed, ...).
    TicketEntryId,
    /// A message of the timeline: to or from a contact, an internal note, or a ticket event.
    MessageId,
    /// A company's webhook subscription.
    WebhookId,
    /// One event on its way to one webhook (stable across retries).
    DeliveryId,
    /// A stored file (image, audio, video, document, sticker).
    MediaId,
    /// A custom field definition.
    CustomFieldId,
    /// A WhatsApp message template (pre-approved by Meta, needed outside the 24-hour window).
    TemplateId,
    /// A reusable interactive message (buttons or a list).
    InteractiveTemplateId,
    /// A canned answer agents insert by shortcut.
    QuickReplyId,
    /// A company the account's contacts work for.
    OrganizationId,
    /// A person behind one or more contacts (the same human on several channels).
    PersonId,
);

/// The smallest UUID v7 of a Unix millisecond: every id made in that millisecond or later
/// sorts at or after it.
pub fn id_floor(unix_ms: u64) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&unix_ms.to_be_bytes()[2..]);
    Uuid::from_bytes(bytes)
}

/// The Unix millisecond a UUID v7 was made in.
pub fn unix_ms_of(id: Uuid) -> u64 {
    let b = id.as_bytes();
    u64::from_be_bytes([0, 0, b[0], b[1], b[2], b[3], b[4], b[5]])
}

#[cfg(test)]
mod floor_tests {
    #[test]
    fn id_floors_order_before_every_id_of_their_millisecond() {
        let id = uuid::Uuid::now_v7();
        let ms = super::unix_ms_of(id);
        assert!(super::id_floor(ms) <= id && super::id_floor(ms + 1) > id);
        assert_eq!(super::unix_ms_of(super::id_floor(ms)), ms);
    }
}
