//! A local simulator of Meta's WhatsApp Cloud API.
//!
//! See the crate documentation for an overview. [`WhatsappSim::start`] binds the configured address and serves the
//! Graph API routes (`/{version}/{phone-number-id}/messages`, `/{version}/{phone-number-id}/media`,
//! `/{version}/{id}`), the media download URLs it hands out, and the control API under `/_sim`.

mod chatter;
mod control;
mod customer;
mod errors;
mod graph;
mod media;
mod png;
mod send;
mod templates;
mod validate;
mod webhooks;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use base64::Engine as _;
use rand::Rng as _;
use serde::Serialize;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub use customer::Customer;
pub use templates::WabaTemplate;

/// How the simulator is set up. Every field has a sensible default (see [`SimConfig::default`]).
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// Graph API version used in [`WhatsappSim::base_url`]; any `v<digits>.<digits>` is accepted on requests.
    pub version: String,
    /// The business phone number id (the `{phone-number-id}` of the send and upload routes).
    pub phone_number_id: String,
    /// The WhatsApp Business Account id (the `entry[].id` of notifications).
    pub waba_id: String,
    /// The business phone number as displayed.
    pub display_phone_number: String,
    /// The business's verified name.
    pub verified_name: String,
    /// The only access token the Graph API accepts.
    pub access_token: String,
    /// The app secret notifications are signed with (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// Where notifications are delivered; can be set later with [`WhatsappSim::set_webhook_url`].
    pub webhook_url: Option<String>,
    /// Pause between an accepted send and each of its status notifications.
    pub status_delay: Duration,
    /// Whether customers read what they get (a `read` status follows `delivered`).
    pub customers_read: bool,
    /// The order statuses are delivered in.
    pub status_order: StatusOrder,
    /// Deliver every notification twice, as Meta sometimes does.
    pub duplicate_deliveries: bool,
    /// Total tries for a notification not answered with HTTP 200.
    pub redelivery_attempts: u32,
    /// Delay before the first redelivery; it doubles on every further try.
    pub redelivery_base_delay: Duration,
    /// Enforce the 24-hour customer service window (error 131047 for free-form messages outside it).
    pub enforce_window: bool,
    /// The templates the WhatsApp Business Account starts with, approved.
    pub templates: Vec<SimTemplate>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            version: "v24.0".to_owned(),
            phone_number_id: "100000000000001".to_owned(),
            waba_id: "200000000000002".to_owned(),
            display_phone_number: "+55 11 4000-0000".to_owned(),
            verified_name: "Balcão Demo".to_owned(),
            access_token: "sim-access-token".to_owned(),
            app_secret: "sim-app-secret".to_owned(),
            webhook_url: None,
            status_delay: Duration::from_millis(20),
            customers_read: true,
            status_order: StatusOrder::InOrder,
            duplicate_deliveries: false,
            redelivery_attempts: 5,
            redelivery_base_delay: Duration::from_millis(100),
            enforce_window: true,
            templates: vec![
                SimTemplate {
                    name: "hello_world".to_owned(),
                    language: "en_US".to_owned(),
                    body_params: 0,
                },
                SimTemplate {
                    name: "order_update".to_owned(),
                    language: "pt_BR".to_owned(),
                    body_params: 2,
                },
            ],
        }
    }
}

/// A template the simulated account starts with, approved: a name in one language, with a number of body
/// parameters.
#[derive(Clone, Debug)]
pub struct SimTemplate {
    pub name: String,
    pub language: String,
    pub body_params: usize,
}

/// The order in which the statuses of an accepted send are delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusOrder {
    /// `sent`, `delivered`, `read`.
    #[default]
    InOrder,
    /// `read`, `delivered`, `sent`.
    Reversed,
    /// `sent`, `read` (no `delivered`).
    SkipDelivered,
}

/// A fault to answer the next call to `/messages` with (see [`WhatsappSim::inject`]).
#[derive(Clone, Debug)]
pub enum Fault {
    /// A Graph error with Meta's body for `code` (HTTP status chosen as Meta does).
    Error { code: i64 },
    /// The call is accepted (a wamid is answered) but a later `failed` status with `code` is delivered.
    FailAfterAccept { code: i64 },
    /// HTTP `status` (500, 502, 503) with a non-Graph plain-text body.
    ServerError { status: u16 },
    /// The response is held for `delay` before answering normally.
    Delay { delay: Duration },
}

/// A send the simulator accepted.
#[derive(Clone, Debug, Serialize)]
pub struct SentMessage {
    pub wamid: String,
    /// The recipient's digits.
    pub to: String,
    /// The message `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request JSON as received.
    pub body: serde_json::Value,
    pub biz_opaque_callback_data: Option<String>,
}

/// One Graph API call and the HTTP status it was answered with.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// One webhook POST attempt.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// The notification body.
    pub body: serde_json::Value,
    /// The `X-Hub-Signature-256` header sent.
    pub signature: String,
    /// The HTTP status answered, `None` when the connection failed.
    pub status: Option<u16>,
}

/// A stored media file.
#[derive(Clone)]
pub(crate) struct Media {
    pub bytes: Bytes,
    pub mime_type: String,
    pub sha256_hex: String,
}

#[derive(Default)]
pub(crate) struct CustomerState {
    pub name: Option<String>,
    pub last_message_at: Option<SystemTime>,
    /// Current conversation id and when it expires.
    pub conversation: Option<(String, SystemTime)>,
}

/// Everything that changes while the simulator runs.
pub(crate) struct State {
    pub webhook_url: Option<String>,
    pub app_secret: String,
    pub customers_read: bool,
    pub status_order: StatusOrder,
    pub duplicate_deliveries: bool,
    pub faults: VecDeque<Fault>,
    pub sent: Vec<SentMessage>,
    pub marked_read: Vec<String>,
    pub requests: Vec<RecordedRequest>,
    pub deliveries: Vec<Delivery>,
    pub media: HashMap<String, Media>,
    pub customers: HashMap<String, CustomerState>,
    /// Messages customers wrote: wamid → the customer's wa_id.
    pub customer_wamids: HashMap<String, String>,
    pub sent_wamids: HashSet<String>,
    /// The WhatsApp Business Account's templates.
    pub templates: Vec<WabaTemplate>,
    pub next_template_id: u64,
}

pub(crate) struct Inner {
    pub config: SimConfig,
    pub addr: SocketAddr,
    /// `http://host:port`, no trailing slash.
    pub origin: String,
    pub state: Mutex<State>,
    pub changed: watch::Sender<()>,
    pub http: reqwest::Client,
    pub closed: AtomicBool,
    pub next_media_id: AtomicU64,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<JoinHandle<()>>>,
}

/// A running WhatsApp Cloud API simulator. Cheap to clone; all clones share the same server and state.
#[derive(Clone)]
pub struct WhatsappSim {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for WhatsappSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsappSim")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

impl WhatsappSim {
    /// Binds `config.listen` and spawns the server. `config().listen` then holds the bound address.
    pub async fn start(mut config: SimConfig) -> anyhow::Result<WhatsappSim> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        config.listen = addr;
        let host = if addr.ip().is_unspecified() {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        } else {
            addr
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent("facebookexternalua")
            .build()
            .context("building the webhook client")?;
        let mut state = State {
            webhook_url: config.webhook_url.clone(),
            app_secret: config.app_secret.clone(),
            customers_read: config.customers_read,
            status_order: config.status_order,
            duplicate_deliveries: config.duplicate_deliveries,
            faults: VecDeque::new(),
            sent: Vec::new(),
            marked_read: Vec::new(),
            requests: Vec::new(),
            deliveries: Vec::new(),
            media: HashMap::new(),
            customers: HashMap::new(),
            customer_wamids: HashMap::new(),
            sent_wamids: HashSet::new(),
            templates: Vec::new(),
            next_template_id: 300_000_000_000_000,
        };
        for t in &config.templates {
            state.next_template_id += 1;
            let id = state.next_template_id.to_string();
            state.templates.push(WabaTemplate::approved(id, t));
        }
        let media_base = 1_000_000_000_000_000 + rand::thread_rng().gen_range(0..100_000_000_000_000u64);
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let sim = WhatsappSim {
            inner: Arc::new(Inner {
                config,
                addr,
                origin: format!("http://{host}"),
                state: Mutex::new(state),
                changed: watch::Sender::new(()),
                http,
                closed: AtomicBool::new(false),
                next_media_id: AtomicU64::new(media_base),
                shutdown: Mutex::new(Some(shutdown_tx)),
                server: Mutex::new(None),
            }),
        };
        let app = graph::router(sim.clone());
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = shutdown_rx.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "whatsapp simulator server stopped");
            }
        });
        *lock(&sim.inner.server) = Some(server);
        tracing::info!(base_url = %sim.base_url(), "whatsapp simulator listening");
        Ok(sim)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `http://127.0.0.1:<port>/v24.0`: what a client uses as its Graph API base.
    pub fn base_url(&self) -> String {
        format!("{}/{}", self.inner.origin, self.inner.config.version)
    }

    /// The configuration as started (the mutable settings may have changed since; see their getters).
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    pub fn set_webhook_url(&self, url: impl Into<String>) {
        let url = url.into();
        self.update(|s| s.webhook_url = Some(url));
    }

    pub fn webhook_url(&self) -> Option<String> {
        self.state().webhook_url.clone()
    }

    /// Changes the secret notifications are signed with (e.g. to test a signature mismatch).
    pub fn set_app_secret(&self, secret: impl Into<String>) {
        let secret = secret.into();
        self.update(|s| s.app_secret = secret);
    }

    pub fn set_customers_read(&self, yes: bool) {
        self.update(|s| s.customers_read = yes);
    }

    pub fn set_status_order(&self, order: StatusOrder) {
        self.update(|s| s.status_order = order);
    }

    pub fn set_duplicate_deliveries(&self, yes: bool) {
        self.update(|s| s.duplicate_deliveries = yes);
    }

    /// Sets (or, with `None`, forgets) when a customer last wrote, e.g. to put them outside the 24-hour window.
    pub fn set_last_customer_message(&self, wa_id: &str, at: Option<SystemTime>) {
        let wa_id = digits_of(wa_id);
        self.update(|s| s.customers.entry(wa_id).or_default().last_message_at = at);
    }

    /// A simulated customer who can write to the business.
    pub fn customer(&self, wa_id: &str, name: &str) -> Customer {
        let wa_id = digits_of(wa_id);
        self.update(|s| s.customers.entry(wa_id.clone()).or_default().name = Some(name.to_owned()));
        Customer::new(self.clone(), wa_id, name.to_owned())
    }

    /// Queues a fault for the next Graph calls to `/messages` (sends and mark-read); faults are consumed in order,
    /// one per call.
    pub fn inject(&self, fault: Fault) {
        self.update(|s| s.faults.push_back(fault));
    }

    /// Every accepted send (not mark-read), in order.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.state().sent.clone()
    }

    /// The wamids the business marked as read, in order.
    pub fn marked_read(&self) -> Vec<String> {
        self.state().marked_read.clone()
    }

    /// Every Graph call, with the HTTP status it was answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// Every webhook POST attempt, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }

    /// Waits until at least `n` sends were accepted and returns them all.
    pub async fn wait_for_sent(&self, n: usize, timeout: Duration) -> anyhow::Result<Vec<SentMessage>> {
        self.wait_until(timeout, || {
            let sent = self.sent();
            (sent.len() >= n).then_some(sent)
        })
        .await
        .with_context(|| format!("waiting for {n} sent messages (have {})", self.state().sent.len()))
    }

    /// Waits until `pred` holds for the deliveries so far and returns them.
    pub async fn wait_for_deliveries(
        &self,
        pred: impl Fn(&[Delivery]) -> bool,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Delivery>> {
        self.wait_until(timeout, || {
            let deliveries = self.deliveries();
            pred(&deliveries).then_some(deliveries)
        })
        .await
        .with_context(|| format!("waiting for deliveries (have {})", self.state().deliveries.len()))
    }

    /// Stores a file as media the business can fetch (as a customer's attachment); returns the media id.
    pub fn add_media(&self, bytes: Vec<u8>, mime_type: &str) -> String {
        let id = self.inner.next_media_id.fetch_add(1, Ordering::Relaxed).to_string();
        let media = Media {
            sha256_hex: hex(&sha256(&bytes)),
            bytes: Bytes::from(bytes),
            mime_type: mime_type.to_owned(),
        };
        self.update(|s| s.media.insert(id.clone(), media));
        id
    }

    /// Stops serving. Background deliveries still in flight are abandoned.
    pub async fn shutdown(self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        if let Some(tx) = lock(&self.inner.shutdown).take() {
            let _ = tx.send(());
        }
        let server = lock(&self.inner.server).take();
        if let Some(mut server) = server
            && tokio::time::timeout(Duration::from_secs(2), &mut server).await.is_err()
        {
            server.abort();
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    /// Changes the state and wakes up the waiters.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let result = f(&mut self.state());
        self.inner.changed.send_replace(());
        result
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    async fn wait_until<T>(&self, timeout: Duration, check: impl Fn() -> Option<T>) -> anyhow::Result<T> {
        let mut changed = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changed.borrow_and_update();
            if let Some(found) = check() {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => bail!("the simulator is gone"),
                Err(_) => bail!("timed out after {timeout:?}"),
            }
        }
    }

    /// The business phone number, digits only (as in notification metadata and contexts).
    pub(crate) fn display_digits(&self) -> String {
        digits_of(&self.inner.config.display_phone_number)
    }

    /// Records that a customer wrote (opens the 24-hour window) and remembers the message id.
    pub(crate) fn note_customer_message(&self, wa_id: &str, name: &str, wamid: &str) {
        self.update(|s| {
            let customer = s.customers.entry(wa_id.to_owned()).or_default();
            customer.name = Some(name.to_owned());
            customer.last_message_at = Some(SystemTime::now());
            s.customer_wamids.insert(wamid.to_owned(), wa_id.to_owned());
        });
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A fresh, unique message id shaped like Meta's: `wamid.` + base64 of a small binary record holding the
/// recipient's number and a unique hex id.
pub(crate) fn new_wamid(wa_id: &str) -> String {
    let digits = digits_of(wa_id);
    let unique = uuid::Uuid::now_v7().simple().to_string().to_uppercase();
    let mut raw = vec![0x1c, 0x18, u8::try_from(digits.len()).unwrap_or(u8::MAX)];
    raw.extend_from_slice(digits.as_bytes());
    raw.extend_from_slice(&[
        0x15,
        0x02,
        0x00,
        0x11,
        0x18,
        u8::try_from(unique.len()).unwrap_or(u8::MAX),
    ]);
    raw.extend_from_slice(unique.as_bytes());
    raw.push(0x00);
    format!("wamid.{}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// Unix seconds now, as the string Meta puts in `timestamp` fields.
pub(crate) fn timestamp_now() -> String {
    unix_secs(SystemTime::now()).to_string()
}

pub(crate) fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A random alphanumeric string (fbtrace ids, hashes).
pub(crate) fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub(crate) fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

pub(crate) fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
