//! Balcão's service layer: the one place where business rules run.
//!
//! Every face (native API, vendor-compatible APIs, web app, CLI) is a thin translator onto
//! these functions. Each takes the caller's [`Principal`] (or, for authentication, the
//! credentials), checks what the caller may do, opens the transaction when it writes, and
//! answers domain records or a [`ServiceError`].

mod accounts;
mod auth;
mod channels;
mod connections;
mod contacts;
mod custom_fields;
mod departments;
mod directory;
mod error;
mod faces;
mod group;
mod ingest;
mod media;
mod messages;
mod passwords;
mod ratelimit;
mod realtime;
mod reusable;
mod tags;
mod template_review;
mod tickets;
mod tokens;
mod users;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

pub use accounts::{Bootstrap, BootstrapCreated, NewAccount};
pub use auth::{AuthError, Credential, Principal, TokenPair};
pub use balcao_store::group_members::GroupMember;
pub use balcao_store::jobs::Job;
pub use balcao_store::outbox::StoredEvent;
pub use balcao_store::{ArchivedFilter, Store};
pub use channels::{
    FETCH_MEDIA, IngestReport, JobOutcome, MARK_READ, SEND, whatsapp_notification, whatsapp_subscription,
};
pub use connections::{ConnectionPatch, NewConnection};
pub use contacts::{ContactFilter, ContactInput, ContactPatch, MemberInput};
pub use custom_fields::{CustomFieldPatch, NewCustomField};
pub use departments::{DepartmentPatch, NewDepartment};
pub use directory::DirectoryInput;
pub use error::ServiceError;
pub use faces::{ContactRelations, NowSummary, Statistics, StatsQuery};
pub use ingest::InboundCounts;
pub use media::MEDIA_MAX;
pub use messages::{FileInput, MessageHits, NewMessage, StatusReport, TimelineOf};
pub use realtime::{HUB_POLL, HubCursor, LiveEvent, OpenedStream, Viewer};
pub use reusable::{NewInteractive, NewTemplate, QuickReplyInput};
pub use tags::{NewTag, TagPatch};
pub use template_review::TemplatePatch;
pub use tickets::{TicketChange, TicketFilter, TicketIncludes, TicketRelated};
pub use tokens::{CreatedToken, NewToken, TokenScope};
pub use users::{NewUser, UserPatch};
pub use webhooks::{EventFormat, WebhookInput, signature as webhook_signature};

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Settings the service layer needs (a slice of the server's configuration).
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// Lifetime of an access token.
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_token_ttl: Duration,
    /// Failed logins allowed per account (or unknown login) and client address in a window.
    pub login_max_failures: u32,
    /// The window of `login_max_failures`.
    pub login_failure_window: Duration,
    /// Folder of the content-addressed media store.
    pub media_root: std::path::PathBuf,
    /// How long a call to a channel's API may take.
    pub channel_timeout: Duration,
    /// Delay before the first retry of a failed job; it doubles with each try.
    pub job_retry_base: Duration,
    /// Tries of a job before it fails for good.
    pub job_max_attempts: u32,
    /// How long a webhook receiver may take to answer.
    pub webhook_timeout: Duration,
    /// Delay before the first retry of a failed delivery; it doubles with each try.
    pub webhook_retry_base: Duration,
    /// How long a delivery is retried before it is given up (dead-lettered).
    pub webhook_max_age: Duration,
    /// A subscription failing this long without a success is disabled.
    pub webhook_disable_after: Duration,
    /// Networks webhook targets may not be in.
    pub webhook_deny_networks: Vec<balcao_core::net::IpNet>,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(24 * 3600),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            login_max_failures: 10,
            login_failure_window: Duration::from_secs(15 * 60),
            media_root: std::path::PathBuf::from("data/media"),
            channel_timeout: Duration::from_secs(20),
            job_retry_base: Duration::from_secs(2),
            job_max_attempts: 10,
            webhook_timeout: Duration::from_secs(10),
            webhook_retry_base: Duration::from_secs(10),
            webhook_max_age: Duration::from_secs(24 * 3600),
            webhook_disable_after: Duration::from_secs(3 * 24 * 3600),
            webhook_deny_networks: default_deny_networks(),
        }
    }
}

/// Networks webhook targets may not be in unless configured otherwise: link-local, where
/// cloud providers serve instance metadata (IPv4 and IPv6).
pub fn default_deny_networks() -> Vec<balcao_core::net::IpNet> {
    ["169.254.0.0/16", "fe80::/10"]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The service layer; cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: ServiceSettings,
    hasher: passwords::Hasher,
    login_limiter: ratelimit::FailureLimiter,
    media: balcao_store::media::MediaFiles,
    graph: balcao_channels::whatsapp::GraphClient,
    limiter: channels::SendLimiter,
    jobs_queued: tokio::sync::Notify,
    webhook_sender: webhooks::Sender,
    deliveries_due: tokio::sync::Notify,
    hub: realtime::Hub,
    ingest: ingest::IngestQueue,
    delivered: group::GroupQueue<webhooks::Delivered, Result<()>>,
    webhook_connections: channels::ConnectionCache,
    stream_key: std::sync::OnceLock<Vec<u8>>,
    formats: std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<dyn webhooks::EventFormat>>>,
}

impl Service {
    /// The service over `store`. Fails only when the HTTP client for channels cannot be built
    /// (no TLS roots).
    pub fn new(store: Store, settings: ServiceSettings) -> Result<Self> {
        let login_limiter = ratelimit::FailureLimiter::new(settings.login_max_failures, settings.login_failure_window);
        let media = balcao_store::media::MediaFiles::new(settings.media_root.clone());
        let graph = balcao_channels::whatsapp::GraphClient::new(settings.channel_timeout)
            .map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        let webhook_sender = webhooks::Sender::new(settings.webhook_timeout, settings.webhook_deny_networks.clone())
            .map_err(|e| ServiceError::Internal(e.into()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                settings,
                hasher: passwords::Hasher::new(),
                login_limiter,
                media,
                graph,
                limiter: channels::SendLimiter::default(),
                jobs_queued: tokio::sync::Notify::new(),
                webhook_sender,
                deliveries_due: tokio::sync::Notify::new(),
                hub: realtime::Hub::new(),
                ingest: ingest::IngestQueue::default(),
                delivered: group::GroupQueue::default(),
                webhook_connections: channels::ConnectionCache::default(),
                stream_key: std::sync::OnceLock::new(),
                formats: std::sync::RwLock::new(std::collections::HashMap::new()),
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    fn settings(&self) -> &ServiceSettings {
        &self.inner.settings
    }

    /// Whether the database answers.
    pub async fn ready(&self) -> Result<()> {
        self.store().ping().await?;
        Ok(())
    }
}

/// When the next try of something that failed `attempts` times comes: `base` doubled per try
/// after the first, capped at `cap`, with ±25 % jitter so retries of many things spread out.
pub(crate) fn retry_at(
    base: Duration,
    attempts: i64,
    cap: Duration,
    now: balcao_core::Timestamp,
) -> balcao_core::Timestamp {
    use rand::Rng;
    let exp = 2f64.powi(i32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0));
    let delay = (base.as_micros() as f64 * exp).min(cap.as_micros() as f64) * rand::thread_rng().gen_range(0.75..1.25);
    balcao_core::Timestamp::from_micros(now.micros() + delay as i64)
}

/// Keyset paging of lists: up to `limit` items after the id `after`, or past `cursor` (the
/// `next_cursor` of the previous page, for any sort).
#[derive(Clone, Debug, Default)]
pub struct ListParams {
    pub after: Option<uuid::Uuid>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 100;

impl ListParams {
    fn page(self) -> Result<balcao_store::PageRequest> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            let mut v = balcao_core::Validator::new();
            v.add(
                "limit",
                "out_of_range",
                format!("`limit` must be between 1 and {MAX_PAGE_SIZE}"),
            );
            return Err(ServiceError::Validation(v.finish().err().unwrap_or_default()));
        }
        let cursor = match self.cursor.as_deref() {
            None => None,
            Some(token) => Some(balcao_store::Cursor::decode(token).ok_or_else(|| {
                ServiceError::invalid("cursor", "invalid", "`cursor` is not a cursor this server gave")
            })?),
        };
        Ok(balcao_store::PageRequest {
            after: self.after,
            cursor,
            limit,
        })
    }
}

pub use balcao_store::Page;

/// The distinct values of `items`, sorted (ids to read in one query).
pub(crate) fn distinct<T: Ord + Copy>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// An event about `subject`, carrying its current state.
pub(crate) fn event(
    account: balcao_core::AccountId,
    name: &'static str,
    subject_type: &'static str,
    subject_id: uuid::Uuid,
    data: &impl serde::Serialize,
) -> balcao_core::Event {
    let data = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    balcao_core::Event::new(account, name, subject_type, subject_id, data)
}

/// A sort named by a face, among `names`.
pub(crate) fn parse_sort<T: Copy + Default>(raw: Option<&str>, names: &[(&str, T)], params: &ListParams) -> Result<T> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(T::default());
    };
    let sort = names.iter().find(|(n, _)| *n == raw).map(|(_, s)| *s).ok_or_else(|| {
        let known: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        ServiceError::invalid("sort", "invalid", format!("`sort` is one of {}", known.join(", ")))
    })?;
    if params.after.is_some() && raw != names[0].0 {
        return Err(ServiceError::invalid(
            "after",
            "not_allowed",
            "with a sort, page with `cursor`",
        ));
    }
    Ok(sort)
}

impl ListParams {
    /// Validates the page against a maximum size.
    fn page_max(self, max: u32) -> Result<balcao_store::PageRequest> {
        if self.limit.is_some_and(|l| l > max) {
            return Err(ServiceError::invalid(
                "limit",
                "out_of_range",
                format!("`limit` must be between 1 and {max}"),
            ));
        }
        self.page()
    }
}
