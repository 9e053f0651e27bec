//! Events: what changed, written to the transactional outbox in the same transaction as the
//! change itself, and delivered later (webhooks, realtime streams).

use crate::{AccountId, EventId, Timestamp};

/// Every event name Balcão emits (what webhook subscriptions may name).
pub const EVENT_NAMES: &[&str] = &[
    "connection.created",
    "connection.updated",
    "contact.created",
    "contact.deleted",
    "contact.members_updated",
    "contact.updated",
    "message.created",
    "message.updated",
    "tag.created",
    "tag.deleted",
    "tag.updated",
    "ticket.assigned",
    "ticket.closed",
    "ticket.opened",
    "ticket.reopened",
    "ticket.transferred",
    "ticket.updated",
    "webhook.disabled",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub account_id: AccountId,
    /// `contact.created`, `ticket.closed`, ...
    pub name: &'static str,
    /// What the event is about: its kind (`contact`) and id.
    pub subject_type: &'static str,
    pub subject_id: uuid::Uuid,
    /// The subject as it is after the change (its native representation), as JSON text:
    /// rendered once, stored as it is.
    pub data: String,
    pub created_at: Timestamp,
}

impl Event {
    pub fn new(
        account_id: AccountId,
        name: &'static str,
        subject_type: &'static str,
        subject_id: uuid::Uuid,
        data: String,
    ) -> Self {
        Event {
            id: EventId::new(),
            account_id,
            name,
            subject_type,
            subject_id,
            data,
            created_at: Timestamp::now(),
        }
    }
}
