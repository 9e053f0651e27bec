//! Webhooks out: subscriptions, the fan-out of outbox events into deliveries, and the
//! deliveries themselves — signed, retried with backoff until they succeed or their retry
//! period ends, logged try by try.
//!
//! Every delivery is at least once: an event is marked dispatched in the same transaction that
//! inserts its deliveries, and a delivery leaves the queue only once a try is recorded. A
//! receiver drops repeats by `X-Balcao-Delivery`, stable across tries.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use balcao_core::net::IpNet;
use balcao_core::webhook::DeliveryStatus;
use balcao_core::{
    AccountId, Delivery, DeliveryAttempt, DeliveryId, DepartmentId, EventId, TicketId, Timestamp, UserId, Validator,
    Webhook, WebhookId,
};
use balcao_store::{outbox, tickets, webhooks};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::group::{GroupQueue, Grouped, Pending};
use crate::{ListParams, Page, Principal, Result, Service, ServiceError, event};

/// A subscription as a face creates or changes it.
#[derive(Clone, Debug, Default)]
pub struct WebhookInput {
    pub name: Option<String>,
    pub url: Option<String>,
    /// Event names, or `*`.
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    pub headers: Option<BTreeMap<String, String>>,
    /// `balcao` (default) or a registered vendor format (`digisac`); set at creation.
    pub format: Option<String>,
}

/// A vendor face's delivery body: how an event looks to that vendor's receivers. Faces
/// register theirs ([`Service::register_event_format`]); the dispatcher calls it.
pub trait EventFormat: Send + Sync {
    /// The body delivered for `event`, or `None` when the vendor has no such event. `ticket`
    /// is the department and agent of the ticket the event is about, when it is about one.
    fn body(
        &self,
        event: &outbox::StoredEvent,
        ticket: Option<(Option<DepartmentId>, Option<UserId>)>,
    ) -> Option<String>;
}

/// Headers a subscription may not set: Balcão's own and those of the transport.
const RESERVED_HEADERS: [&str; 8] = [
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "user-agent",
    "x-balcao-",
    "authorization-balcao",
];

fn new_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// `X-Balcao-Signature` of a try: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut out = String::from("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Refuses targets in the denied networks at connection time, whatever the name resolves
/// to then (so a name cannot be re-pointed between the check and the request).
struct GuardedResolver {
    deny: Arc<[IpNet]>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let deny = self.deny.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| !deny.iter().any(|n| n.contains(a.ip())))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to denied networks").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP side of deliveries.
pub(crate) struct Sender {
    http: reqwest::Client,
    deny: Arc<[IpNet]>,
    response_limit: usize,
}

impl Sender {
    pub(crate) fn new(timeout: Duration, deny: Vec<IpNet>) -> std::result::Result<Sender, String> {
        let deny: Arc<[IpNet]> = deny.into();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver { deny: deny.clone() }))
            .user_agent(concat!("balcao-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Sender {
            http,
            deny,
            response_limit: 2048,
        })
    }

    /// Why `url` may not be a target, if it may not.
    fn refusal(&self, url: &str) -> Option<String> {
        let parsed = match reqwest::Url::parse(url) {
            Ok(u) => u,
            Err(_) => return Some("not a valid URL".into()),
        };
        if !matches!(parsed.scheme(), "http" | "https") {
            return Some("only http and https URLs are allowed".into());
        }
        let ip = match parsed.host() {
            None => return Some("the URL has no host".into()),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return None,
        };
        self.deny
            .iter()
            .find(|n| n.contains(ip))
            .map(|n| format!("{ip} is in a denied network ({n})"))
    }

    /// One try: the answer's status and the start of its body, or why none came.
    async fn post(&self, w: &Webhook, d: &Delivery) -> DeliveryAttempt {
        let at = Timestamp::now();
        let started = Instant::now();
        let attempt = |status_code, error: Option<String>, response| DeliveryAttempt {
            at,
            status_code,
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            error,
            response,
        };
        if let Some(refused) = self.refusal(&w.url) {
            return attempt(None, Some(refused), None);
        }
        let timestamp = at.micros() / 1_000_000;
        let mut request = self
            .http
            .post(&w.url)
            .header("content-type", "application/json")
            .header("x-balcao-event", &d.event)
            .header("x-balcao-delivery", d.id.0.to_string())
            .header("x-balcao-timestamp", timestamp.to_string())
            .header("x-balcao-signature", signature(&w.secret, timestamp, &d.body));
        for (name, value) in &w.headers {
            request = request.header(name, value);
        }
        match request.body(d.body.clone()).send().await {
            Ok(mut response) => {
                let status = i64::from(response.status().as_u16());
                let mut body = Vec::new();
                while body.len() < self.response_limit {
                    match response.chunk().await {
                        Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                body.truncate(self.response_limit);
                let text = String::from_utf8_lossy(&body).into_owned();
                attempt(Some(status), None, Some(text).filter(|t| !t.is_empty()))
            }
            Err(e) => {
                let why = if e.is_timeout() {
                    "timed out".to_owned()
                } else if e.is_connect() {
                    format!("connection failed: {}", root_cause(&e))
                } else {
                    root_cause(&e)
                };
                attempt(None, Some(why), None)
            }
        }
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The body of an event's delivery, and what realtime streams send as an event's data.
pub(crate) fn body_of(e: &outbox::StoredEvent) -> String {
    json!({
        "id": e.id,
        "event": e.name,
        "created_at": e.created_at,
        "account_id": e.account_id,
        "data": e.data,
    })
    .to_string()
}

impl Service {
    fn check_webhook(&self, v: &mut Validator, w: &mut Webhook, input: WebhookInput) {
        if let Some(name) = input.name.as_deref().and_then(|n| v.name("name", n)) {
            w.name = name;
        }
        if let Some(url) = input.url {
            let url = url.trim().to_owned();
            if let Some(why) = self.inner.webhook_sender.refusal(&url) {
                v.add("url", "invalid", format!("`url` is refused: {why}"));
            }
            w.url = url;
        }
        if let Some(events) = input.events {
            let mut list: Vec<String> = events.iter().map(|e| e.trim().to_owned()).collect();
            list.sort();
            list.dedup();
            if list.is_empty() {
                v.add("events", "required", "name at least one event, or `*` for all");
            }
            for e in &list {
                if e != "*" && !balcao_core::event::EVENT_NAMES.contains(&e.as_str()) {
                    v.add("events", "unknown_event", format!("`{e}` is not an event Balcão emits"));
                }
            }
            w.events = list;
        }
        if let Some(active) = input.active {
            if active && !w.active {
                w.disabled_reason = None;
                w.failing_since = None;
            }
            w.active = active;
        }
        if let Some(headers) = input.headers {
            for (name, value) in &headers {
                let lower = name.to_ascii_lowercase();
                let valid_name = !name.is_empty() && reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok();
                if !valid_name || reqwest::header::HeaderValue::from_str(value).is_err() {
                    v.add(format!("headers.{name}"), "invalid", "not a valid HTTP header");
                } else if RESERVED_HEADERS
                    .iter()
                    .any(|r| lower == *r || (r.ends_with('-') && lower.starts_with(r)))
                {
                    v.add(
                        format!("headers.{name}"),
                        "reserved",
                        format!("`{name}` is set by Balcão"),
                    );
                }
            }
            if headers.len() > 20 {
                v.add("headers", "too_many", "at most 20 extra headers");
            }
            w.headers = headers;
        }
    }

    /// Creates a subscription (admins); answers it with its secret, shown this once.
    pub async fn create_webhook(&self, who: &Principal, input: WebhookInput) -> Result<(Webhook, String)> {
        who.require_admin("manage webhooks")?;
        let mut v = Validator::new();
        v.required("url", input.url.as_deref());
        v.required("events", input.events.as_ref());
        let format = input.format.clone().unwrap_or_else(|| "balcao".into());
        if format != "balcao"
            && !self
                .inner
                .formats
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(&format)
        {
            v.add("format", "invalid", format!("`{format}` is not a delivery format"));
        }
        let now = Timestamp::now();
        let secret = new_secret();
        let mut w = Webhook {
            id: WebhookId::new(),
            account_id: who.account_id,
            name: "webhook".into(),
            url: String::new(),
            events: Vec::new(),
            headers: BTreeMap::new(),
            secret: secret.clone(),
            active: true,
            disabled_reason: None,
            failing_since: None,
            last_success_at: None,
            format,
            created_at: now,
            updated_at: now,
        };
        self.check_webhook(&mut v, &mut w, input);
        v.finish()?;
        webhooks::insert(&mut self.store().write(), &w).await?;
        Ok((w, secret))
    }

    pub async fn get_webhook(&self, who: &Principal, id: WebhookId) -> Result<Webhook> {
        who.require_admin("manage webhooks")?;
        webhooks::get(&mut self.store().read(), who.account_id, id)
            .await?
            .ok_or(ServiceError::NotFound("webhook"))
    }

    pub async fn list_webhooks(&self, who: &Principal, params: ListParams) -> Result<Page<Webhook>> {
        who.require_admin("manage webhooks")?;
        Ok(webhooks::list(&mut self.store().read(), who.account_id, params.page()?).await?)
    }

    pub async fn update_webhook(&self, who: &Principal, id: WebhookId, input: WebhookInput) -> Result<Webhook> {
        let mut w = self.get_webhook(who, id).await?;
        let mut v = Validator::new();
        self.check_webhook(&mut v, &mut w, input);
        v.finish()?;
        w.updated_at = Timestamp::now();
        webhooks::update(&mut self.store().write(), &w).await?;
        if w.active {
            self.wake_deliveries();
        }
        Ok(w)
    }

    /// Replaces the secret (admins); answers the new one, shown this once.
    pub async fn rotate_webhook_secret(&self, who: &Principal, id: WebhookId) -> Result<(Webhook, String)> {
        let mut w = self.get_webhook(who, id).await?;
        w.secret = new_secret();
        w.updated_at = Timestamp::now();
        webhooks::update(&mut self.store().write(), &w).await?;
        let secret = w.secret.clone();
        Ok((w, secret))
    }

    pub async fn delete_webhook(&self, who: &Principal, id: WebhookId) -> Result<()> {
        who.require_admin("manage webhooks")?;
        if webhooks::delete(&mut self.store().write(), who.account_id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("webhook"))
        }
    }

    /// A subscription's deliveries, newest first, each with its tries.
    pub async fn webhook_deliveries(
        &self,
        who: &Principal,
        id: WebhookId,
        params: ListParams,
    ) -> Result<Page<Delivery>> {
        self.get_webhook(who, id).await?;
        Ok(webhooks::list_deliveries(&mut self.store().read(), who.account_id, id, params.page()?).await?)
    }

    pub async fn get_delivery(&self, who: &Principal, webhook: WebhookId, id: DeliveryId) -> Result<Delivery> {
        who.require_admin("manage webhooks")?;
        webhooks::get_delivery(&mut self.store().read(), who.account_id, id)
            .await?
            .filter(|d| d.webhook_id == webhook)
            .ok_or(ServiceError::NotFound("delivery"))
    }

    /// Sends a delivery again (admins): due now, with a fresh retry period, the same id.
    pub async fn redeliver(&self, who: &Principal, webhook: WebhookId, id: DeliveryId) -> Result<Delivery> {
        self.get_delivery(who, webhook, id).await?;
        let now = Timestamp::now();
        let expires = now.plus(self.settings().webhook_max_age);
        webhooks::redeliver(&mut self.store().write(), id, now, expires).await?;
        self.wake_deliveries();
        self.get_delivery(who, webhook, id).await
    }

    /// Sends a `webhook.ping` to the subscription at once and answers the delivery with its
    /// try (whatever the receiver answered). A failed ping is not retried.
    pub async fn ping_webhook(&self, who: &Principal, id: WebhookId) -> Result<Delivery> {
        let w = self.get_webhook(who, id).await?;
        let now = Timestamp::now();
        let event = EventId::new();
        let mut d = Delivery {
            id: DeliveryId::new(),
            account_id: w.account_id,
            webhook_id: w.id,
            event_id: event,
            event: "webhook.ping".into(),
            body: json!({"id": event, "event": "webhook.ping", "created_at": now, "account_id": w.account_id,
                         "data": {"webhook_id": w.id}})
            .to_string(),
            status: DeliveryStatus::Pending,
            attempts: 1,
            next_attempt_at: Some(now),
            expires_at: now,
            delivered_at: None,
            created_at: now,
            attempt_log: Vec::new(),
        };
        let attempt = self.inner.webhook_sender.post(&w, &d).await;
        let ok = attempt.status_code.is_some_and(|s| (200..300).contains(&s));
        d.status = if ok {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Dead
        };
        d.next_attempt_at = None;
        d.delivered_at = ok.then_some(attempt.at);
        let mut tx = self.store().begin().await?;
        webhooks::insert_deliveries(&mut tx, std::slice::from_ref(&d)).await?;
        webhooks::insert_attempts(&mut tx, &[(d.account_id, d.id, &attempt)]).await?;
        tx.commit().await?;
        d.attempt_log.push(attempt);
        Ok(d)
    }

    /// Makes `name` a delivery format subscriptions may choose.
    pub fn register_event_format(&self, name: &str, format: std::sync::Arc<dyn EventFormat>) {
        self.inner
            .formats
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), format);
    }

    /// Wakes the delivery runner: deliveries became due.
    pub(crate) fn wake_deliveries(&self) {
        self.inner.deliveries_due.notify_one();
    }

    /// Resolves when deliveries became due since the last call.
    pub async fn deliveries_due(&self) {
        self.inner.deliveries_due.notified().await;
    }

    /// Turns up to `limit` undispatched outbox events into deliveries for the subscriptions
    /// that want them (made before the event), in one transaction; answers how many events it
    /// dispatched. Several instances may run it at once (PostgreSQL skips claimed rows).
    pub async fn dispatch_events(&self, limit: u32) -> Result<usize> {
        if !outbox::has_undispatched(&mut self.store().read()).await? {
            return Ok(0);
        }
        let now = Timestamp::now();
        let mut tx = self.store().begin().await?;
        let claimed = outbox::claim_undispatched(&mut tx, now, limit).await?;
        let accounts: Vec<AccountId> = crate::distinct(claimed.iter().map(|e| e.account_id));
        let subscriptions = webhooks::active_of(&mut tx, &accounts).await?;
        let mut by_account: HashMap<AccountId, Vec<&Webhook>> = HashMap::new();
        for w in &subscriptions {
            by_account.entry(w.account_id).or_default().push(w);
        }
        let takers = |account: &AccountId| by_account.get(account).map(Vec::as_slice).unwrap_or_default();
        // Only the events some subscription takes are read whole.
        let taken: Vec<EventId> = claimed
            .iter()
            .filter(|e| takers(&e.account_id).iter().any(|w| w.takes(&e.name, e.created_at)))
            .map(|e| e.id)
            .collect();
        let events = outbox::get_many(&mut tx, &taken).await?;
        // Vendor bodies name the ticket's department and agent: read in one query.
        let vendor_formats = subscriptions.iter().any(|w| w.format != "balcao");
        let ticket_ids: Vec<TicketId> = if vendor_formats {
            events.iter().filter_map(crate::realtime::ticket_of).collect()
        } else {
            Vec::new()
        };
        let routing = tickets::routing(&mut tx, None, &ticket_ids).await?;
        let expires = now.plus(self.settings().webhook_max_age);
        let mut deliveries = Vec::new();
        {
            let formats = self.inner.formats.read().unwrap_or_else(|p| p.into_inner());
            for e in &events {
                // Each format renders the event once, however many subscriptions take it.
                let mut bodies: HashMap<&str, Option<String>> = HashMap::new();
                for w in takers(&e.account_id).iter().filter(|w| w.takes(&e.name, e.created_at)) {
                    let body = bodies
                        .entry(w.format.as_str())
                        .or_insert_with(|| match w.format.as_str() {
                            "balcao" => Some(body_of(e)),
                            other => formats.get(other).and_then(|f| {
                                let ticket = crate::realtime::ticket_of(e).and_then(|t| routing.get(&t).copied());
                                f.body(e, ticket)
                            }),
                        });
                    // The vendor has no such event.
                    let Some(body) = body.clone() else { continue };
                    deliveries.push(Delivery {
                        id: DeliveryId::new(),
                        account_id: e.account_id,
                        webhook_id: w.id,
                        event_id: e.id,
                        event: e.name.clone(),
                        body,
                        status: DeliveryStatus::Pending,
                        attempts: 0,
                        next_attempt_at: Some(now),
                        expires_at: expires,
                        delivered_at: None,
                        created_at: now,
                        attempt_log: Vec::new(),
                    });
                }
            }
        }
        webhooks::insert_deliveries(&mut tx, &deliveries).await?;
        tx.commit().await?;
        if !deliveries.is_empty() {
            self.wake_deliveries();
        }
        Ok(claimed.len())
    }

    /// Claims due deliveries with their subscriptions (for the delivery runner). The lease
    /// outlasts one try (the receiver's timeout, and a margin), so a delivery in flight when
    /// its process died comes due again soon after.
    pub async fn claim_deliveries(&self, limit: u32) -> Result<Vec<(Delivery, Webhook)>> {
        let lease = self.settings().webhook_timeout + Duration::from_secs(5);
        let now = Timestamp::now();
        let claimed = webhooks::claim_deliveries(&mut self.store().write(), now, now.plus(lease), limit).await?;
        let ids: Vec<WebhookId> = crate::distinct(claimed.iter().map(|d| d.webhook_id));
        let subscriptions = webhooks::by_ids(&mut self.store().read(), &ids).await?;
        Ok(claimed
            .into_iter()
            .filter_map(|d| subscriptions.get(&d.webhook_id).cloned().map(|w| (d, w)))
            .collect())
    }

    /// Tries a claimed delivery once and records the try: delivered on 2xx; otherwise due
    /// again after a backoff, or dead past its retry period. A subscription failing for longer
    /// than `webhook_disable_after` is disabled, with a `webhook.disabled` event.
    pub async fn run_delivery(&self, d: &Delivery, w: &Webhook) -> Result<DeliveryStatus> {
        let attempt = self.inner.webhook_sender.post(w, d).await;
        if attempt.status_code.is_some_and(|s| (200..300).contains(&s)) {
            let delivered = Delivered {
                account: d.account_id,
                delivery: d.id,
                webhook: w.id,
                attempt,
            };
            self.grouped::<RecordDelivered>(delivered)
                .await
                .unwrap_or_else(|| Err(ServiceError::Internal("the delivery was not recorded".into())))?;
            return Ok(DeliveryStatus::Delivered);
        }
        let now = Timestamp::now();
        let mut tx = self.store().begin().await?;
        webhooks::insert_attempts(&mut tx, &[(d.account_id, d.id, &attempt)]).await?;
        // Exponential from `webhook_retry_base`, capped at an hour.
        let next = crate::retry_at(
            self.settings().webhook_retry_base,
            d.attempts,
            Duration::from_secs(3600),
            now,
        );
        let status = if next > d.expires_at {
            DeliveryStatus::Dead
        } else {
            DeliveryStatus::Pending
        };
        webhooks::set_delivery_state(&mut tx, d.id, status, next, None).await?;
        webhooks::record_failure(&mut tx, w.id, now).await?;
        let since = Timestamp::from_micros(
            now.micros() - i64::try_from(self.settings().webhook_disable_after.as_micros()).unwrap_or(i64::MAX),
        );
        let reason = format!(
            "deliveries failed for more than {} s without a success",
            self.settings().webhook_disable_after.as_secs()
        );
        if webhooks::disable_if_failing(&mut tx, w.id, since, &reason, now).await? {
            let mut disabled = w.clone();
            disabled.active = false;
            disabled.disabled_reason = Some(reason);
            outbox::append(
                &mut tx,
                &[event(w.account_id, "webhook.disabled", "webhook", w.id.0, &disabled)],
            )
            .await?;
            tracing::warn!(webhook = %w.id, url = %w.url, "webhook disabled after failing too long");
        }
        tx.commit().await?;
        Ok(status)
    }

    /// Records deliveries answered 2xx, with their tries, in one transaction.
    async fn record_delivered(&self, items: &[&Delivered]) -> Result<()> {
        let now = Timestamp::now();
        let attempts: Vec<_> = items.iter().map(|d| (d.account, d.delivery, &d.attempt)).collect();
        let ids: Vec<DeliveryId> = items.iter().map(|d| d.delivery).collect();
        let hooks: Vec<WebhookId> = crate::distinct(items.iter().map(|d| d.webhook));
        let mut tx = self.store().begin().await?;
        webhooks::insert_attempts(&mut tx, &attempts).await?;
        webhooks::set_delivered(&mut tx, &ids, now).await?;
        webhooks::record_success(&mut tx, &hooks, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A delivery answered 2xx, waiting to be recorded with others.
pub(crate) struct Delivered {
    account: AccountId,
    delivery: DeliveryId,
    webhook: WebhookId,
    attempt: DeliveryAttempt,
}

/// Successful deliveries are recorded in groups (`crate::group`): at thousands a second, a
/// transaction each would make the database's commit rate the delivery rate. Failures stay
/// one transaction each (backoff, disabling), being few.
pub(crate) struct RecordDelivered;

impl Grouped for RecordDelivered {
    type Item = Delivered;
    type Answer = Result<()>;
    const LIMIT: usize = 256;

    fn queue(service: &Service) -> &GroupQueue<Delivered, Result<()>> {
        &service.inner.delivered
    }

    fn weight(_: &Delivered) -> usize {
        1
    }

    async fn commit(service: &Service, group: Vec<Pending<Delivered, Result<()>>>) {
        let items: Vec<&Delivered> = group.iter().map(|p| &p.item).collect();
        if service.record_delivered(&items).await.is_ok() {
            for p in group {
                let _ = p.reply.send(Ok(()));
            }
            return;
        }
        // One bad row should not fail the rest: each on its own.
        for p in group {
            let result = service.record_delivered(&[&p.item]).await;
            let _ = p.reply.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_cover_the_timestamp_and_the_body() {
        let a = super::signature("whsec_x", 1_700_000_000, r#"{"a":1}"#);
        assert!(a.starts_with("sha256=") && a.len() == 71);
        assert_ne!(a, super::signature("whsec_x", 1_700_000_001, r#"{"a":1}"#));
        assert_ne!(a, super::signature("whsec_y", 1_700_000_000, r#"{"a":1}"#));
        assert_ne!(a, super::signature("whsec_x", 1_700_000_000, r#"{"a":2}"#));
    }
}
