//! Group commit of inbound messages. Channel notifications arrive many at a time, each with a
//! message or two; storing each in its own transaction would make the database's commit rate
//! the ceiling. Instead a notification's batch joins a queue, and one drain task at a time
//! stores everything queued in one transaction, with set-based reads and writes (the known
//! external ids, the contacts by phone, their active tickets, the new messages), then answers
//! every notification it took. A notification is answered only after its commit, so a channel
//! is never told "received" for something not stored.
//!
//! Should a group's transaction fail (a contact created at the same moment elsewhere, a
//! ticket opened by another instance), each notification of the group is stored again on its
//! own through the one-message path, so one conflict costs a retry, never a lost message.

use std::collections::{HashMap, HashSet};

use balcao_core::{
    Connection, Contact, ContactId, DeliveryStatus, Direction, InboundBatch, InboundMessage, Message, MessageId,
    MessageType, Origin, Ticket, TicketEntry, Timestamp,
};
use balcao_store::{contacts, jobs, messages, outbox, tickets};
use serde_json::{Value, json};

use crate::channels::{IngestReport, jobs_for, new_contact, number_of};
use crate::group::{GroupQueue, Grouped, Pending};
use crate::messages::{new_ticket, touch_contact, touch_ticket};
use crate::tickets::{opening, ticket_updated};
use crate::{Result, Service, ServiceError, distinct, event};

/// Notifications committed in groups (`crate::group`): a group carries up to 512 messages.
pub(crate) struct Inbound;

/// A notification waiting for its group.
pub(crate) struct Notification {
    connection: Connection,
    batch: InboundBatch,
}

pub(crate) type IngestQueue = GroupQueue<Notification, Result<IngestReport>>;

impl Grouped for Inbound {
    type Item = Notification;
    type Answer = Result<IngestReport>;
    const LIMIT: usize = 512;

    fn queue(service: &Service) -> &IngestQueue {
        &service.inner.ingest
    }

    fn weight(item: &Notification) -> usize {
        item.batch.messages.len()
    }

    async fn commit(service: &Service, group: Vec<Pending<Notification, Self::Answer>>) {
        service.commit_group(group).await;
    }
}

/// How inbound notifications carrying messages were committed, since the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboundCounts {
    /// Notifications taken into groups.
    pub notifications: u64,
    /// Groups committed (or tried).
    pub groups: u64,
    /// Groups whose transaction failed, each notification then stored on its own.
    pub retried: u64,
}

impl Service {
    /// How inbound notifications were committed since the start (operators' metrics).
    pub fn inbound_counts(&self) -> InboundCounts {
        let (notifications, groups, retried) = self.inner.ingest.counts();
        InboundCounts {
            notifications,
            groups,
            retried,
        }
    }

    /// Stores what a channel delivered: each message once (by its channel id), through the
    /// same rules as any message, then the delivery reports. Returns once everything is
    /// committed, so the channel may be told "received". Messages of notifications arriving
    /// together are committed together.
    pub async fn ingest(&self, connection: &Connection, batch: InboundBatch) -> Result<IngestReport> {
        if batch.messages.is_empty() {
            return self.ingest_rest(connection, batch, IngestReport::default()).await;
        }
        let item = Notification {
            connection: connection.clone(),
            batch,
        };
        self.grouped::<Inbound>(item)
            .await
            .unwrap_or_else(|| Err(ServiceError::Internal("the message was not stored".into())))
    }

    async fn commit_group(&self, group: Vec<Pending<Notification, Result<IngestReport>>>) {
        let started = std::time::Instant::now();
        let stored = self.store_inbound(&group).await;
        tracing::debug!(
            notifications = group.len(),
            elapsed_us = started.elapsed().as_micros(),
            ok = stored.is_ok(),
            "inbound group committed"
        );
        match stored {
            Ok(counts) => {
                for (p, (stored, duplicates)) in group.into_iter().zip(counts) {
                    let report = IngestReport {
                        stored,
                        duplicates,
                        ..IngestReport::default()
                    };
                    let rest = InboundBatch {
                        messages: Vec::new(),
                        ..p.item.batch
                    };
                    let result = self.ingest_rest(&p.item.connection, rest, report).await;
                    let _ = p.reply.send(result);
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, notifications = group.len(), "group commit failed; storing one by one");
                self.inner.ingest.retrying();
                for p in group {
                    let result = self.ingest_alone(&p.item.connection, p.item.batch).await;
                    let _ = p.reply.send(result);
                }
            }
        }
    }

    /// Stores the messages of a group of notifications in one transaction; answers, per
    /// notification, how many were stored and how many were already known.
    async fn store_inbound(
        &self,
        group: &[Pending<Notification, Result<IngestReport>>],
    ) -> Result<Vec<(usize, usize)>> {
        let mut counts = vec![(0, 0); group.len()];
        let t0 = std::time::Instant::now();
        let mut tx = self.store().begin().await?;
        // Every write waits to travel with the next read or the commit (one trip each on
        // SQLite): nothing here needs to know how many rows a write changed.
        tx.hold_writes();
        let t_begin = t0.elapsed().as_micros();
        // Offsets from the group's start, for the debug line at its commit (with several
        // connections in a group, the last connection's lookups end at `t_reads`).
        let mut t_reads = 0;
        let mut events = Vec::new();
        let mut new_jobs = Vec::new();
        let mut stored: Vec<Message> = Vec::new();
        let mut entries: Vec<TicketEntry> = Vec::new();
        // Per connection, in arrival order.
        let mut connections: Vec<&Connection> = group.iter().map(|p| &p.item.connection).collect();
        connections.sort_by_key(|c| c.id.0);
        connections.dedup_by_key(|c| c.id);
        for connection in connections {
            let (account, connection_id) = (connection.account_id, connection.id);
            let items: Vec<(usize, &InboundMessage)> = group
                .iter()
                .enumerate()
                .filter(|(_, p)| p.item.connection.id == connection_id)
                .flat_map(|(i, p)| p.item.batch.messages.iter().map(move |m| (i, m)))
                .collect();

            // The messages already stored, and those answered or reacted to.
            let wanted: Vec<&str> = distinct(
                items
                    .iter()
                    .flat_map(|(_, m)| std::iter::once(m.external_id.as_str()).chain(m.context_id.as_deref())),
            );
            let mut known: HashMap<String, MessageId> =
                messages::ids_by_external(&mut tx, account, connection_id, &wanted)
                    .await?
                    .into_iter()
                    .collect();

            // The contacts who wrote, locked; the new ones created.
            let numbers: Vec<String> = items.iter().map(|(_, m)| number_of(m)).collect();
            let phones: Vec<&str> = distinct(numbers.iter().map(String::as_str));
            let mut by_phone: HashMap<String, Contact> =
                contacts::lock_by_phones(&mut tx, account, connection_id, &phones)
                    .await?
                    .into_iter()
                    .filter_map(|c| c.phone.clone().map(|p| (p, c)))
                    .collect();
            let mut created = Vec::new();
            for ((_, m), number) in items.iter().zip(&numbers) {
                if !by_phone.contains_key(number) && !known.contains_key(&m.external_id) {
                    let contact = new_contact(connection, m, number);
                    created.push(contact.clone());
                    by_phone.insert(number.clone(), contact);
                }
            }
            if !created.is_empty() {
                contacts::insert_many(&mut tx, &created).await?;
                events.extend(
                    created
                        .iter()
                        .map(|c| event(account, "contact.created", "contact", c.id.0, c)),
                );
            }
            let ids: Vec<ContactId> = by_phone.values().map(|c| c.id).collect();
            let mut active: HashMap<ContactId, Ticket> =
                tickets::lock_active_for_contacts(&mut tx, account, connection_id, &ids)
                    .await?
                    .into_iter()
                    .map(|t| (t.contact_id, t))
                    .collect();
            t_reads = t0.elapsed().as_micros();
            let mut ticket_changed: HashSet<ContactId> = HashSet::new();
            let mut contact_changed: HashSet<ContactId> = HashSet::new();
            let mut status_changed: HashSet<ContactId> = HashSet::new();
            // Tickets whose routing changed get every column written; the others the narrower
            // update of their last message.
            let mut rerouted: HashSet<ContactId> = HashSet::new();
            let mut contact_renamed: HashSet<ContactId> = HashSet::new();

            // The tickets the group's messages open (a contact's first message that is not a
            // reaction, the contact not blocked, no active ticket), opened together: numbered
            // in one statement, inserted with the group's writes. Their ticket-event messages
            // precede the messages that opened them.
            let mut to_open: Vec<&Contact> = Vec::new();
            let mut opened: HashSet<ContactId> = HashSet::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for ((_, m), number) in items.iter().zip(&numbers) {
                if known.contains_key(&m.external_id) || !seen.insert(m.external_id.as_str()) {
                    continue;
                }
                if let Some(contact) = by_phone.get(number)
                    && !contact.blocked
                    && opens_ticket(m)
                    && !active.contains_key(&contact.id)
                    && opened.insert(contact.id)
                {
                    to_open.push(contact);
                }
            }
            if !to_open.is_empty() {
                let numbers = tickets::take_numbers(&mut tx, account, to_open.len()).await?;
                let now = Timestamp::now();
                for (contact, number) in to_open.iter().zip(numbers) {
                    let ticket = new_ticket(contact, connection, None, true, number, now);
                    let (entry, timeline) = opening(&ticket, None, &mut events);
                    entries.push(entry);
                    stored.push(timeline);
                    active.insert(contact.id, ticket);
                }
            }

            for ((index, m), number) in items.iter().zip(&numbers) {
                if known.contains_key(&m.external_id) {
                    counts[*index].1 += 1;
                    continue;
                }
                let Some(contact) = by_phone.get_mut(number) else {
                    return Err(ServiceError::Internal("a contact vanished while storing".into()));
                };
                let ticket = active.get_mut(&contact.id);
                // Ids order the timeline: the message comes after the event that opened its ticket.
                let message = inbound_message(connection, contact, m, ticket.as_ref().map(|t| t.id), &known);
                known.insert(m.external_id.clone(), message.id);
                events.push(event(account, "message.created", "message", message.id.0, &message));
                if let Some(ticket) = ticket {
                    let touched = touch_ticket(ticket, &message);
                    if touched.changed {
                        ticket_changed.insert(contact.id);
                    }
                    if touched.status_changed {
                        status_changed.insert(contact.id);
                    }
                    if touched.routing_changed {
                        rerouted.insert(contact.id);
                    }
                }
                if let Some(renamed) = touch_contact(contact, &message, m.profile_name.as_deref()) {
                    contact_changed.insert(contact.id);
                    if renamed {
                        contact_renamed.insert(contact.id);
                    }
                }
                new_jobs.extend(jobs_for(&message, connection, m.media.as_ref()));
                stored.push(message);
                counts[*index].0 += 1;
            }
            // Events carrying a whole ticket or contact, as the group left it: their topics,
            // tags and custom values (not read with them above) are read for these only.
            if !status_changed.is_empty() {
                let mut list: Vec<Ticket> = active
                    .values()
                    .filter(|t| status_changed.contains(&t.contact_id))
                    .cloned()
                    .collect();
                tickets::read_relations(&mut tx, account, &mut list).await?;
                events.extend(list.iter().map(ticket_updated));
            }
            if !contact_renamed.is_empty() {
                let mut list: Vec<Contact> = by_phone
                    .values()
                    .filter(|c| contact_renamed.contains(&c.id))
                    .cloned()
                    .collect();
                contacts::read_relations(&mut tx, account, &mut list).await?;
                events.extend(
                    list.iter()
                        .map(|c| event(account, "contact.updated", "contact", c.id.0, c)),
                );
            }
            // Tickets opened now are inserted as the group left them; the others updated.
            let (new_tickets, changed): (Vec<Ticket>, Vec<Ticket>) = active
                .into_values()
                .filter(|t| opened.contains(&t.contact_id) || ticket_changed.contains(&t.contact_id))
                .partition(|t| opened.contains(&t.contact_id));
            tickets::insert_many(&mut tx, &new_tickets).await?;
            let (rerouted, same_routing): (Vec<Ticket>, Vec<Ticket>) =
                changed.into_iter().partition(|t| rerouted.contains(&t.contact_id));
            tickets::write_last_message(&mut tx, account, &same_routing).await?;
            tickets::write_activity(&mut tx, account, &rerouted).await?;
            let changed: Vec<Contact> = by_phone
                .into_values()
                .filter(|c| contact_changed.contains(&c.id))
                .collect();
            contacts::write_activity(&mut tx, account, &changed).await?;
        }
        let t_writes = t0.elapsed().as_micros();
        tickets::add_entries(&mut tx, &entries).await?;
        messages::insert_many(&mut tx, &stored).await?;
        jobs::enqueue(&mut tx, &new_jobs).await?;
        outbox::append(&mut tx, &events).await?;
        let committing = std::time::Instant::now();
        tx.commit().await?;
        tracing::debug!(
            begin_us = t_begin,
            reads_done_us = t_reads,
            writes_from_us = t_writes,
            commit_from_us = (committing - t0).as_micros(),
            commit_us = committing.elapsed().as_micros(),
            "inbound group's commit"
        );
        if !new_jobs.is_empty() {
            self.wake_workers();
        }
        Ok(counts)
    }
}

/// Whether a customer's message opens a ticket when the contact has none active (and is not
/// blocked): a reaction is a mark on an earlier message, not a reason to open one.
pub(crate) fn opens_ticket(m: &InboundMessage) -> bool {
    m.kind != MessageType::Reaction
}

/// The message a contact sent, as Balcão stores it.
pub(crate) fn inbound_message(
    connection: &Connection,
    contact: &Contact,
    m: &InboundMessage,
    ticket: Option<balcao_core::TicketId>,
    known: &HashMap<String, MessageId>,
) -> Message {
    let quoted = m.context_id.as_deref().and_then(|c| known.get(c).copied());
    let mut payload = m.payload.clone();
    if m.kind == MessageType::Reaction
        && let (Some(context), Some(Value::Object(p))) = (m.context_id.as_deref(), payload.as_mut())
    {
        p.insert("message_id".into(), json!(quoted));
        p.insert("external_message_id".into(), json!(context));
    }
    let now = Timestamp::now();
    Message {
        id: MessageId::new(),
        account_id: connection.account_id,
        connection_id: connection.id,
        contact_id: contact.id,
        ticket_id: ticket,
        direction: Direction::Inbound,
        kind: m.kind,
        origin: Origin::Contact,
        user_id: None,
        text: m.text.clone(),
        payload,
        quoted_message_id: quoted,
        media_id: None,
        status: Some(DeliveryStatus::Delivered),
        error_code: None,
        error_text: None,
        external_id: Some(m.external_id.clone()),
        edited_at: None,
        revoked_at: None,
        created_at: now,
        updated_at: now,
    }
}
