//! Messages: what opens a ticket, what a blocked contact gets, and delivery that never moves
//! backwards.

use std::str::FromStr;

use balcao_core::{
    Connection, Contact, ContactId, DeliveryStatus, Direction, Media, MediaId, Message, MessageId, MessageType, Origin,
    Role, Ticket, TicketId, TicketStatus, Timestamp, UserId, Validator,
};
use balcao_store::messages::Timeline;
use balcao_store::{Tx, connections, contacts, media, messages, outbox, tickets};
use base64::Engine;
use serde_json::Value;
use uuid::Uuid;

use crate::tickets::{opening, ticket_updated, write_recorded};
use crate::{ListParams, Page, Principal, Result, Service, ServiceError, event};

/// Longest text of a message (WhatsApp's limit).
pub const TEXT_MAX: usize = 4096;

/// A page of messages found by their words, with the tickets and contacts they belong to.
#[derive(Clone, Debug)]
pub struct MessageHits {
    pub page: Page<Message>,
    pub tickets: std::collections::HashMap<TicketId, Ticket>,
    pub contacts: std::collections::HashMap<ContactId, Contact>,
}

/// A message as a face sends it.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    pub contact_id: Option<Uuid>,
    /// `text` (default), `note`, `location`, `contacts`, `template`, `interactive`, `reaction`.
    pub kind: Option<String>,
    pub text: Option<String>,
    pub payload: Option<Value>,
    /// `outbound` (default) or `inbound` (admins only: imports and integrations that feed
    /// messages received elsewhere).
    pub direction: Option<String>,
    /// For outbound messages: `user` (default), `bot`, `campaign` or `system`.
    pub origin: Option<String>,
    pub external_id: Option<String>,
    pub quoted_message_id: Option<Uuid>,
    /// Send without opening a ticket when the contact has none.
    pub dont_open_ticket: bool,
    /// The file of a media message, uploaded before (`/media`)...
    pub media_id: Option<Uuid>,
    /// ...or sent inline.
    pub file: Option<FileInput>,
}

/// A file sent inline with a message.
#[derive(Clone, Debug, Default)]
pub struct FileInput {
    /// The content, base64 (a `data:…;base64,` prefix is accepted).
    pub base64: Option<String>,
    pub mime_type: Option<String>,
    pub name: Option<String>,
}

/// Longest caption of a media message.
pub const CAPTION_MAX: usize = 1024;

/// The file of a message being created.
pub(crate) enum NewMedia {
    /// Uploaded before: its row exists.
    Uploaded(Media),
    /// Sent inline: its file is stored, its row goes in with the message.
    Inline(Media),
}

impl NewMedia {
    fn id(&self) -> MediaId {
        match self {
            NewMedia::Uploaded(m) | NewMedia::Inline(m) => m.id,
        }
    }
}

/// How a message is stored, besides the message itself.
#[derive(Default)]
pub(crate) struct Storing<'a> {
    /// The company user who wrote it.
    pub by: Option<UserId>,
    /// Never open a ticket for it.
    pub dont_open_ticket: bool,
    pub media: Option<&'a NewMedia>,
    /// Inbound: the name the contact shows on the channel (becomes the contact's `name`).
    pub profile_name: Option<&'a str>,
    /// Inbound: the file, still on the channel's side, to fetch after the message is stored.
    pub remote_media: Option<&'a balcao_core::RemoteMedia>,
}

/// Whose timeline to read.
#[derive(Clone, Copy, Debug)]
pub enum TimelineOf {
    Ticket(TicketId),
    Contact(ContactId),
}

/// A delivery report for a message.
#[derive(Clone, Debug, Default)]
pub struct StatusReport {
    pub status: Option<String>,
    pub error_code: Option<String>,
    pub error_text: Option<String>,
}

/// Types a face may create (`ticket_event` messages are the system's).
const ACCEPTED: [MessageType; 12] = [
    MessageType::Text,
    MessageType::Image,
    MessageType::Audio,
    MessageType::Video,
    MessageType::Document,
    MessageType::Sticker,
    MessageType::Note,
    MessageType::Location,
    MessageType::Contacts,
    MessageType::Template,
    MessageType::Interactive,
    MessageType::Reaction,
];

impl Service {
    /// Creates a message and applies the ticket rules:
    /// - an inbound message from a contact without an active ticket opens one in the
    ///   connection's default department (not for blocked contacts: their messages are kept
    ///   but open nothing);
    /// - an outbound message opens one unless `dont_open_ticket` (notes never do);
    /// - sending to a blocked contact answers 409.
    pub async fn create_message(&self, who: &Principal, input: NewMessage) -> Result<Message> {
        let mut v = Validator::new();
        let direction = match input.direction.as_deref() {
            None => Direction::Outbound,
            Some(d) => Direction::from_str(d).unwrap_or_else(|()| {
                v.add("direction", "invalid", "`direction` must be inbound or outbound");
                Direction::Outbound
            }),
        };
        let kind = match input.kind.as_deref() {
            None => MessageType::Text,
            Some(k) => match MessageType::from_str(k) {
                Ok(t) if ACCEPTED.contains(&t) => t,
                Ok(_) => {
                    v.add(
                        "type",
                        "unsupported",
                        format!("`{k}` messages cannot be created through the API yet"),
                    );
                    MessageType::Text
                }
                Err(()) => {
                    v.add("type", "invalid", format!("`{k}` is not a message type"));
                    MessageType::Text
                }
            },
        };
        let origin = match (direction, input.origin.as_deref()) {
            (Direction::Inbound, _) => Origin::Contact,
            (Direction::Outbound, None) => Origin::User,
            (Direction::Outbound, Some(o)) => match Origin::from_str(o) {
                Ok(Origin::Contact) | Err(()) => {
                    v.add("origin", "invalid", "`origin` must be user, bot, campaign or system");
                    Origin::User
                }
                Ok(o) => o,
            },
        };
        if direction == Direction::Inbound && kind == MessageType::Note {
            v.add("type", "invalid", "a note cannot be inbound");
        }
        let text = input.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        match (kind, text) {
            (MessageType::Text | MessageType::Note, None) => v.add("text", "required", "`text` is required"),
            (MessageType::Audio | MessageType::Sticker, Some(_)) => {
                v.add("text", "not_allowed", format!("`{kind}` messages have no caption"))
            }
            (k, Some(t)) if k.has_media() && t.chars().count() > CAPTION_MAX => v.add(
                "text",
                "too_long",
                format!("a caption is longer than {CAPTION_MAX} characters"),
            ),
            (_, Some(t)) if t.chars().count() > TEXT_MAX => v.add(
                "text",
                "too_long",
                format!("`text` is longer than {TEXT_MAX} characters"),
            ),
            _ => {}
        }
        let media = self
            .message_media(who, kind, input.media_id, input.file, &mut v)
            .await?;
        let mut payload = match (kind, input.payload) {
            (MessageType::Text | MessageType::Note, p) => p.filter(|p| !p.is_null()),
            (k, p) if k.has_media() => p.filter(|p| !p.is_null()),
            (_, Some(Value::Object(map))) => Some(Value::Object(map)),
            (_, _) => {
                v.add(
                    "payload",
                    "required",
                    format!("`{kind}` messages need a `payload` object"),
                );
                None
            }
        };
        let external_id = input
            .external_id
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned);
        let contact = match v.required("contact_id", input.contact_id) {
            Some(id) => {
                let found = contacts::get(&mut self.store().read(), who.account_id, ContactId(id)).await?;
                if found.is_none() {
                    v.add("contact_id", "not_found", format!("contact {id} does not exist"));
                }
                found
            }
            None => None,
        };
        if let (Some(contact), Some(p)) = (&contact, payload.as_ref()) {
            match kind {
                MessageType::Template => {
                    self.check_template_payload(who, contact.connection_id, p, &mut v)
                        .await?
                }
                MessageType::Interactive => payload = Some(self.interactive_payload(who, p, &mut v).await?),
                MessageType::Location => check_location(p, &mut v),
                MessageType::Contacts => check_contact_cards(p, &mut v),
                _ => {}
            }
        }
        if let Some(q) = input.quoted_message_id
            && messages::get(&mut self.store().read(), who.account_id, MessageId(q))
                .await?
                .is_none()
        {
            v.add("quoted_message_id", "not_found", format!("message {q} does not exist"));
        }
        v.finish()?;
        let Some(contact) = contact else {
            return Err(ServiceError::Internal("validated contact missing".into()));
        };
        if direction == Direction::Inbound && who.role != Role::Admin {
            return Err(ServiceError::forbidden("only an admin can record inbound messages"));
        }
        if direction == Direction::Outbound && kind.is_sent() && contact.blocked {
            return Err(ServiceError::conflict("contact_blocked", "the contact is blocked"));
        }
        // Read once: its archive state gates sending, its default department opens tickets.
        let connection = connections::get(&mut self.store().read(), who.account_id, contact.connection_id)
            .await?
            .ok_or(ServiceError::NotFound("connection"))?;
        if direction == Direction::Outbound && kind.is_sent() && connection.archived_at.is_some() {
            return Err(ServiceError::conflict(
                "connection_archived",
                "the contact's connection is archived",
            ));
        }
        if direction == Direction::Outbound && kind.is_sent() {
            self.check_service_window(&connection, &contact, kind).await?;
        }
        let now = Timestamp::now();
        let message = Message {
            id: MessageId::new(),
            account_id: who.account_id,
            connection_id: contact.connection_id,
            contact_id: contact.id,
            ticket_id: None,
            direction,
            kind,
            origin,
            user_id: (direction == Direction::Outbound).then_some(who.user_id),
            text: text.map(str::to_owned),
            payload,
            quoted_message_id: input.quoted_message_id.map(MessageId),
            media_id: media.as_ref().map(NewMedia::id),
            status: match (direction, kind.is_sent()) {
                (_, false) => None,
                (Direction::Outbound, true) => Some(DeliveryStatus::Queued),
                (Direction::Inbound, true) => Some(DeliveryStatus::Delivered),
            },
            error_code: None,
            error_text: None,
            external_id,
            edited_at: None,
            revoked_at: None,
            created_at: now,
            updated_at: now,
        };
        let storing = Storing {
            by: (direction == Direction::Outbound).then_some(who.user_id),
            dont_open_ticket: input.dont_open_ticket,
            media: media.as_ref(),
            ..Storing::default()
        };
        let (connection_id, external_id) = (message.connection_id, message.external_id.clone());
        let stored = self.store_retrying(message, &contact, &connection, &storing).await;
        match stored {
            Err(ServiceError::Conflict {
                code: "external_id_taken",
                message,
                ..
            }) => {
                // The same message again (a retried delivery): name the one already stored.
                let existing = match external_id.as_deref() {
                    Some(e) => messages::by_external_id(&mut self.store().read(), who.account_id, connection_id, e)
                        .await?
                        .map(|m| m.id.0),
                    None => None,
                };
                Err(ServiceError::Conflict {
                    code: "external_id_taken",
                    message,
                    existing_id: existing,
                })
            }
            other => other,
        }
    }

    /// Stores a message (see [`Service::store_message`]). Two messages racing to open the
    /// contact's ticket: the loser finds the winner's ticket on its next try (the unique index
    /// on active tickets decides, on every backend).
    pub(crate) async fn store_retrying(
        &self,
        message: Message,
        contact: &Contact,
        connection: &Connection,
        storing: &Storing<'_>,
    ) -> Result<Message> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.store_message(message.clone(), contact, connection, storing).await {
                Err(ServiceError::Conflict {
                    code: "another_ticket_open",
                    ..
                }) if attempts < 3 => continue,
                other => break other,
            }
        }
    }

    /// Stores a message with its ticket effects and the jobs it needs (its send through the
    /// channel, the fetch of an inbound file), in one transaction.
    async fn store_message(
        &self,
        mut message: Message,
        contact: &Contact,
        connection: &Connection,
        storing: &Storing<'_>,
    ) -> Result<Message> {
        let (by, dont_open_ticket) = (storing.by, storing.dont_open_ticket);
        let mut tx = self.store().begin().await?;
        if let Some(NewMedia::Inline(m)) = storing.media {
            media::insert(&mut tx, m).await?;
        }
        let mut events = Vec::new();
        // Messages of one contact are stored one after the other: lock the contact (read afresh),
        // then its active ticket, before changing either from what was read.
        let mut contact = contacts::lock(&mut tx, message.account_id, contact.id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))?;
        let active = tickets::lock_active_for(&mut tx, message.account_id, contact.id, contact.connection_id).await?;
        let inbound = message.direction == Direction::Inbound;
        let opens = if inbound {
            !contact.blocked && !dont_open_ticket
        } else {
            message.kind.is_sent() && !dont_open_ticket
        };
        let ticket = match active {
            Some(t) => Some(t),
            None if opens => {
                let opened = self
                    .open_ticket(&mut tx, &contact, connection, by, inbound, &mut events)
                    .await?;
                // Ids order the timeline: the message comes after the event that opened its ticket.
                message.id = MessageId::new();
                Some(opened)
            }
            None => None,
        };
        message.ticket_id = ticket.as_ref().map(|t| t.id);
        messages::insert(&mut tx, &message).await?;
        events.push(event(
            message.account_id,
            "message.created",
            "message",
            message.id.0,
            &message,
        ));

        if let Some(mut ticket) = ticket {
            let touched = touch_ticket(&mut ticket, &message);
            if touched.changed {
                tickets::update(&mut tx, &ticket).await?;
            }
            if touched.status_changed {
                events.push(ticket_updated(&ticket));
            }
        }
        if let Some(renamed) = touch_contact(&mut contact, &message, storing.profile_name) {
            if renamed {
                events.push(event(
                    contact.account_id,
                    "contact.updated",
                    "contact",
                    contact.id.0,
                    &contact,
                ));
            }
            contacts::update(&mut tx, &contact).await?;
        }
        let jobs = crate::channels::jobs_for(&message, connection, storing.remote_media);
        balcao_store::jobs::enqueue(&mut tx, &jobs).await?;
        outbox::append(&mut tx, &events).await?;
        tx.commit().await?;
        if !jobs.is_empty() {
            self.wake_workers();
        }
        Ok(message)
    }

    /// Opens a ticket for the contact in its connection's default department.
    pub(crate) async fn open_ticket(
        &self,
        tx: &mut Tx,
        contact: &Contact,
        connection: &Connection,
        by: Option<UserId>,
        inbound: bool,
        events: &mut Vec<balcao_core::Event>,
    ) -> Result<Ticket> {
        let number = tickets::next_number(tx, contact.account_id).await?;
        let ticket = new_ticket(contact, connection, by, inbound, number, Timestamp::now());
        tickets::insert(tx, &ticket).await.map_err(another_ticket_open)?;
        write_recorded(tx, opening(&ticket, by, events)).await?;
        Ok(ticket)
    }

    /// The file of a media message: an uploaded one (`media_id`) or an inline one (`file`),
    /// checked against the type's MIME types and size limit. Inline files are written to the
    /// media store now; their row is inserted with the message.
    async fn message_media(
        &self,
        who: &Principal,
        kind: MessageType,
        media_id: Option<Uuid>,
        file: Option<FileInput>,
        v: &mut Validator,
    ) -> Result<Option<NewMedia>> {
        if !kind.has_media() {
            if media_id.is_some() || file.is_some() {
                v.add("media_id", "not_allowed", format!("`{kind}` messages carry no file"));
            }
            return Ok(None);
        }
        let limit = balcao_core::media::max_size(kind);
        let check = |v: &mut Validator, field: &str, mime: &str, size: u64| {
            if !balcao_core::media::accepts(kind, mime) {
                v.add(field, "unsupported_type", format!("`{mime}` cannot be sent as {kind}"));
            }
            if size > limit {
                v.add(field, "too_large", format!("{kind} files are limited to {limit} bytes"));
            }
        };
        match (media_id, file) {
            (Some(id), None) => match media::get(&mut self.store().read(), who.account_id, MediaId(id)).await? {
                Some(m) => {
                    check(v, "media_id", &m.mime_type, u64::try_from(m.size).unwrap_or(u64::MAX));
                    Ok(Some(NewMedia::Uploaded(m)))
                }
                None => {
                    v.add("media_id", "not_found", format!("media {id} does not exist"));
                    Ok(None)
                }
            },
            (None, Some(file)) => {
                let mime = crate::media::check_mime(v, "file.mime_type", file.mime_type.as_deref());
                let Some(encoded) = v.required("file.base64", file.base64.as_deref()) else {
                    return Ok(None);
                };
                let encoded = encoded.split_once(";base64,").map_or(encoded, |(_, data)| data);
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
                    v.add("file.base64", "invalid", "`file.base64` is not valid base64");
                    return Ok(None);
                };
                let Some(mime) = mime else { return Ok(None) };
                check(v, "file", &mime, bytes.len() as u64);
                if !v.is_empty() {
                    return Ok(None);
                }
                let stored = self
                    .store_inline(who, &bytes, mime, file.name.as_deref(), limit)
                    .await?;
                Ok(Some(NewMedia::Inline(stored)))
            }
            (Some(_), Some(_)) => {
                v.add("file", "not_allowed", "send either `media_id` or `file`, not both");
                Ok(None)
            }
            (None, None) => {
                v.add(
                    "media_id",
                    "required",
                    format!("`{kind}` messages need `media_id` or `file`"),
                );
                Ok(None)
            }
        }
    }

    pub async fn get_message(&self, who: &Principal, id: MessageId) -> Result<Message> {
        messages::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("message"))
    }

    /// A ticket's or a contact's timeline, oldest first.
    pub async fn timeline(&self, who: &Principal, of: TimelineOf, params: ListParams) -> Result<Page<Message>> {
        let timeline = match of {
            TimelineOf::Ticket(t) => {
                self.get_ticket(who, t).await?;
                Timeline::Ticket(t)
            }
            TimelineOf::Contact(c) => {
                self.get_contact(who, c).await?;
                Timeline::Contact(c)
            }
        };
        Ok(messages::list(&mut self.store().read(), who.account_id, timeline, params.page()?).await?)
    }

    /// Messages of the account holding every word of `text`, newest first, with their tickets
    /// and contacts (read side by side, one query per kind).
    pub async fn search_messages(
        &self,
        who: &Principal,
        text: Option<&str>,
        params: ListParams,
    ) -> Result<MessageHits> {
        let text = text.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Err(ServiceError::invalid(
                "q",
                "required",
                "`q` (the words to search for) is required",
            ));
        }
        let words = balcao_core::SearchWords::parse(text).map_err(|why| ServiceError::invalid("q", "invalid", why))?;
        let page = messages::search(&mut self.store().read(), who.account_id, &words, params.page()?).await?;
        let ticket_ids = crate::distinct(page.items.iter().filter_map(|m| m.ticket_id));
        let contact_ids = crate::distinct(page.items.iter().map(|m| m.contact_id));
        let (mut r1, mut r2) = (self.store().read(), self.store().read());
        let (tickets, contacts) = tokio::try_join!(
            tickets::get_many(&mut r1, who.account_id, &ticket_ids),
            contacts::get_many(&mut r2, who.account_id, &contact_ids),
        )?;
        Ok(MessageHits {
            page,
            tickets: tickets.into_iter().map(|t| (t.id, t)).collect(),
            contacts: contacts.into_iter().map(|c| (c.id, c)).collect(),
        })
    }

    /// Records a delivery report. The status only moves forward (`queued → sent → delivered →
    /// read`, or `failed` before delivery); a report that would move it back answers 409 and
    /// changes nothing. Admins only (connectors report through the service directly).
    pub async fn report_message_status(&self, who: &Principal, id: MessageId, report: StatusReport) -> Result<Message> {
        who.require_admin("report delivery")?;
        let mut v = Validator::new();
        let status = v.required("status", report.status.as_deref()).and_then(|s| {
            let parsed = DeliveryStatus::from_str(s).ok();
            if parsed.is_none() {
                v.add(
                    "status",
                    "invalid",
                    "`status` must be queued, sent, delivered, read or failed",
                );
            }
            parsed
        });
        v.finish()?;
        let Some(status) = status else {
            return Err(ServiceError::Internal("validated status missing".into()));
        };
        let mut tx = self.store().begin().await?;
        let mut message = messages::lock(&mut tx, who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        let Some(current) = message.status else {
            return Err(ServiceError::conflict(
                "not_delivered",
                "this message is never sent, so it has no delivery status",
            ));
        };
        if !current.may_become(status) {
            return Err(ServiceError::conflict(
                "status_regression",
                format!("a {current} message cannot become {status}"),
            ));
        }
        if current == status {
            return Ok(message);
        }
        message.status = Some(status);
        if status == DeliveryStatus::Failed {
            message.error_code = report.error_code;
            message.error_text = report.error_text;
        }
        message.updated_at = Timestamp::now();
        save_message_update(tx, &message).await?;
        Ok(message)
    }
}

/// A location: `latitude` (-90..90) and `longitude` (-180..180), optional `name` and `address`.
fn check_location(payload: &Value, v: &mut Validator) {
    for (field, bound) in [("latitude", 90.0), ("longitude", 180.0)] {
        if !payload[field].as_f64().is_some_and(|x| x.abs() <= bound) {
            v.add(
                format!("payload.{field}"),
                "invalid",
                format!("`{field}` is a number between -{bound} and {bound}"),
            );
        }
    }
    for field in ["name", "address"] {
        if !payload[field].is_null() && !payload[field].is_string() {
            v.add(format!("payload.{field}"), "invalid", format!("`{field}` is a text"));
        }
    }
}

/// Contact cards: `contacts: [{name: {formatted_name}, phones?: [{phone}]}]`, 1 to 20 cards.
fn check_contact_cards(payload: &Value, v: &mut Validator) {
    let cards = payload["contacts"].as_array().map(Vec::as_slice).unwrap_or_default();
    if cards.is_empty() || cards.len() > 20 {
        v.add("payload.contacts", "invalid", "`contacts` lists 1 to 20 cards");
    }
    for (i, card) in cards.iter().enumerate() {
        if card["name"]["formatted_name"]
            .as_str()
            .is_none_or(|n| n.trim().is_empty())
        {
            v.add(
                format!("payload.contacts[{i}].name.formatted_name"),
                "required",
                "each card needs `name.formatted_name`",
            );
        }
    }
}

/// Writes a changed message and its `message.updated` event, and commits.
async fn save_message_update(mut tx: Tx, message: &Message) -> Result<()> {
    write_message_update(&mut tx, message).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes a changed message and its `message.updated` event in `tx`.
pub(crate) async fn write_message_update(tx: &mut Tx, message: &Message) -> Result<()> {
    messages::update(tx, message).await?;
    let changed = event(message.account_id, "message.updated", "message", message.id.0, message);
    outbox::append(tx, &[changed]).await?;
    Ok(())
}

/// Longest reaction (an emoji may take several code points).
const REACTION_MAX: usize = 16;

impl Service {
    /// Changes the text of one's own outbound text message or note.
    pub async fn edit_message(&self, who: &Principal, id: MessageId, text: Option<String>) -> Result<Message> {
        let mut v = Validator::new();
        let text = v.required("text", text.as_deref().map(str::trim).filter(|t| !t.is_empty()));
        if text.is_some_and(|t| t.chars().count() > TEXT_MAX) {
            v.add(
                "text",
                "too_long",
                format!("`text` is longer than {TEXT_MAX} characters"),
            );
        }
        v.finish()?;
        let mut tx = self.store().begin().await?;
        let mut message = messages::lock(&mut tx, who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        if message.user_id != Some(who.user_id) || !matches!(message.kind, MessageType::Text | MessageType::Note) {
            return Err(ServiceError::forbidden(
                "only the author of a text message or note can edit it",
            ));
        }
        if message.revoked_at.is_some() {
            return Err(ServiceError::conflict(
                "message_revoked",
                "a revoked message cannot be edited",
            ));
        }
        let now = Timestamp::now();
        message.text = text.map(str::to_owned);
        message.edited_at = Some(now);
        message.updated_at = now;
        save_message_update(tx, &message).await?;
        Ok(message)
    }

    /// Revokes (deletes for everyone) an outbound message: its author or an admin. The record
    /// stays, marked revoked; revoking again changes nothing.
    pub async fn revoke_message(&self, who: &Principal, id: MessageId) -> Result<Message> {
        let mut tx = self.store().begin().await?;
        let mut message = messages::lock(&mut tx, who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        if message.direction != Direction::Outbound || message.kind == MessageType::TicketEvent {
            return Err(ServiceError::conflict(
                "not_revocable",
                "only messages of the company can be revoked",
            ));
        }
        if message.user_id != Some(who.user_id) && !who.is_admin() {
            return Err(ServiceError::forbidden(
                "only the author or an admin can revoke a message",
            ));
        }
        if message.revoked_at.is_none() {
            let now = Timestamp::now();
            message.revoked_at = Some(now);
            message.updated_at = now;
            save_message_update(tx, &message).await?;
        }
        Ok(message)
    }

    /// Reacts to a message with an emoji (an empty one takes the reaction back): a `reaction`
    /// message quoting it, sent to the contact like any message (never opening a ticket).
    pub async fn react_to_message(&self, who: &Principal, id: MessageId, emoji: Option<String>) -> Result<Message> {
        let target = self.get_message(who, id).await?;
        let emoji = emoji.unwrap_or_default().trim().to_owned();
        if emoji.chars().count() > REACTION_MAX || emoji.chars().any(|c| c.is_ascii_alphanumeric() || c.is_control()) {
            return Err(ServiceError::invalid(
                "emoji",
                "invalid",
                "`emoji` must be one emoji (or empty to take a reaction back)",
            ));
        }
        if !target.kind.is_sent() || target.kind == MessageType::Reaction {
            return Err(ServiceError::conflict(
                "not_reactable",
                "only messages exchanged with the contact take reactions",
            ));
        }
        let input = NewMessage {
            contact_id: Some(target.contact_id.0),
            kind: Some(MessageType::Reaction.as_str().to_owned()),
            payload: Some(serde_json::json!({ "message_id": target.id, "emoji": emoji })),
            quoted_message_id: Some(target.id.0),
            dont_open_ticket: true,
            ..NewMessage::default()
        };
        self.create_message(who, input).await
    }
}

/// What storing a message changed on its ticket.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Touched {
    pub changed: bool,
    pub status_changed: bool,
    /// Something besides the last message, unread count and time of change changed: the first
    /// message, status, snooze or first reply (all in the tickets' indexes).
    pub routing_changed: bool,
}

/// What a new message does to its ticket: the first and last message, the unread count, the
/// first reply's time, and the status (a contact's message reopens a pending or snoozed
/// ticket; the company's answer makes an open ticket pending).
pub(crate) fn touch_ticket(ticket: &mut Ticket, message: &Message) -> Touched {
    let routing = |t: &Ticket| (t.first_message_id, t.status, t.snoozed_until, t.first_reply_at);
    let before = routing(ticket);
    let status = ticket.status;
    let mut changed = false;
    if message.kind.is_sent() {
        if ticket.first_message_id.is_none() {
            ticket.first_message_id = Some(message.id);
        }
        ticket.last_message_id = Some(message.id);
        changed = true;
    }
    if message.direction == Direction::Inbound {
        ticket.unread_count += 1;
        changed = true;
        if matches!(ticket.status, TicketStatus::Pending | TicketStatus::Snoozed) {
            ticket.status = TicketStatus::Open;
            ticket.snoozed_until = None;
        }
    } else if message.kind.is_sent() {
        if message.origin == Origin::User && ticket.first_reply_at.is_none() {
            ticket.first_reply_at = Some(message.created_at);
        }
        if ticket.status == TicketStatus::Open {
            ticket.status = TicketStatus::Pending;
        }
    }
    if changed {
        ticket.updated_at = message.created_at;
    }
    Touched {
        changed,
        status_changed: ticket.status != status,
        routing_changed: routing(ticket) != before,
    }
}

/// What a new message does to its contact: the last message's time, the unread count and
/// (inbound) the name the contact shows on the channel. `None` when nothing changes; else
/// whether the contact was renamed.
pub(crate) fn touch_contact(contact: &mut Contact, message: &Message, profile_name: Option<&str>) -> Option<bool> {
    if !message.kind.is_sent() {
        return None;
    }
    contact.last_message_at = Some(message.created_at);
    let mut renamed = false;
    if message.direction == Direction::Inbound {
        contact.unread_count += 1;
        if let Some(name) = profile_name.map(str::trim).filter(|n| !n.is_empty())
            && contact.name != name
        {
            contact.name = name.to_owned();
            contact.updated_at = message.created_at;
            renamed = true;
        }
    }
    Some(renamed)
}

/// A ticket opened now for `contact` on `connection`, numbered `number`: in the connection's
/// (else the contact's) department; an inbound message's ticket goes to the contact's default
/// agent, an outbound one to whoever sent it.
pub(crate) fn new_ticket(
    contact: &Contact,
    connection: &Connection,
    by: Option<UserId>,
    inbound: bool,
    number: i64,
    now: Timestamp,
) -> Ticket {
    Ticket {
        id: TicketId::new(),
        account_id: contact.account_id,
        contact_id: contact.id,
        connection_id: contact.connection_id,
        protocol: Ticket::protocol_for(now, number),
        status: TicketStatus::Open,
        priority: 1,
        department_id: connection.default_department_id.or(contact.default_department_id),
        user_id: if inbound { contact.default_user_id } else { by },
        snoozed_until: None,
        started_at: now,
        ended_at: None,
        first_reply_at: None,
        first_message_id: None,
        last_message_id: None,
        unread_count: 0,
        topic_ids: Vec::new(),
        custom_fields: Default::default(),
        created_at: now,
        updated_at: now,
    }
}

/// A second active ticket for the contact, as the caller is told.
pub(crate) fn another_ticket_open(e: balcao_store::StoreError) -> ServiceError {
    match e {
        balcao_store::StoreError::Duplicate { .. } => ServiceError::conflict(
            "another_ticket_open",
            "the contact already has an open ticket on this connection",
        ),
        other => other.into(),
    }
}
