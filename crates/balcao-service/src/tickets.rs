//! Tickets: opening (through messages), transfer, assignment, priority, snooze, close, reopen;
//! each change is a history entry, a ticket-event message in the timeline and an outbox event.

use std::collections::HashMap;

use balcao_core::{
    Contact, ContactId, Department, DepartmentId, Direction, Event, Message, MessageId, MessageType, Origin, Ticket,
    TicketAction, TicketEntry, TicketEntryId, TicketId, TicketStatus, TicketTopic, Timestamp, User, UserId, Validator,
};
use balcao_store::{ArchivedFilter, Tx, contacts, departments, messages, outbox, ticket_topics, tickets, users};
use serde_json::json;
use uuid::Uuid;

use crate::connections::check_department;
use crate::{ListParams, Page, Principal, Result, Service, ServiceError, distinct, event};

/// Largest ticket page.
pub const TICKETS_PAGE_MAX: u32 = 100;

#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    /// `open`, `pending`, `snoozed`, `resolved`; several allowed; empty: all.
    pub statuses: Vec<String>,
    pub contact_id: Option<Uuid>,
    pub connection_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub unassigned: bool,
    /// `created` (default), `-created`, `updated_at`, `-updated_at`, `-priority`.
    pub sort: Option<String>,
}

/// Records a ticket list brings along.
#[derive(Clone, Copy, Debug, Default)]
pub struct TicketIncludes {
    pub contact: bool,
    pub department: bool,
    pub user: bool,
    pub last_message: bool,
    pub first_message: bool,
}

/// The records a page of tickets refers to, loaded with one query per kind however many
/// tickets the page holds.
#[derive(Clone, Debug, Default)]
pub struct TicketRelated {
    pub contacts: HashMap<ContactId, Contact>,
    pub departments: HashMap<DepartmentId, Department>,
    pub users: HashMap<UserId, User>,
    pub messages: HashMap<MessageId, Message>,
}

/// A change to make to an active ticket.
#[derive(Clone, Debug)]
pub enum TicketChange {
    Transfer {
        department_id: Option<Uuid>,
        user_id: Option<Uuid>,
        comment: Option<String>,
    },
    Assign {
        user_id: Option<Uuid>,
    },
    Priority {
        priority: Option<i64>,
    },
    Snooze {
        until: Option<Timestamp>,
    },
    Close {
        topic_ids: Vec<Uuid>,
        comment: Option<String>,
    },
    Reopen,
}

/// What a history entry records besides its action.
#[derive(Default)]
pub(crate) struct EntryDetail {
    pub from_department_id: Option<balcao_core::DepartmentId>,
    pub to_department_id: Option<balcao_core::DepartmentId>,
    pub from_user_id: Option<UserId>,
    pub to_user_id: Option<UserId>,
    pub comment: Option<String>,
}

fn not_active(ticket: &Ticket) -> ServiceError {
    ServiceError::conflict(
        "ticket_not_open",
        format!("ticket {} is {}", ticket.protocol, ticket.status),
    )
}

/// Writes a history entry, its ticket-event message in the timeline, and the outbox event
/// `name` carrying the ticket, in the caller's transaction.
pub(crate) async fn record(
    tx: &mut Tx,
    ticket: &Ticket,
    action: TicketAction,
    by: Option<UserId>,
    detail: EntryDetail,
    name: &'static str,
    events: &mut Vec<Event>,
) -> Result<()> {
    write_recorded(tx, recorded(ticket, action, by, detail, name, events)).await
}

/// Writes what [`recorded`] built: the history entry and its ticket-event message.
pub(crate) async fn write_recorded(tx: &mut Tx, (entry, timeline): (TicketEntry, Message)) -> Result<()> {
    tickets::add_entry(tx, &entry).await?;
    messages::insert(tx, &timeline).await?;
    Ok(())
}

/// A ticket's opening as [`recorded`] builds it: the history entry (to the ticket's department
/// and agent, by `by` or by the system) and its ticket-event message; `ticket.opened` is
/// added to `events`.
pub(crate) fn opening(ticket: &Ticket, by: Option<UserId>, events: &mut Vec<Event>) -> (TicketEntry, Message) {
    let detail = EntryDetail {
        to_department_id: ticket.department_id,
        to_user_id: ticket.user_id,
        ..EntryDetail::default()
    };
    recorded(ticket, TicketAction::Opened, by, detail, "ticket.opened", events)
}

/// What [`record`] writes, for the caller to write: the history entry and its ticket-event
/// message; their events (the message's, then `name` carrying the ticket) are added to
/// `events`.
pub(crate) fn recorded(
    ticket: &Ticket,
    action: TicketAction,
    by: Option<UserId>,
    detail: EntryDetail,
    name: &'static str,
    events: &mut Vec<Event>,
) -> (TicketEntry, Message) {
    let now = Timestamp::now();
    let entry = TicketEntry {
        id: TicketEntryId::new(),
        account_id: ticket.account_id,
        ticket_id: ticket.id,
        action,
        from_department_id: detail.from_department_id,
        to_department_id: detail.to_department_id,
        from_user_id: detail.from_user_id,
        to_user_id: detail.to_user_id,
        by_user_id: by,
        comment: detail.comment,
        created_at: now,
    };
    let timeline = Message {
        id: MessageId::new(),
        account_id: ticket.account_id,
        connection_id: ticket.connection_id,
        contact_id: ticket.contact_id,
        ticket_id: Some(ticket.id),
        direction: Direction::Outbound,
        kind: MessageType::TicketEvent,
        origin: if by.is_some() { Origin::User } else { Origin::System },
        user_id: by,
        text: None,
        payload: Some(json!({
            "action": entry.action,
            "protocol": ticket.protocol,
            "from_department_id": entry.from_department_id,
            "to_department_id": entry.to_department_id,
            "from_user_id": entry.from_user_id,
            "to_user_id": entry.to_user_id,
            "by_user_id": entry.by_user_id,
            "comment": entry.comment,
        })),
        quoted_message_id: None,
        media_id: None,
        status: None,
        error_code: None,
        error_text: None,
        external_id: None,
        edited_at: None,
        revoked_at: None,
        created_at: now,
        updated_at: now,
    };
    events.push(event(
        timeline.account_id,
        "message.created",
        "message",
        timeline.id.0,
        &timeline,
    ));
    events.push(event(
        ticket.account_id,
        name,
        "ticket",
        ticket.id.0,
        &ticket_payload(ticket),
    ));
    (entry, timeline)
}

/// The `ticket.updated` event of a ticket.
pub(crate) fn ticket_updated(ticket: &Ticket) -> balcao_core::Event {
    event(
        ticket.account_id,
        "ticket.updated",
        "ticket",
        ticket.id.0,
        &ticket_payload(ticket),
    )
}

/// A ticket as events carry it: its fields and its metrics.
pub(crate) fn ticket_payload(ticket: &Ticket) -> serde_json::Value {
    let mut value = serde_json::to_value(ticket).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "metrics".into(),
            serde_json::to_value(ticket.metrics()).unwrap_or_default(),
        );
    }
    value
}

impl Service {
    pub async fn get_ticket(&self, who: &Principal, id: TicketId) -> Result<Ticket> {
        tickets::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("ticket"))
    }

    pub async fn ticket_history(&self, who: &Principal, id: TicketId) -> Result<Vec<TicketEntry>> {
        self.get_ticket(who, id).await?;
        Ok(tickets::entries(&mut self.store().read(), who.account_id, id).await?)
    }

    pub async fn list_tickets(
        &self,
        who: &Principal,
        filter: TicketFilter,
        params: ListParams,
    ) -> Result<Page<Ticket>> {
        let mut statuses = Vec::with_capacity(filter.statuses.len());
        for s in &filter.statuses {
            let status = s.parse::<TicketStatus>().map_err(|()| {
                ServiceError::invalid(
                    "status",
                    "invalid",
                    "`status` must be open, pending, snoozed or resolved",
                )
            })?;
            statuses.push(status);
        }
        let filter = tickets::TicketFilter {
            statuses,
            contact_id: filter.contact_id.map(ContactId),
            connection_id: filter.connection_id.map(balcao_core::ConnectionId),
            department_id: filter.department_id.map(DepartmentId),
            user_id: filter.user_id.map(UserId),
            unassigned: filter.unassigned,
            sort: crate::parse_sort(filter.sort.as_deref(), &tickets::TicketSort::NAMES, &params)?,
        };
        let page = params.page_max(TICKETS_PAGE_MAX)?;
        Ok(tickets::list(&mut self.store().read(), who.account_id, &filter, page).await?)
    }

    /// Loads what `tickets` refer to, as asked by `includes`.
    pub async fn ticket_related(
        &self,
        who: &Principal,
        tickets: &[Ticket],
        includes: TicketIncludes,
    ) -> Result<TicketRelated> {
        // The related records are read side by side, each on its own pooled connection; a
        // kind not asked for has no ids and costs no query.
        let account = who.account_id;
        let wanted = |on: bool| tickets.iter().filter(move |_| on);
        let contact_ids = distinct(wanted(includes.contact).map(|t| t.contact_id));
        let department_ids = distinct(wanted(includes.department).filter_map(|t| t.department_id));
        let user_ids = distinct(wanted(includes.user).filter_map(|t| t.user_id));
        let message_ids = distinct(
            wanted(includes.last_message)
                .filter_map(|t| t.last_message_id)
                .chain(wanted(includes.first_message).filter_map(|t| t.first_message_id)),
        );
        let (mut r1, mut r2, mut r3, mut r4) = (
            self.store().read(),
            self.store().read(),
            self.store().read(),
            self.store().read(),
        );
        let (contacts, departments, users, messages) = tokio::try_join!(
            contacts::get_many(&mut r1, account, &contact_ids),
            departments::get_many(&mut r2, account, &department_ids),
            users::get_many(&mut r3, account, &user_ids),
            messages::get_many(&mut r4, account, &message_ids),
        )?;
        let related = TicketRelated {
            contacts: contacts.into_iter().map(|c| (c.id, c)).collect(),
            departments: departments.into_iter().map(|d| (d.id, d)).collect(),
            users: users.into_iter().map(|u| (u.id, u)).collect(),
            messages: messages.into_iter().map(|m| (m.id, m)).collect(),
        };
        Ok(related)
    }

    /// Applies one change to a ticket, with its history entry, timeline message and event.
    pub async fn change_ticket(&self, who: &Principal, id: TicketId, change: TicketChange) -> Result<Ticket> {
        // Validate references before taking the write lock.
        let mut v = Validator::new();
        match &change {
            TicketChange::Transfer {
                department_id, user_id, ..
            } => {
                v.required("department_id", department_id.as_ref());
                check_department(self, who, "department_id", *department_id, &mut v).await?;
                self.check_user(who, "user_id", *user_id, &mut v).await?;
            }
            TicketChange::Assign { user_id } => {
                self.check_user(who, "user_id", *user_id, &mut v).await?;
            }
            TicketChange::Priority { priority } => match priority {
                Some(p) if (0..=i64::from(Ticket::PRIORITY_MAX)).contains(p) => {}
                Some(_) => v.add("priority", "out_of_range", "`priority` must be 0 (low) to 3 (urgent)"),
                None => v.add("priority", "required", "`priority` is required"),
            },
            TicketChange::Snooze { until } => match until {
                Some(t) if *t > Timestamp::now() => {}
                Some(_) => v.add("until", "in_the_past", "`until` must be in the future"),
                None => v.add("until", "required", "`until` is required (RFC 3339)"),
            },
            TicketChange::Close { topic_ids, .. } => {
                let found = ticket_topics::existing(&mut self.store().read(), who.account_id, topic_ids).await?;
                for (i, t) in topic_ids.iter().enumerate() {
                    if !found.contains(t) {
                        v.add(
                            format!("topic_ids[{i}]"),
                            "not_found",
                            format!("topic {t} does not exist"),
                        );
                    }
                }
            }
            TicketChange::Reopen => {}
        }
        v.finish()?;

        let mut tx = self.store().begin().await?;
        let mut ticket = tickets::lock(&mut tx, who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("ticket"))?;
        let reopening = matches!(change, TicketChange::Reopen);
        if reopening == ticket.status.is_active() {
            return Err(if reopening {
                ServiceError::conflict("ticket_open", format!("ticket {} is not resolved", ticket.protocol))
            } else {
                not_active(&ticket)
            });
        }
        let now = Timestamp::now();
        let mut detail = EntryDetail::default();
        let (action, name) = match change {
            TicketChange::Transfer {
                department_id,
                user_id,
                comment,
            } => {
                detail.from_department_id = ticket.department_id;
                detail.from_user_id = ticket.user_id;
                ticket.department_id = department_id.map(balcao_core::DepartmentId);
                ticket.user_id = user_id.map(UserId);
                detail.to_department_id = ticket.department_id;
                detail.to_user_id = ticket.user_id;
                detail.comment = comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
                (TicketAction::Transferred, "ticket.transferred")
            }
            TicketChange::Assign { user_id } => {
                detail.from_user_id = ticket.user_id;
                ticket.user_id = user_id.map(UserId);
                detail.to_user_id = ticket.user_id;
                (TicketAction::Assigned, "ticket.assigned")
            }
            TicketChange::Priority { priority } => {
                ticket.priority = priority.and_then(|p| i16::try_from(p).ok()).unwrap_or(ticket.priority);
                (TicketAction::PriorityChanged, "ticket.updated")
            }
            TicketChange::Snooze { until } => {
                ticket.status = TicketStatus::Snoozed;
                ticket.snoozed_until = until;
                (TicketAction::Snoozed, "ticket.updated")
            }
            TicketChange::Close { topic_ids, comment } => {
                ticket.status = TicketStatus::Resolved;
                ticket.ended_at = Some(now);
                ticket.snoozed_until = None;
                ticket.unread_count = 0;
                tickets::set_topics(&mut tx, who.account_id, id, &topic_ids).await?;
                ticket.topic_ids = topic_ids;
                detail.comment = comment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
                (TicketAction::Closed, "ticket.closed")
            }
            TicketChange::Reopen => {
                ticket.status = TicketStatus::Open;
                ticket.ended_at = None;
                (TicketAction::Reopened, "ticket.reopened")
            }
        };
        ticket.updated_at = now;
        let updated = tickets::update(&mut tx, &ticket).await.map_err(|e| match e {
            balcao_store::StoreError::Duplicate { .. } => ServiceError::conflict(
                "another_ticket_open",
                "the contact already has an open ticket on this connection",
            ),
            other => other.into(),
        })?;
        if !updated {
            return Err(ServiceError::NotFound("ticket"));
        }
        let mut events = Vec::new();
        record(&mut tx, &ticket, action, Some(who.user_id), detail, name, &mut events).await?;
        outbox::append(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(ticket)
    }

    /// Sets (or, with `null`, removes) custom field values of a ticket, in any state.
    pub async fn set_ticket_fields(
        &self,
        who: &Principal,
        id: TicketId,
        values: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Ticket> {
        let mut v = Validator::new();
        let values = v.required("custom_fields", values);
        let checked = self
            .check_custom_values(who, balcao_core::FieldTarget::Ticket, "", values.as_ref(), &mut v)
            .await?;
        v.finish()?;
        let mut tx = self.store().begin().await?;
        let mut ticket = tickets::lock(&mut tx, who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("ticket"))?;
        for (field, value) in &checked {
            match value {
                Some(value) => ticket.custom_fields.insert(*field, value.clone()),
                None => ticket.custom_fields.remove(field),
            };
        }
        ticket.updated_at = Timestamp::now();
        balcao_store::custom_fields::set_values(&mut tx, who.account_id, id.0, &checked).await?;
        tickets::update(&mut tx, &ticket).await?;
        outbox::append(&mut tx, &[ticket_updated(&ticket)]).await?;
        tx.commit().await?;
        Ok(ticket)
    }

    /// Opens snoozed tickets whose time has come (at most `batch` per call), each with its
    /// history entry, timeline message and `ticket.updated` event. Answers how many woke. Safe
    /// to run from several instances at once: each ticket is re-read under its row lock.
    pub async fn wake_snoozed_tickets(&self, batch: u64) -> Result<usize> {
        let now = Timestamp::now();
        let due = tickets::due_snoozes(&mut self.store().read(), now, batch).await?;
        let mut woke = 0;
        for (account, id) in due {
            let mut tx = self.store().begin().await?;
            let Some(mut ticket) = tickets::lock(&mut tx, account, id).await? else {
                continue;
            };
            if ticket.status != TicketStatus::Snoozed || ticket.snoozed_until.is_none_or(|t| t > now) {
                continue;
            }
            ticket.status = TicketStatus::Open;
            ticket.snoozed_until = None;
            ticket.updated_at = now;
            tickets::update(&mut tx, &ticket).await?;
            let mut events = Vec::new();
            record(
                &mut tx,
                &ticket,
                TicketAction::Woke,
                None,
                EntryDetail::default(),
                "ticket.updated",
                &mut events,
            )
            .await?;
            outbox::append(&mut tx, &events).await?;
            tx.commit().await?;
            woke += 1;
        }
        Ok(woke)
    }

    pub async fn create_topic(&self, who: &Principal, name: Option<String>) -> Result<TicketTopic> {
        who.require_admin("create ticket topics")?;
        let mut v = Validator::new();
        let name = v.required("name", name.as_deref()).and_then(|n| v.name("name", n));
        v.finish()?;
        let now = Timestamp::now();
        let topic = TicketTopic {
            id: Uuid::now_v7(),
            account_id: who.account_id,
            name: name.unwrap_or_default(),
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        ticket_topics::insert(&mut self.store().write(), &topic).await?;
        Ok(topic)
    }

    pub async fn list_topics(
        &self,
        who: &Principal,
        archived: ArchivedFilter,
        params: ListParams,
    ) -> Result<Page<TicketTopic>> {
        Ok(ticket_topics::list(&mut self.store().read(), who.account_id, archived, params.page()?).await?)
    }

    pub async fn update_topic(
        &self,
        who: &Principal,
        id: Uuid,
        name: Option<String>,
        archived: Option<bool>,
    ) -> Result<TicketTopic> {
        who.require_admin("change ticket topics")?;
        let mut topic = ticket_topics::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("ticket topic"))?;
        let mut v = Validator::new();
        if let Some(n) = name.as_deref().and_then(|n| v.name("name", n)) {
            topic.name = n;
        }
        v.finish()?;
        let now = Timestamp::now();
        if let Some(a) = archived
            && a != topic.archived_at.is_some()
        {
            topic.archived_at = a.then_some(now);
        }
        topic.updated_at = now;
        ticket_topics::update(&mut self.store().write(), &topic).await?;
        Ok(topic)
    }
}

impl Service {
    /// Closes the contact's active ticket (Digisac's contact-scoped close); a contact without
    /// one is a validation error.
    pub async fn close_contact_ticket(
        &self,
        who: &Principal,
        contact: ContactId,
        topic_ids: Vec<Uuid>,
        comment: Option<String>,
    ) -> Result<Ticket> {
        let contact = self.get_contact(who, contact).await?;
        let open = tickets::active_for(
            &mut self.store().read(),
            who.account_id,
            contact.id,
            contact.connection_id,
        )
        .await?
        .ok_or_else(|| ServiceError::invalid("contact", "no_open_ticket", "the contact has no open ticket"))?;
        self.change_ticket(who, open.id, TicketChange::Close { topic_ids, comment })
            .await
    }

    /// Transfers the contact's active ticket, or opens one when it has none and routes it
    /// there (Digisac's contact-scoped transfer).
    pub async fn transfer_contact_ticket(
        &self,
        who: &Principal,
        contact: ContactId,
        department_id: Option<Uuid>,
        user_id: Option<Uuid>,
        comment: Option<String>,
    ) -> Result<Ticket> {
        let found = self.get_contact(who, contact).await?;
        let mut tx = self.store().begin().await?;
        let locked = contacts::lock(&mut tx, who.account_id, found.id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))?;
        let ticket = match tickets::lock_active_for(&mut tx, who.account_id, locked.id, locked.connection_id).await? {
            Some(t) => {
                // Nothing written: dropping the transaction ends it.
                drop(tx);
                t
            }
            None => {
                let connection = balcao_store::connections::get(&mut tx, who.account_id, locked.connection_id)
                    .await?
                    .ok_or(ServiceError::NotFound("connection"))?;
                let mut events = Vec::new();
                let opened = self
                    .open_ticket(&mut tx, &locked, &connection, Some(who.user_id), false, &mut events)
                    .await?;
                balcao_store::outbox::append(&mut tx, &events).await?;
                tx.commit().await?;
                opened
            }
        };
        let change = TicketChange::Transfer {
            department_id,
            user_id,
            comment,
        };
        self.change_ticket(who, ticket.id, change).await
    }
}
