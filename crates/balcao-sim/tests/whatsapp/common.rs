//! Helpers: a fast simulator, a webhook receiver that checks signatures, and a Graph API client.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use balcao_sim::{SimConfig, WhatsappSim};
use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

pub const TOKEN: &str = "sim-access-token";
pub const SECRET: &str = "sim-app-secret";
pub const WAIT: Duration = Duration::from_secs(5);

/// A config with short delays, so tests run fast.
pub fn fast_config() -> SimConfig {
    SimConfig {
        status_delay: Duration::from_millis(5),
        redelivery_base_delay: Duration::from_millis(10),
        ..SimConfig::default()
    }
}

pub async fn sim() -> WhatsappSim {
    WhatsappSim::start(fast_config()).await.expect("start the simulator")
}

/// A simulator delivering to a fresh receiver.
pub async fn sim_with_receiver() -> (WhatsappSim, Receiver) {
    let sim = sim().await;
    let receiver = Receiver::start(SECRET).await;
    sim.set_webhook_url(receiver.url.clone());
    (sim, receiver)
}

/// One webhook POST the receiver got.
#[derive(Clone, Debug)]
pub struct Hit {
    pub body: Value,
    pub signature: Option<String>,
    pub content_type: Option<String>,
    pub signature_valid: bool,
    pub answered: u16,
}

#[derive(Default)]
struct ReceiverState {
    hits: Vec<Hit>,
    answers: VecDeque<u16>,
}

#[derive(Clone)]
struct ReceiverShared {
    secret: String,
    state: Arc<Mutex<ReceiverState>>,
}

/// A webhook endpoint that records every POST, verifies `X-Hub-Signature-256` (answering 401 when it does not
/// match) and otherwise answers 200 or the next queued status.
pub struct Receiver {
    pub url: String,
    shared: ReceiverShared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

async fn receive(State(shared): State<ReceiverShared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let expected = format!("sha256={}", hmac_hex(&shared.secret, &body));
    let signature_valid = signature.as_deref() == Some(expected.as_str());
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut state = shared.state.lock().expect("receiver lock");
    let answered = match state.answers.pop_front() {
        Some(status) => status,
        None if signature_valid => 200,
        None => 401,
    };
    state.hits.push(Hit {
        body: parsed,
        signature,
        content_type,
        signature_valid,
        answered,
    });
    StatusCode::from_u16(answered).expect("status")
}

impl Receiver {
    pub async fn start(secret: &str) -> Receiver {
        let shared = ReceiverShared {
            secret: secret.to_owned(),
            state: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/webhook", axum::routing::post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}/webhook", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver serve");
        });
        Receiver { url, shared, server }
    }

    /// The next POSTs are answered with these statuses, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.shared
            .state
            .lock()
            .expect("receiver lock")
            .answers
            .extend(statuses);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.state.lock().expect("receiver lock").hits.clone()
    }

    /// Waits until `pred` holds for the hits so far.
    pub async fn wait(&self, what: &str, pred: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let hits = self.hits();
            if pred(&hits) {
                return hits;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("timed out waiting for {what}; got {hits:#?}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits for `n` status notifications about `wamid` and answers their statuses in arrival order.
    pub async fn wait_statuses(&self, wamid: &str, n: usize) -> Vec<Value> {
        let hits = self
            .wait(&format!("{n} statuses of {wamid}"), |hits| {
                statuses_of(hits, wamid).len() >= n
            })
            .await;
        statuses_of(&hits, wamid)
    }
}

/// The status objects about `wamid`, in arrival order.
pub fn statuses_of(hits: &[Hit], wamid: &str) -> Vec<Value> {
    hits.iter()
        .flat_map(|hit| value_list(&hit.body, "statuses"))
        .filter(|status| status["id"] == wamid)
        .collect()
}

/// The customer message objects delivered, in arrival order.
pub fn messages_of(hits: &[Hit]) -> Vec<Value> {
    hits.iter().flat_map(|hit| value_list(&hit.body, "messages")).collect()
}

fn value_list(body: &Value, key: &str) -> Vec<Value> {
    body["entry"][0]["changes"][0]["value"][key]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The `status` fields of status objects.
pub fn status_names(statuses: &[Value]) -> Vec<String> {
    statuses
        .iter()
        .map(|s| s["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Answers HTTP status and body (JSON, or a JSON string for other bodies).
pub async fn call(method: reqwest::Method, url: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// `POST {base}/{phone-number-id}/messages` with the right token.
pub async fn send(sim: &WhatsappSim, body: Value) -> (u16, Value) {
    let url = format!("{}/{}/messages", sim.base_url(), sim.config().phone_number_id);
    call(reqwest::Method::POST, &url, Some(TOKEN), Some(&body)).await
}

pub fn text_to(to: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
           "text": {"preview_url": false, "body": body}})
}

/// Asserts a Graph error answer with HTTP `status` and `code`; answers the error object.
#[track_caller]
pub fn assert_graph_error(answer: &(u16, Value), status: u16, code: i64) -> Value {
    assert_eq!(answer.0, status, "HTTP status of {}", answer.1);
    let error = &answer.1["error"];
    assert_eq!(error["code"], code, "code in {}", answer.1);
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {}",
        answer.1
    );
    assert!(error["type"].is_string(), "type in {}", answer.1);
    assert!(
        error["fbtrace_id"].as_str().is_some_and(|t| !t.is_empty()),
        "fbtrace_id in {}",
        answer.1
    );
    error.clone()
}

/// A customer who wrote in (so the 24-hour window is open).
pub async fn engaged_customer(sim: &WhatsappSim, wa_id: &str) -> (balcao_sim::Customer, String) {
    let customer = sim.customer(wa_id, "Maria Souza");
    let wamid = customer.send_text("Oi!").await.expect("customer writes");
    (customer, wamid)
}
