//! Tickets: a conversation with a contact on a connection, from opening to resolution.

use serde::Serialize;

use crate::{AccountId, ConnectionId, ContactId, DepartmentId, MessageId, TicketEntryId, TicketId, Timestamp, UserId};

/// `open`: waiting for the company; `pending`: waiting for the customer (the company answered);
/// `snoozed`: set aside until a time (or until the customer writes); `resolved`: closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Pending,
    Snoozed,
    Resolved,
}

crate::string_enum!(TicketStatus {
    Open => "open",
    Pending => "pending",
    Snoozed => "snoozed",
    Resolved => "resolved",
});

impl TicketStatus {
    /// Every status but `resolved` counts as open for the one-open-ticket rule.
    pub fn is_active(self) -> bool {
        self != TicketStatus::Resolved
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub account_id: AccountId,
    pub contact_id: ContactId,
    pub connection_id: ConnectionId,
    /// Human-friendly number, unique in the account and never reused: the opening date and the
    /// account's ticket sequence, e.g. `20261121000042`.
    pub protocol: String,
    pub status: TicketStatus,
    /// 0 low, 1 normal, 2 high, 3 urgent.
    pub priority: i16,
    pub department_id: Option<DepartmentId>,
    pub user_id: Option<UserId>,
    pub snoozed_until: Option<Timestamp>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// When a person of the company first answered.
    pub first_reply_at: Option<Timestamp>,
    pub first_message_id: Option<MessageId>,
    pub last_message_id: Option<MessageId>,
    pub unread_count: i64,
    /// Closing subjects, set at close.
    pub topic_ids: Vec<uuid::Uuid>,
    /// Values of the account's ticket custom fields, by field id.
    pub custom_fields: std::collections::BTreeMap<crate::CustomFieldId, serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Durations of a ticket, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TicketMetrics {
    /// From opening to the first answer of a person of the company.
    pub waiting_secs: Option<u64>,
    /// From the first answer to the close.
    pub handling_secs: Option<u64>,
    /// From opening to the close.
    pub total_secs: Option<u64>,
}

impl Ticket {
    pub const PRIORITY_MAX: i16 = 3;

    /// The protocol of the account's `n`-th ticket opened at `at`: `YYYYMMDD` and six or more
    /// digits.
    pub fn protocol_for(at: Timestamp, n: i64) -> String {
        format!("{}{n:06}", at.to_datetime().format("%Y%m%d"))
    }

    pub fn metrics(&self) -> TicketMetrics {
        TicketMetrics {
            waiting_secs: self.first_reply_at.map(|r| self.started_at.secs_until(r)),
            handling_secs: self.first_reply_at.zip(self.ended_at).map(|(r, e)| r.secs_until(e)),
            total_secs: self.ended_at.map(|e| self.started_at.secs_until(e)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketAction {
    Opened,
    Transferred,
    Assigned,
    PriorityChanged,
    Snoozed,
    /// A snooze ran out: the ticket is open again.
    Woke,
    Closed,
    Reopened,
}

crate::string_enum!(TicketAction {
    Opened => "opened",
    Transferred => "transferred",
    Assigned => "assigned",
    PriorityChanged => "priority_changed",
    Snoozed => "snoozed",
    Woke => "woke",
    Closed => "closed",
    Reopened => "reopened",
});

/// One entry of a ticket's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketEntry {
    pub id: TicketEntryId,
    pub account_id: AccountId,
    pub ticket_id: TicketId,
    pub action: TicketAction,
    pub from_department_id: Option<DepartmentId>,
    pub to_department_id: Option<DepartmentId>,
    pub from_user_id: Option<UserId>,
    pub to_user_id: Option<UserId>,
    /// Who did it (none: the system, e.g. an inbound message opening the ticket).
    pub by_user_id: Option<UserId>,
    pub comment: Option<String>,
    pub created_at: Timestamp,
}

/// A subject tickets are closed under ("Venda realizada", "Dúvida", ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketTopic {
    pub id: uuid::Uuid,
    pub account_id: AccountId,
    pub name: String,
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields of tickets a query may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketField {
    Id,
    ConnectionId,
    ContactId,
    DepartmentId,
    UserId,
    Status,
    Protocol,
    Priority,
    StartedAt,
    EndedAt,
    CreatedAt,
    UpdatedAt,
    /// The name of the ticket's contact.
    ContactName,
    /// The name of the ticket's department.
    DepartmentName,
    /// The name of the ticket's agent.
    UserName,
}
