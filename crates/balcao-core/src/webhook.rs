//! Webhook subscriptions: where a company's systems learn of changes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{AccountId, DeliveryId, EventId, Timestamp, WebhookId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: WebhookId,
    pub account_id: AccountId,
    pub name: String,
    /// An `http` or `https` URL.
    pub url: String,
    /// Event names, or `["*"]` for every event.
    pub events: Vec<String>,
    /// Extra request headers sent with every delivery.
    pub headers: BTreeMap<String, String>,
    /// Signs deliveries; shown once, at creation and at rotation.
    #[serde(skip)]
    pub secret: String,
    pub active: bool,
    /// Why it was disabled (by the system, after failing too long), if it was.
    pub disabled_reason: Option<String>,
    /// Since when deliveries fail without a success in between.
    pub failing_since: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    /// The body deliveries take: `balcao` (Balcão's own) or a vendor face's (`digisac`).
    pub format: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Webhook {
    /// Whether the subscription wants events named `name`.
    pub fn wants(&self, name: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == name)
    }

    /// Whether the subscription takes an event named `name` that happened at `at`: one it wants,
    /// from after it was made.
    pub fn takes(&self, name: &str, at: Timestamp) -> bool {
        self.wants(name) && self.created_at <= at
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next try.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up: the receiver kept failing for the whole retry period.
    Dead,
}

crate::string_enum!(DeliveryStatus {
    Pending => "pending",
    Delivered => "delivered",
    Dead => "dead",
});

/// One event on its way to one subscription.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub account_id: AccountId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event: String,
    /// The exact body sent, the same on every try.
    #[serde(skip)]
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The next try, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// After this, a failing delivery is given up.
    pub expires_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Its tries, oldest first (filled by the reads that show them).
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// One try of a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    pub at: Timestamp,
    /// The receiver's HTTP status; `None` when no answer came (refused, timeout).
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    /// Why the try failed without an answer (or was refused before sending).
    pub error: Option<String>,
    /// The start of the answer's body.
    pub response: Option<String>,
}
