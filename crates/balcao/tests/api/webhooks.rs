//! Webhooks out: subscriptions, signed deliveries, retries, the delivery log, dead letters,
//! disabling, safety, and two instances sharing one database.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
    pub json: Value,
}

#[derive(Default)]
struct ReceiverState {
    got: Vec<Received>,
    /// Answers to give, in order (then 200).
    plan: VecDeque<(u16, Duration)>,
}

/// A webhook receiver on 127.0.0.1:0 that records every request and answers as planned.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The next answers: `(status, delay)` each.
    pub fn plan(&self, answers: &[(u16, Duration)]) {
        self.state.lock().expect("lock").plan.extend(answers.iter().copied());
    }

    pub fn got(&self) -> Vec<Received> {
        self.state.lock().expect("lock").got.clone()
    }

    /// Waits until `done` holds for what was received.
    pub async fn wait(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.got();
            if done(&got) {
                return got;
            }
            assert!(Instant::now() < deadline, "never received {what}: {got:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(State(state): State<Arc<Mutex<ReceiverState>>>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let body = String::from_utf8_lossy(&body).into_owned();
    let answer = {
        let mut s = state.lock().expect("lock");
        s.got.push(Received {
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            json: balcao_testkit::serde_json::from_str(&body).unwrap_or(Value::Null),
            body,
        });
        s.plan.pop_front()
    };
    let (status, delay) = answer.unwrap_or((200, Duration::ZERO));
    tokio::time::sleep(delay).await;
    AxumStatus::from_u16(status).unwrap_or(AxumStatus::OK)
}

/// Checks a delivery's signature the way a receiver would.
pub fn verify(secret: &str, r: &Received) -> bool {
    let ts: i64 = r.headers["x-balcao-timestamp"].parse().expect("timestamp");
    r.headers["x-balcao-signature"] == balcao_service::webhook_signature(secret, ts, &r.body)
}

async fn subscribe(app: &TestApp, admin: &str, url: &str, events: Value) -> (String, String) {
    let r = app
        .post(
            "/api/v1/webhooks",
            admin,
            json!({"name": "CRM", "url": url, "events": events,
                                               "headers": {"X-Api-Key": "crm-key"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (r.str("id").to_owned(), r.str("secret").to_owned())
}

async fn contact(app: &TestApp, admin: &str, connection: &str, name: &str) -> String {
    let r = app
        .post(
            "/api/v1/contacts",
            admin,
            json!({"name": name, "connection_id": connection}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.str("id").to_owned()
}

#[tokio::test]
async fn subscriptions_show_their_secret_once_and_refuse_bad_targets() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, secret) = subscribe(
        &app,
        &admin,
        "https://crm.example.com/hooks",
        json!(["contact.created"]),
    )
    .await;
    assert!(secret.starts_with("whsec_") && secret.len() > 30);
    let fetched = app.get(&format!("/api/v1/webhooks/{id}"), &admin).await;
    assert!(fetched.body.get("secret").is_none(), "{}", fetched.body);
    assert_eq!(fetched.body["events"], json!(["contact.created"]));
    assert_eq!(fetched.body["headers"]["X-Api-Key"], "crm-key");
    let listed = app.get("/api/v1/webhooks", &admin).await;
    assert!(!listed.body.to_string().contains(&secret));
    let rotated = app
        .post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &admin, json!({}))
        .await;
    assert!(rotated.str("secret").starts_with("whsec_") && rotated.str("secret") != secret);

    for (body, field) in [
        (json!({"url": "ftp://crm.example.com/x", "events": ["*"]}), "url"),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "not a url", "events": ["*"]}), "url"),
        (
            json!({"url": "https://crm.example.com", "events": ["contact.exploded"]}),
            "events",
        ),
        (json!({"url": "https://crm.example.com", "events": []}), "events"),
        (
            json!({"url": "https://crm.example.com", "events": ["*"], "headers": {"X-Balcao-Event": "x"}}),
            "headers.X-Balcao-Event",
        ),
        (json!({"events": ["*"]}), "url"),
    ] {
        let r = app.post("/api/v1/webhooks", &admin, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.body);
    }
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    app.get("/api/v1/webhooks", &agent)
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/api/v1/webhooks/{id}"), &admin).await;
    app.get(&format!("/api/v1/webhooks/{id}"), &admin)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn events_are_delivered_signed_with_a_stable_delivery_id() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let connection = app.connection(&admin, "Site").await;
    let (webhook, secret) = subscribe(&app, &admin, &receiver.url(), json!(["contact.created"])).await;
    let ana = contact(&app, &admin, &connection, "Ana").await;
    app.post("/api/v1/tags", &admin, json!({"label": "VIP"})).await;
    let got = receiver.wait("contact.created", |g| !g.is_empty()).await;
    let r = &got[0];
    assert_eq!(r.headers["x-balcao-event"], "contact.created");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["x-api-key"], "crm-key");
    assert!(r.headers["user-agent"].starts_with("balcao-webhooks/"));
    assert!(verify(&secret, r), "the signature verifies with the secret");
    assert!(!verify("whsec_other", r));
    assert_eq!(r.json["event"], "contact.created");
    assert_eq!(r.json["data"]["id"], ana.as_str());
    assert_eq!(r.json["data"]["name"], "Ana");
    assert!(r.json["id"].is_string() && r.json["account_id"].is_string() && r.json["created_at"].is_string());

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 1, "tag.created was not subscribed to");
    let log = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), &admin).await;
    let d = &log.body["data"][0];
    assert_eq!(d["id"], r.headers["x-balcao-delivery"].as_str());
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempt_log"][0]["status_code"], 200);
    assert_eq!(d["body"]["data"]["name"], "Ana");

    let pong = app
        .post(&format!("/api/v1/webhooks/{webhook}/ping"), &admin, json!({}))
        .await;
    assert_eq!(pong.status, StatusCode::OK, "{}", pong.body);
    assert_eq!(pong.body["status"], "delivered");
    assert_eq!(pong.body["attempt_log"][0]["status_code"], 200);
    assert_eq!(
        receiver.got().last().map(|r| r.json["event"].clone()),
        Some(json!("webhook.ping"))
    );
}

/// Whether some outbox event waits for the dispatcher.
async fn waiting(app: &TestApp) -> bool {
    balcao_store::outbox::has_undispatched(&mut app.service().store().read())
        .await
        .expect("outbox read")
}

#[tokio::test]
async fn events_nobody_subscribes_to_never_wait_for_the_dispatcher() {
    // Without workers, nothing but the insert itself can mark an event dispatched.
    let app = TestApp::spawn_with(|s| s.workers = false).await;
    let admin = app.admin_token().await;
    let connection = app.connection(&admin, "Site").await;
    contact(&app, &admin, &connection, "Ana").await;
    assert!(!waiting(&app).await, "no subscription: the event is born dispatched");

    let receiver = Receiver::start().await;
    let (webhook, _) = subscribe(&app, &admin, &receiver.url(), json!(["contact.created"])).await;
    contact(&app, &admin, &connection, "Bia").await;
    assert!(
        waiting(&app).await,
        "an active subscription: the event waits for the dispatcher"
    );
    let dispatched = app.service().dispatch_events(500).await.expect("dispatch");
    assert!(dispatched >= 1, "{dispatched}");
    assert!(!waiting(&app).await);
    let log = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), &admin).await;
    assert_eq!(log.body["data"].as_array().map(Vec::len), Some(1), "{}", log.body);
    assert_eq!(log.body["data"][0]["body"]["data"]["name"], "Bia");

    let r = app
        .patch(&format!("/api/v1/webhooks/{webhook}"), &admin, json!({"active": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    contact(&app, &admin, &connection, "Caio").await;
    assert!(!waiting(&app).await, "an inactive subscription receives nothing");
}

#[tokio::test]
async fn deliveries_answered_together_are_each_recorded_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let connection = app.connection(&admin, "Site").await;
    let (webhook, _) = subscribe(&app, &admin, &receiver.url(), json!(["contact.created"])).await;
    // Created at once, delivered at once: their outcomes are recorded in shared transactions.
    let mut creations = tokio::task::JoinSet::new();
    for i in 0..60 {
        let request = app
            .client
            .post(app.url("/api/v1/contacts"))
            .bearer_auth(&admin)
            .json(&json!({"name": format!("Cliente {i}"), "connection_id": connection}));
        creations.spawn(async move { request.send().await.expect("sent").status() });
    }
    assert!(creations.join_all().await.iter().all(|s| *s == StatusCode::CREATED));
    let got = receiver.wait("60 deliveries", |g| g.len() >= 60).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let log = loop {
        let log = app
            .get(&format!("/api/v1/webhooks/{webhook}/deliveries?limit=100"), &admin)
            .await;
        let rows = log.body["data"].as_array().cloned().unwrap_or_default();
        if rows.len() == 60 && rows.iter().all(|d| d["status"] == "delivered") {
            break rows;
        }
        assert!(Instant::now() < deadline, "{}", log.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let received: std::collections::HashSet<&str> =
        got.iter().map(|r| r.headers["x-balcao-delivery"].as_str()).collect();
    assert_eq!(received.len(), 60);
    for d in &log {
        assert!(received.contains(d["id"].as_str().expect("id")), "{d}");
        assert_eq!(d["attempts"], 1, "{d}");
        assert_eq!(d["attempt_log"].as_array().map(Vec::len), Some(1), "{d}");
        assert_eq!(d["attempt_log"][0]["status_code"], 200, "{d}");
        assert!(d["delivered_at"].is_string(), "{d}");
    }
    let hook = app.get(&format!("/api/v1/webhooks/{webhook}"), &admin).await;
    assert!(hook.body["last_success_at"].is_string(), "{}", hook.body);
    assert!(hook.body["failing_since"].is_null(), "{}", hook.body);
}

#[tokio::test]
async fn failures_are_retried_with_the_same_delivery_id_and_logged() {
    let app = TestApp::spawn_with(|s| s.webhook_timeout_secs = 1).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    receiver.plan(&[
        (500, Duration::ZERO),
        (302, Duration::ZERO),
        (200, Duration::from_millis(1500)),
        (503, Duration::ZERO),
    ]);
    let connection = app.connection(&admin, "Site").await;
    let (webhook, _) = subscribe(&app, &admin, &receiver.url(), json!(["*"])).await;
    contact(&app, &admin, &connection, "Bia").await;
    let got = receiver.wait("five tries", |g| g.len() >= 5).await;
    let ids: Vec<&str> = got.iter().map(|r| r.headers["x-balcao-delivery"].as_str()).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one delivery id across tries: {ids:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let delivery = loop {
        let log = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), &admin).await;
        let d = log.body["data"][0].clone();
        if d["status"] == "delivered" {
            break d;
        }
        assert!(Instant::now() < deadline, "{d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let codes: Vec<Value> = delivery["attempt_log"]
        .as_array()
        .expect("log")
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(
        codes,
        [json!(500), json!(302), Value::Null, json!(503), json!(200)],
        "{delivery}"
    );
    assert_eq!(delivery["attempt_log"][2]["error"], "timed out");
    assert_eq!(delivery["attempts"], 5);
    let hook = app.get(&format!("/api/v1/webhooks/{webhook}"), &admin).await;
    assert!(hook.body["failing_since"].is_null() && hook.body["last_success_at"].is_string());
}

#[tokio::test]
async fn a_delivery_failing_past_its_retry_period_is_dead_and_the_subscription_disabled() {
    let app = TestApp::spawn_with(|s| {
        s.webhook_max_age_secs = 1;
        s.webhook_disable_after_secs = 1;
    })
    .await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    receiver.plan(&[(500, Duration::ZERO); 200]);
    let connection = app.connection(&admin, "Site").await;
    let (webhook, _) = subscribe(&app, &admin, &receiver.url(), json!(["contact.created"])).await;
    contact(&app, &admin, &connection, "Caio").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let dead = loop {
        let log = app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), &admin).await;
        let d = log.body["data"][0].clone();
        if d["status"] == "dead" {
            break d;
        }
        assert!(Instant::now() < deadline, "{d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(dead["attempts"].as_i64().unwrap_or_default() >= 2);
    let hook = app.get(&format!("/api/v1/webhooks/{webhook}"), &admin).await;
    assert_eq!(hook.body["active"], false);
    assert!(
        hook.body["disabled_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("failed")
    );
    let events = app.events(&admin, Some(&webhook)).await;
    assert_eq!(events.iter().filter(|e| e.name == "webhook.disabled").count(), 1);

    // Fixed on the receiver's side: enable again and redeliver by hand, same delivery id.
    receiver.state.lock().expect("lock").plan.clear();
    let enabled = app
        .patch(&format!("/api/v1/webhooks/{webhook}"), &admin, json!({"active": true}))
        .await;
    assert_eq!(enabled.body["active"], true);
    assert!(enabled.body["disabled_reason"].is_null());
    let id = dead["id"].as_str().expect("id");
    let again = app
        .post(
            &format!("/api/v1/webhooks/{webhook}/deliveries/{id}/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    receiver
        .wait("the redelivery", |g| {
            g.last()
                .is_some_and(|r| r.headers["x-balcao-delivery"] == id && g.len() > 2)
        })
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = app
            .get(&format!("/api/v1/webhooks/{webhook}/deliveries/{id}"), &admin)
            .await;
        if d.body["status"] == "delivered" {
            break;
        }
        assert!(Instant::now() < deadline, "{}", d.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn denied_networks_are_refused_even_behind_a_name() {
    let app = TestApp::spawn_with(|s| s.webhook_deny_networks = vec!["127.0.0.0/8".into(), "::1/128".into()]).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let refused = app
        .post(
            "/api/v1/webhooks",
            &admin,
            json!({"url": receiver.url(), "events": ["*"]}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    // A name that resolves into a denied network passes the check but is refused at connection.
    let by_name = format!("http://localhost:{}/hook", receiver.addr.port());
    let (webhook, _) = subscribe(&app, &admin, &by_name, json!(["*"])).await;
    let ping = app
        .post(&format!("/api/v1/webhooks/{webhook}/ping"), &admin, json!({}))
        .await;
    assert_eq!(ping.body["status"], "dead");
    let error = ping.body["attempt_log"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("denied"), "{error}");
    assert!(receiver.got().is_empty(), "nothing reached the receiver");
}

#[tokio::test]
async fn two_instances_sharing_a_database_deliver_each_event_once() {
    let a = TestApp::spawn().await;
    let b = a.spawn_sibling().await;
    let admin = a.admin_token().await;
    let receiver = Receiver::start().await;
    let connection = a.connection(&admin, "Site").await;
    subscribe(&a, &admin, &receiver.url(), json!(["contact.created"])).await;
    let admin_b = b.admin_token().await;
    for i in 0..40 {
        let (app, token) = if i % 2 == 0 { (&a, &admin) } else { (&b, &admin_b) };
        contact(app, token, &connection, &format!("Cliente {i}")).await;
    }
    receiver.wait("40 events", |g| g.len() >= 40).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for r in &got {
        *per_event
            .entry(r.json["id"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_event.len(), 40);
    assert!(per_event.values().all(|n| *n == 1), "{per_event:?}");
}
