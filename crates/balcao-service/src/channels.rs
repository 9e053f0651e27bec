//! Channels: connections that start and stop, what arrives from a channel, and the jobs that
//! carry messages out (sends, file fetches, read receipts).
//!
//! The rules of messages and tickets are the same whatever the channel: an inbound message is
//! stored through the same path as one created through the API. This module adds what only a
//! channel has: ids the channel gave, files held on the channel's side, delivery reports,
//! WhatsApp's 24-hour customer-service window, and retries with backoff.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use balcao_channels::whatsapp::{self, Credentials, GraphError, outbound};
use balcao_core::{
    Connection, ConnectionId, ConnectionStatus, ConnectionType, Contact, ContactId, DeliveryReport, DeliveryStatus,
    Direction, InboundBatch, InboundMessage, Media, MediaId, Message, MessageId, MessageType, RemoteMedia, TicketId,
    Timestamp, phone,
};
use balcao_store::jobs::{Job, NewJob};
use balcao_store::{StoreError, connections, contacts, jobs, media, messages, outbox, reusable, tickets};
use serde_json::{Value, json};

use crate::messages::{Storing, write_message_update};
use crate::{Principal, Result, Service, ServiceError, event};

/// Job kinds.
pub const SEND: &str = "send";
pub const FETCH_MEDIA: &str = "fetch_media";
pub const MARK_READ: &str = "mark_read";

/// How long a free-form WhatsApp message may follow the contact's last message.
const SERVICE_WINDOW_MICROS: i64 = 24 * 3600 * 1_000_000;

/// What became of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    /// Failed for good; the subject records why.
    Failed(String),
    /// Another try at the given time.
    Retry(Timestamp),
}

/// What a notification changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub stored: usize,
    pub duplicates: usize,
    pub reports_applied: usize,
    pub reports_ignored: usize,
}

/// Connections recently read for their channels' webhooks, each kept for a second.
#[derive(Default)]
pub(crate) struct ConnectionCache {
    entries: Mutex<HashMap<ConnectionId, (std::time::Instant, Connection)>>,
}

impl ConnectionCache {
    const FRESH_FOR: Duration = Duration::from_secs(1);

    fn get(&self, id: ConnectionId) -> Option<Connection> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&id)
            .filter(|(at, _)| at.elapsed() < Self::FRESH_FOR)
            .map(|(_, c)| c.clone())
    }

    fn put(&self, c: Connection) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (at, _)| at.elapsed() < Self::FRESH_FOR);
        entries.insert(c.id, (std::time::Instant::now(), c));
    }

    pub(crate) fn forget(&self, id: ConnectionId) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
}

/// The number a channel message came from, normalised as contacts keep it.
pub(crate) fn number_of(m: &InboundMessage) -> String {
    phone::normalize(&format!("+{}", m.from)).unwrap_or_else(|_| m.from.clone())
}

/// The contact a first message from `number` creates, named as it shows on the channel.
pub(crate) fn new_contact(connection: &Connection, m: &InboundMessage, number: &str) -> Contact {
    let name = m
        .profile_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(number)
        .to_owned();
    Contact::bare(
        ContactId::new(),
        connection.account_id,
        connection.id,
        name,
        Some(number.to_owned()),
        Timestamp::now(),
    )
}

/// The jobs a freshly stored message needs on its connection's channel.
pub(crate) fn jobs_for(m: &Message, c: &Connection, remote: Option<&RemoteMedia>) -> Vec<NewJob> {
    if c.kind != ConnectionType::WhatsappCloud {
        return Vec::new();
    }
    let job = |kind, queue_key, payload| NewJob {
        account_id: m.account_id,
        connection_id: m.connection_id,
        kind,
        subject_id: m.id.0,
        queue_key,
        payload,
        run_at: m.created_at,
    };
    match (m.direction, remote) {
        (Direction::Outbound, _) if m.kind.is_sent() => vec![job(SEND, m.contact_id.0, json!({}))],
        (Direction::Inbound, Some(r)) => vec![job(FETCH_MEDIA, m.id.0, serde_json::to_value(r).unwrap_or(Value::Null))],
        _ => Vec::new(),
    }
}

/// Messages per second a connection may send, shared by its sends in this process.
#[derive(Default)]
pub(crate) struct SendLimiter {
    next_slot: Mutex<HashMap<ConnectionId, tokio::time::Instant>>,
}

impl SendLimiter {
    /// Waits for the connection's next send slot (`rate` per second, evenly spaced).
    async fn acquire(&self, connection: ConnectionId, rate: u32) {
        let gap = Duration::from_secs(1) / rate.max(1);
        let wait_until = {
            let mut slots = self.next_slot.lock().unwrap_or_else(|p| p.into_inner());
            let now = tokio::time::Instant::now();
            let slot = slots.get(&connection).copied().filter(|s| *s > now).unwrap_or(now);
            slots.insert(connection, slot + gap);
            slot
        };
        tokio::time::sleep_until(wait_until).await;
    }
}

pub(crate) fn whatsapp_credentials(c: &Connection) -> Result<Credentials<'_>> {
    match (c.setting("phone_number_id"), c.setting("access_token")) {
        (Some(phone_number_id), Some(access_token)) => Ok(Credentials {
            base_url: c
                .setting("graph_api_url")
                .unwrap_or(balcao_core::connection::GRAPH_API_URL),
            phone_number_id,
            access_token,
        }),
        _ => Err(ServiceError::conflict(
            "connection_incomplete",
            "the connection lacks phone_number_id or access_token",
        )),
    }
}

/// What a failed credentials check tells the admin.
fn describe_graph_error(e: &GraphError, base_url: &str) -> String {
    match e {
        GraphError::Api { code: 190, .. } => {
            format!("Meta refused the access token ({}): set a valid access_token", e.text())
        }
        GraphError::Api { code: 100, .. } => format!("Meta does not know this phone_number_id ({})", e.text()),
        GraphError::Api { code, .. } => format!("Meta answered error {code}: {}", e.text()),
        GraphError::Timeout | GraphError::Network(_) => format!("cannot reach the Graph API at {base_url}: {e}"),
        other => other.to_string(),
    }
}

impl Service {
    /// Wakes the background workers: a job was queued.
    pub(crate) fn wake_workers(&self) {
        self.inner.jobs_queued.notify_one();
    }

    /// Resolves when a job was queued since the last call (for the workers' loop).
    pub async fn jobs_queued(&self) {
        self.inner.jobs_queued.notified().await;
    }

    /// WhatsApp lets a business send free-form messages only within 24 hours of the contact's
    /// last message; after that, only an approved template. Checked before the message is
    /// queued, so the user learns it at once instead of through a failed delivery.
    pub(crate) async fn check_service_window(
        &self,
        connection: &Connection,
        contact: &Contact,
        kind: MessageType,
    ) -> Result<()> {
        if connection.kind != ConnectionType::WhatsappCloud || kind == MessageType::Template {
            return Ok(());
        }
        let last = messages::last_inbound(&mut self.store().read(), contact.account_id, contact.id).await?;
        let open = last.is_some_and(|m| Timestamp::now().micros() - m.created_at.micros() < SERVICE_WINDOW_MICROS);
        if open {
            Ok(())
        } else {
            Err(ServiceError::conflict(
                "service_window_closed",
                "more than 24 hours have passed since the contact last wrote (or it never wrote): \
                 WhatsApp only delivers an approved template now; send a `template` message",
            ))
        }
    }

    /// Connects a connection to its channel, checking its credentials first (admins). The
    /// answer's status says what went wrong when the check failed.
    pub async fn start_connection(&self, who: &Principal, id: ConnectionId) -> Result<Connection> {
        who.require_admin("start connections")?;
        let mut connection = self.get_connection(who, id).await?;
        if connection.archived_at.is_some() {
            return Err(ServiceError::conflict(
                "connection_archived",
                "an archived connection cannot start",
            ));
        }
        let (status, detail) = match connection.kind {
            ConnectionType::WhatsappCloud => {
                let creds = whatsapp_credentials(&connection)?;
                match self.inner.graph.phone_number(creds).await {
                    Ok(info) => {
                        let mut detail = info
                            .display_phone_number
                            .unwrap_or_else(|| creds.phone_number_id.to_owned());
                        if let Some(name) = info.verified_name {
                            detail = format!("{detail} ({name})");
                        }
                        (ConnectionStatus::Connected, Some(detail))
                    }
                    Err(e) => (ConnectionStatus::Error, Some(describe_graph_error(&e, creds.base_url))),
                }
            }
            other => {
                return Err(ServiceError::conflict(
                    "channel_unavailable",
                    format!("{other} connections cannot be started yet"),
                ));
            }
        };
        self.set_connection_status(&mut connection, status, detail).await?;
        if status == ConnectionStatus::Connected {
            self.wake_workers();
        }
        Ok(connection)
    }

    /// Disconnects a connection (admins): its queued messages wait until it starts again;
    /// what the channel delivers meanwhile is still received.
    pub async fn stop_connection(&self, who: &Principal, id: ConnectionId) -> Result<Connection> {
        who.require_admin("stop connections")?;
        let mut connection = self.get_connection(who, id).await?;
        self.set_connection_status(&mut connection, ConnectionStatus::Disconnected, Some("stopped".into()))
            .await?;
        Ok(connection)
    }

    /// Stops and starts a connection again (admins).
    pub async fn restart_connection(&self, who: &Principal, id: ConnectionId) -> Result<Connection> {
        self.stop_connection(who, id).await?;
        self.start_connection(who, id).await
    }

    async fn set_connection_status(
        &self,
        connection: &mut Connection,
        status: ConnectionStatus,
        detail: Option<String>,
    ) -> Result<()> {
        if connection.status == status && connection.status_detail == detail {
            return Ok(());
        }
        connection.status = status;
        connection.status_detail = detail;
        connection.updated_at = Timestamp::now();
        self.save_connection(connection).await
    }

    /// The connection a channel's webhook names, whatever its account (the webhook proves
    /// itself with the connection's own secret, checked by the caller).
    /// Connections are read at most once a second per connection (a notification arrives
    /// per message at busy times); changes made through this instance take effect at once,
    /// those of other instances within the second.
    pub async fn webhook_connection(&self, id: ConnectionId, kind: ConnectionType) -> Result<Connection> {
        let cached = self.inner.webhook_connections.get(id);
        let connection = match cached {
            Some(c) => c,
            None => {
                let read = connections::get_unscoped(&mut self.store().read(), id).await?;
                let Some(c) = read else {
                    return Err(ServiceError::NotFound("connection"));
                };
                self.inner.webhook_connections.put(c.clone());
                c
            }
        };
        if connection.kind == kind {
            Ok(connection)
        } else {
            Err(ServiceError::NotFound("connection"))
        }
    }

    /// Stores a notification on its own: each message in its own transaction, then the rest.
    pub(crate) async fn ingest_alone(&self, connection: &Connection, batch: InboundBatch) -> Result<IngestReport> {
        let mut report = IngestReport::default();
        for m in &batch.messages {
            if self.ingest_message(connection, m).await? {
                report.stored += 1;
            } else {
                report.duplicates += 1;
            }
        }
        let rest = InboundBatch {
            messages: Vec::new(),
            ..batch
        };
        self.ingest_rest(connection, rest, report).await
    }

    /// Applies what a notification holds besides messages: delivery reports and template
    /// reviews.
    pub(crate) async fn ingest_rest(
        &self,
        connection: &Connection,
        batch: InboundBatch,
        mut report: IngestReport,
    ) -> Result<IngestReport> {
        if !batch.reports.is_empty() {
            let applied = self.apply_reports(connection, &batch.reports).await?;
            report.reports_applied = applied;
            report.reports_ignored = batch.reports.len() - applied;
        }
        if !batch.templates.is_empty() {
            self.apply_template_updates(connection, &batch.templates).await?;
        }
        Ok(report)
    }

    /// Stores one inbound message; `false` when it was already stored.
    async fn ingest_message(&self, connection: &Connection, m: &InboundMessage) -> Result<bool> {
        let account = connection.account_id;
        let mut read = self.store().read();
        if messages::by_external_id(&mut read, account, connection.id, &m.external_id)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let contact = self.contact_for(connection, m).await?;
        let mut known = HashMap::new();
        if let Some(context) = m.context_id.as_deref()
            && let Some(q) = messages::by_external_id(&mut self.store().read(), account, connection.id, context).await?
        {
            known.insert(context.to_owned(), q.id);
        }
        let message = crate::ingest::inbound_message(connection, &contact, m, None, &known);
        let storing = Storing {
            dont_open_ticket: !crate::ingest::opens_ticket(m),
            profile_name: m.profile_name.as_deref(),
            remote_media: m.media.as_ref(),
            ..Storing::default()
        };
        match self.store_retrying(message, &contact, connection, &storing).await {
            Ok(_) => Ok(true),
            // The same message delivered twice at once: the other delivery stored it.
            Err(ServiceError::Conflict {
                code: "external_id_taken",
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The contact who wrote, created on its first message.
    async fn contact_for(&self, connection: &Connection, m: &InboundMessage) -> Result<Contact> {
        let account = connection.account_id;
        let number = number_of(m);
        for _ in 0..2 {
            let mut read = self.store().read();
            if let Some(id) = contacts::find_by_phone(&mut read, account, connection.id, &number).await?
                && let Some(c) = contacts::get(&mut read, account, id).await?
            {
                return Ok(c);
            }
            let contact = new_contact(connection, m, &number);
            let mut tx = self.store().begin().await?;
            match contacts::insert_many(&mut tx, std::slice::from_ref(&contact)).await {
                Ok(()) => {
                    outbox::append(
                        &mut tx,
                        &[event(account, "contact.created", "contact", contact.id.0, &contact)],
                    )
                    .await?;
                    tx.commit().await?;
                    return Ok(contact);
                }
                // Another delivery created it a moment ago: read it.
                Err(StoreError::Duplicate { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Internal("contact vanished while being created".into()))
    }

    /// Applies delivery reports: a message's status only moves forward, whatever order the
    /// reports arrive in; `failed` keeps the channel's code and text. Reports of unknown
    /// messages, and those that would move a status back, change nothing. Answers how many
    /// changed a message.
    pub async fn apply_reports(&self, connection: &Connection, reports: &[DeliveryReport]) -> Result<usize> {
        let account = connection.account_id;
        let mut tx = self.store().begin().await?;
        let mut events = Vec::new();
        let mut applied = 0;
        for r in reports {
            let found = match r.message_id {
                Some(id) => messages::lock(&mut tx, account, id)
                    .await?
                    .filter(|m| m.connection_id == connection.id),
                None => None,
            };
            let found = match found {
                Some(m) => Some(m),
                None => messages::by_external_id(&mut tx, account, connection.id, &r.external_id).await?,
            };
            let Some(mut message) = found else { continue };
            let Some(current) = message.status else { continue };
            if current == r.status || !current.may_become(r.status) {
                continue;
            }
            message.status = Some(r.status);
            if message.external_id.is_none() {
                message.external_id = Some(r.external_id.clone());
            }
            if r.status == DeliveryStatus::Failed {
                message.error_code = r.error_code.clone();
                message.error_text = r.error_text.clone();
            }
            message.updated_at = Timestamp::now();
            messages::update(&mut tx, &message).await?;
            events.push(event(account, "message.updated", "message", message.id.0, &message));
            applied += 1;
        }
        outbox::append(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Marks a ticket's conversation as read by the company: its unread counts drop to zero,
    /// and the channel is told (WhatsApp shows the blue ticks) for the newest message received.
    pub async fn read_ticket(&self, who: &Principal, id: TicketId) -> Result<balcao_core::Ticket> {
        // Whoever may see the ticket may read it.
        self.get_ticket(who, id).await?;
        let mut tx = self.store().begin().await?;
        let mut ticket = tickets::lock(&mut tx, who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("ticket"))?;
        let connection = connections::get(&mut tx, who.account_id, ticket.connection_id)
            .await?
            .ok_or(ServiceError::NotFound("connection"))?;
        let mut contact = contacts::lock(&mut tx, who.account_id, ticket.contact_id)
            .await?
            .ok_or(ServiceError::NotFound("contact"))?;
        let last_in = messages::last_inbound(&mut tx, who.account_id, ticket.contact_id).await?;
        let mut queued = false;
        if ticket.unread_count != 0 || contact.unread_count != 0 {
            let now = Timestamp::now();
            ticket.unread_count = 0;
            ticket.updated_at = now;
            tickets::update(&mut tx, &ticket).await?;
            contact.unread_count = 0;
            contacts::update(&mut tx, &contact).await?;
            if connection.kind == ConnectionType::WhatsappCloud
                && let Some(m) = last_in.filter(|m| m.external_id.is_some())
            {
                jobs::enqueue(
                    &mut tx,
                    &[NewJob {
                        account_id: who.account_id,
                        connection_id: connection.id,
                        kind: MARK_READ,
                        subject_id: m.id.0,
                        queue_key: m.id.0,
                        payload: json!({}),
                        run_at: now,
                    }],
                )
                .await?;
                queued = true;
            }
            outbox::append(&mut tx, &[crate::tickets::ticket_updated(&ticket)]).await?;
        }
        tx.commit().await?;
        if queued {
            self.wake_workers();
        }
        Ok(ticket)
    }

    /// Claims due jobs for this worker (see [`balcao_store::jobs::claim`]). The lease outlasts
    /// one run (an upload and a send, each within the channel timeout, and a margin), so a job
    /// in flight when its process died comes due again soon after.
    pub async fn claim_jobs(&self, limit: u32) -> Result<Vec<Job>> {
        let lease = self.settings().channel_timeout * 2 + Duration::from_secs(15);
        let now = Timestamp::now();
        let until = Timestamp::from_micros(now.micros() + i64::try_from(lease.as_micros()).unwrap_or(i64::MAX));
        Ok(jobs::claim(&mut self.store().write(), now, until, limit).await?)
    }

    /// When the next job comes due, if any is queued.
    pub async fn next_job_due(&self) -> Result<Option<Timestamp>> {
        Ok(jobs::next_due(&mut self.store().read()).await?)
    }

    /// Runs a claimed job and records what became of it.
    pub async fn run_job(&self, job: &Job) -> Result<JobOutcome> {
        let connection = connections::get(&mut self.store().read(), job.account_id, job.connection_id).await?;
        let Some(connection) = connection else {
            jobs::finish(&mut self.store().write(), job.id).await?;
            return Ok(JobOutcome::Failed("the connection is gone".into()));
        };
        let result = match job.kind.as_str() {
            SEND => self.send_job(&connection, job).await?,
            FETCH_MEDIA => self.fetch_media_job(&connection, job).await?,
            MARK_READ => self.mark_read_job(&connection, job).await?,
            other => Step::Fail(format!("unknown job kind `{other}`")),
        };
        self.settle(job, &connection, result).await
    }

    /// Records a job's step: done (the job goes), a retry (with backoff and jitter) or a
    /// final failure (recorded on the message).
    async fn settle(&self, job: &Job, connection: &Connection, step: Step) -> Result<JobOutcome> {
        match step {
            Step::Done => {
                jobs::finish(&mut self.store().write(), job.id).await?;
                Ok(JobOutcome::Done)
            }
            Step::Graph(e, payload) => {
                let max = self.settings().job_max_attempts;
                if e.retryable() && job.attempts < i64::from(max) {
                    // Exponential from `job_retry_base`, capped at ten minutes.
                    let at = crate::retry_at(
                        self.settings().job_retry_base,
                        job.attempts,
                        Duration::from_secs(600),
                        Timestamp::now(),
                    );
                    jobs::retry(&mut self.store().write(), job.id, at, &e.to_string(), payload.as_ref()).await?;
                    tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job will be retried");
                    return Ok(JobOutcome::Retry(at));
                }
                if e.is_auth() {
                    let mut c = connection.clone();
                    let detail = describe_graph_error(&e, whatsapp_credentials(connection).map_or("", |c| c.base_url));
                    self.set_connection_status(&mut c, ConnectionStatus::Error, Some(detail))
                        .await?;
                }
                self.fail_job(job, e.code(), e.text()).await
            }
            Step::Fail(reason) => self.fail_job(job, "not_sendable".into(), reason).await,
        }
    }

    async fn fail_job(&self, job: &Job, code: String, text: String) -> Result<JobOutcome> {
        let mut tx = self.store().begin().await?;
        if let Some(mut m) = messages::lock(&mut tx, job.account_id, MessageId(job.subject_id)).await? {
            let changed = match job.kind.as_str() {
                SEND if m.status.is_some_and(|s| s.may_become(DeliveryStatus::Failed)) => {
                    m.status = Some(DeliveryStatus::Failed);
                    true
                }
                FETCH_MEDIA => true,
                _ => false,
            };
            if changed {
                m.error_code = Some(if job.kind == FETCH_MEDIA {
                    "media_unavailable".into()
                } else {
                    code
                });
                m.error_text = Some(text.clone());
                m.updated_at = Timestamp::now();
                write_message_update(&mut tx, &m).await?;
            }
        }
        jobs::finish(&mut tx, job.id).await?;
        tx.commit().await?;
        tracing::warn!(job = %job.id, kind = %job.kind, subject = %job.subject_id, reason = %text, "job failed");
        Ok(JobOutcome::Failed(text))
    }

    async fn send_job(&self, connection: &Connection, job: &Job) -> Result<Step> {
        let account = job.account_id;
        let mut read = self.store().read();
        let Some(message) = messages::get(&mut read, account, MessageId(job.subject_id)).await? else {
            return Ok(Step::Done);
        };
        // Already past `queued`: a delivery report overtook the answer of an earlier try.
        if message.status != Some(DeliveryStatus::Queued) {
            return Ok(Step::Done);
        }
        if message.revoked_at.is_some() {
            return Ok(Step::Fail("revoked before it was sent".into()));
        }
        let Some(contact) = contacts::get(&mut read, account, message.contact_id).await? else {
            return Ok(Step::Fail("the contact is gone".into()));
        };
        let Some(to) = contact.phone.clone().or(contact.external_id.clone()) else {
            return Ok(Step::Fail("the contact has no WhatsApp number".into()));
        };
        let creds = match whatsapp_credentials(connection) {
            Ok(c) => c,
            Err(e) => return Ok(Step::Fail(e.to_string())),
        };
        let mut payload = job.payload.clone();
        let (mut media_id, mut file_name) = (None, None);
        if let Some(mid) = message.media_id {
            let Some(file) = media::get(&mut read, account, mid).await? else {
                return Ok(Step::Fail("the file is gone".into()));
            };
            file_name = file.file_name.clone();
            match payload["graph_media_id"].as_str() {
                Some(uploaded) => media_id = Some(uploaded.to_owned()),
                None => {
                    let bytes = self.read_media_file(&file).await?;
                    let name = file.file_name.clone().unwrap_or_else(|| "file".into());
                    self.inner.limiter.acquire(connection.id, send_rate(connection)).await;
                    match self
                        .inner
                        .graph
                        .upload_media(creds, bytes, &file.mime_type, &name)
                        .await
                    {
                        Ok(id) => {
                            payload["graph_media_id"] = Value::String(id.clone());
                            media_id = Some(id);
                        }
                        Err(e) => return Ok(Step::Graph(e, None)),
                    }
                }
            }
        }
        let context_id = match message.quoted_message_id {
            Some(q) => messages::get(&mut read, account, q).await?.and_then(|q| q.external_id),
            None => None,
        };
        let template = match (message.kind, message.payload.as_ref()) {
            (MessageType::Template, Some(p)) => match p["template_id"].as_str().and_then(|s| s.parse().ok()) {
                Some(id) => reusable::get_template(&mut read, account, balcao_core::TemplateId(id)).await?,
                None => None,
            },
            _ => None,
        };
        let body = outbound::build(outbound::Outgoing {
            message: &message,
            to: &to,
            media_id: media_id.as_deref(),
            file_name: file_name.as_deref(),
            context_id: context_id.as_deref(),
            template: template.as_ref().map(|t| (t.name.as_str(), t.language.as_str())),
        });
        let body = match body {
            Ok(b) => b,
            Err(reason) => return Ok(Step::Fail(reason)),
        };
        self.inner.limiter.acquire(connection.id, send_rate(connection)).await;
        match self.inner.graph.send(creds, &body).await {
            Ok(wamid) => {
                self.record_sent(&message, &wamid).await?;
                Ok(Step::Done)
            }
            Err(e) => Ok(Step::Graph(e, Some(payload).filter(|p| p != &job.payload))),
        }
    }

    /// The channel took the message: keep its id, and move it to `sent` unless a report
    /// already moved it further.
    async fn record_sent(&self, message: &Message, external_id: &str) -> Result<()> {
        let mut tx = self.store().begin().await?;
        let Some(mut m) = messages::lock(&mut tx, message.account_id, message.id).await? else {
            return Ok(());
        };
        m.external_id = Some(external_id.to_owned());
        if m.status
            .is_some_and(|s| s != DeliveryStatus::Sent && s.may_become(DeliveryStatus::Sent))
        {
            m.status = Some(DeliveryStatus::Sent);
        }
        m.updated_at = Timestamp::now();
        write_message_update(&mut tx, &m).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn read_media_file(&self, file: &Media) -> Result<Vec<u8>> {
        let path = self
            .inner
            .media
            .path_of(&file.sha256)
            .ok_or_else(|| ServiceError::Internal(format!("bad digest in media {}", file.id).into()))?;
        tokio::fs::read(&path)
            .await
            .map_err(|e| ServiceError::Internal(format!("cannot read media {}: {e}", file.id).into()))
    }

    async fn fetch_media_job(&self, connection: &Connection, job: &Job) -> Result<Step> {
        let account = job.account_id;
        let Some(message) = messages::get(&mut self.store().read(), account, MessageId(job.subject_id)).await? else {
            return Ok(Step::Done);
        };
        if message.media_id.is_some() {
            return Ok(Step::Done);
        }
        let remote: RemoteMedia = match serde_json::from_value(job.payload.clone()) {
            Ok(r) => r,
            Err(e) => return Ok(Step::Fail(format!("bad job payload: {e}"))),
        };
        let creds = match whatsapp_credentials(connection) {
            Ok(c) => c,
            Err(e) => return Ok(Step::Fail(e.to_string())),
        };
        let limit = balcao_core::media::max_size(message.kind).max(crate::MEDIA_MAX);
        let info = match self.inner.graph.media_info(creds, &remote.external_id).await {
            Ok(i) => i,
            Err(e) => return Ok(Step::Graph(e, None)),
        };
        let bytes = match self.inner.graph.download(creds, &info.url, limit).await {
            Ok(b) => b,
            Err(e) => return Ok(Step::Graph(e, None)),
        };
        let stored = self.inner.media.put(&bytes, limit).await?;
        if let Some(expected) = remote.sha256.as_deref().or(info.sha256.as_deref())
            && !digest_matches(expected, &stored.sha256)
        {
            tracing::warn!(message = %message.id, "media digest differs from the channel's");
        }
        let file = Media {
            id: MediaId::new(),
            account_id: account,
            sha256: stored.sha256,
            mime_type: remote.mime_type.clone(),
            size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            file_name: remote.file_name.clone(),
            created_at: Timestamp::now(),
        };
        let mut tx = self.store().begin().await?;
        if let Some(mut m) = messages::lock(&mut tx, account, message.id).await?
            && m.media_id.is_none()
        {
            media::insert(&mut tx, &file).await?;
            m.media_id = Some(file.id);
            m.updated_at = Timestamp::now();
            write_message_update(&mut tx, &m).await?;
        }
        tx.commit().await?;
        Ok(Step::Done)
    }

    async fn mark_read_job(&self, connection: &Connection, job: &Job) -> Result<Step> {
        let Some(m) = messages::get(&mut self.store().read(), job.account_id, MessageId(job.subject_id)).await? else {
            return Ok(Step::Done);
        };
        let (Some(wamid), Ok(creds)) = (m.external_id.as_deref(), whatsapp_credentials(connection)) else {
            return Ok(Step::Done);
        };
        match self.inner.graph.mark_read(creds, wamid).await {
            Ok(()) => Ok(Step::Done),
            Err(e) if e.retryable() => Ok(Step::Graph(e, None)),
            Err(e) => {
                tracing::info!(message = %m.id, error = %e, "read receipt refused");
                Ok(Step::Done)
            }
        }
    }
}

/// What one run of a job came to.
enum Step {
    Done,
    /// The channel refused or failed; with the payload to keep for the next try.
    Graph(GraphError, Option<Value>),
    /// Cannot ever succeed.
    Fail(String),
}

/// Whether a channel's SHA-256 (hex, or base64 as WhatsApp's notifications spell it) is the
/// digest `hex` of the file received.
fn digest_matches(expected: &str, hex: &str) -> bool {
    use base64::Engine;
    if expected.eq_ignore_ascii_case(hex) {
        return true;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    bytes.is_some_and(|b| base64::engine::general_purpose::STANDARD.encode(b) == expected.trim())
}

fn send_rate(c: &Connection) -> u32 {
    c.int_setting("max_messages_per_second")
        .and_then(|r| u32::try_from(r).ok())
        .filter(|r| *r > 0)
        .unwrap_or(balcao_core::connection::WHATSAPP_DEFAULT_RATE)
}

/// Meta's subscription handshake: the challenge to echo when `mode` is `subscribe` and `token`
/// is the connection's `verify_token` (compared in constant time); `None` otherwise.
pub fn whatsapp_subscription(
    connection: &Connection,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<String>,
) -> Option<String> {
    use subtle::ConstantTimeEq;
    let expected = connection.setting("verify_token")?;
    let given = token?;
    let same: bool = expected.as_bytes().ct_eq(given.as_bytes()).into();
    (mode == Some("subscribe") && same).then_some(challenge).flatten()
}

/// Parses a WhatsApp notification for a connection after checking its signature: the face's
/// one call for a webhook. `Ok(None)` when the signature is wrong.
pub fn whatsapp_notification(
    connection: &Connection,
    body: &[u8],
    signature: Option<&str>,
) -> std::result::Result<Option<InboundBatch>, whatsapp::webhook::ParseError> {
    let Some(secret) = connection.setting("app_secret") else {
        return Ok(None);
    };
    if !whatsapp::signature::verify(secret, body, signature) {
        return Ok(None);
    }
    let number = connection.setting("phone_number_id").unwrap_or_default();
    whatsapp::webhook::parse(body, number).map(Some)
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_match_in_hex_or_base64() {
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(super::digest_matches(hex, hex));
        assert!(super::digest_matches(&hex.to_uppercase(), hex));
        assert!(super::digest_matches(
            "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
            hex
        ));
        assert!(!super::digest_matches("AAAA", hex));
    }
}
