//! The realtime stream: who sees what, resuming, stream tickets, heartbeats, and an event
//! crossing from one instance to another.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use balcao_sim::{SimConfig, WhatsappSim};
use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

/// One frame of a stream.
#[derive(Clone, Debug, Default)]
struct Frame {
    id: String,
    event: String,
    data: Value,
    comment: Option<String>,
}

/// A stream being read in the background.
struct Stream {
    frames: Arc<Mutex<Vec<Frame>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Stream {
    async fn open(app: &TestApp, path: &str, token: Option<&str>, last_event_id: Option<&str>) -> Stream {
        let mut req = app.client.get(app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let mut response = req.send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/event-stream")
        );
        let frames = Arc::new(Mutex::new(Vec::new()));
        let sink = frames.clone();
        let task = tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let mut frame = Frame::default();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("id:") {
                            frame.id = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("event:") {
                            frame.event = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("data:") {
                            frame.data = balcao_testkit::serde_json::from_str(v.trim()).unwrap_or(Value::Null);
                        } else if let Some(v) = line.strip_prefix(':') {
                            frame.comment = Some(v.trim().to_owned());
                        }
                    }
                    sink.lock().expect("lock").push(frame);
                }
            }
        });
        Stream { frames, task }
    }

    fn events(&self) -> Vec<Frame> {
        self.frames
            .lock()
            .expect("lock")
            .iter()
            .filter(|f| !f.event.is_empty())
            .cloned()
            .collect()
    }

    async fn wait(&self, what: &str, done: impl Fn(&[Frame]) -> bool) -> Vec<Frame> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let frames = self.frames.lock().expect("lock").clone();
            if done(&frames) {
                return frames;
            }
            assert!(Instant::now() < deadline, "never got {what}: {frames:#?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn has(frames: &[Frame], event: &str, pred: impl Fn(&Value) -> bool) -> bool {
    frames.iter().any(|f| f.event == event && pred(&f.data["data"]))
}

#[tokio::test]
async fn admins_see_every_event_and_agents_those_of_their_departments() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let dept = |name: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.post("/api/v1/departments", admin, json!({"name": name}))
                .await
                .str("id")
                .to_owned()
        }
    };
    let (vendas, suporte) = (dept("Vendas").await, dept("Suporte").await);
    let agent_id = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"name": "Ana", "email": "ana@example.com", "password": "password-1", "department_ids": [vendas]}),
        )
        .await
        .str("id")
        .to_owned();
    let agent = app.token_for("ana@example.com", "password-1").await;
    let connection = |name: &'static str, department: String| {
        let (app, admin) = (&app, &admin);
        async move {
            app.post(
                "/api/v1/connections",
                admin,
                json!({"type": "webchat", "name": name, "default_department_id": department}),
            )
            .await
            .str("id")
            .to_owned()
        }
    };
    let (site_vendas, site_suporte) = (
        connection("Vendas", vendas.clone()).await,
        connection("Suporte", suporte).await,
    );
    let admin_stream = Stream::open(&app, "/api/v1/events/stream", Some(&admin), None).await;
    let agent_stream = Stream::open(&app, "/api/v1/events/stream", Some(&agent), None).await;

    let contact = |connection: String, name: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.post(
                "/api/v1/contacts",
                admin,
                json!({"name": name, "connection_id": connection}),
            )
            .await
            .str("id")
            .to_owned()
        }
    };
    let bia = contact(site_vendas, "Bia").await;
    let caio = contact(site_suporte, "Caio").await;
    for (c, text) in [(&bia, "para vendas"), (&caio, "para suporte")] {
        let r = app
            .post("/api/v1/messages", &admin, json!({"contact_id": c, "text": text}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let all = admin_stream
        .wait("both tickets", |f| {
            has(f, "message.created", |d| d["text"] == "para vendas")
                && has(f, "message.created", |d| d["text"] == "para suporte")
        })
        .await;
    assert!(has(&all, "contact.created", |d| d["name"] == "Caio"));
    let mine = agent_stream
        .wait("the Vendas ticket", |f| {
            has(f, "message.created", |d| d["text"] == "para vendas")
        })
        .await;
    assert!(has(&mine, "ticket.opened", |d| d["department_id"] == vendas.as_str()));
    assert!(
        has(&mine, "contact.created", |d| d["name"] == "Caio"),
        "contacts are everyone's"
    );
    // Give the other ticket's events time to arrive, if they were going to.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mine = agent_stream.events();
    assert!(
        !has(&mine, "message.created", |d| d["text"] == "para suporte"),
        "{mine:#?}"
    );
    assert!(!has(&mine, "ticket.opened", |d| d["contact_id"] == caio.as_str()));
    // Events arrive in id order, each with the webhook body's shape.
    let ids: Vec<&str> = mine.iter().map(|f| f.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let first = &mine[0];
    assert_eq!(first.data["id"], first.id.as_str());
    assert_eq!(first.data["event"], first.event.as_str());

    // A ticket of another department assigned to the agent is hers to see.
    let caio_ticket = all
        .iter()
        .find(|f| f.event == "ticket.opened" && f.data["data"]["contact_id"] == caio.as_str())
        .map(|f| f.data["data"]["id"].as_str().unwrap_or_default().to_owned())
        .expect("ticket");
    let assigned = app
        .post(
            &format!("/api/v1/tickets/{caio_ticket}/assign"),
            &admin,
            json!({"user_id": agent_id}),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    agent_stream
        .wait("the assignment", |f| {
            has(f, "ticket.assigned", |d| d["id"] == caio_ticket.as_str())
        })
        .await;
}

#[tokio::test]
async fn a_stream_resumes_after_the_last_event_it_got() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let first = Stream::open(&app, "/api/v1/events/stream", Some(&admin), None).await;
    for label in ["Um", "Dois"] {
        app.post("/api/v1/tags", &admin, json!({"label": label})).await;
    }
    let got = first
        .wait("two tags", |f| {
            f.iter().filter(|f| f.event == "tag.created").count() == 2
        })
        .await;
    let last = got
        .iter()
        .rfind(|f| f.event == "tag.created")
        .map(|f| f.id.clone())
        .expect("id");
    drop(first);
    for label in ["Três", "Quatro"] {
        app.post("/api/v1/tags", &admin, json!({"label": label})).await;
    }
    let resumed = Stream::open(&app, "/api/v1/events/stream", Some(&admin), Some(&last)).await;
    let got = resumed
        .wait("the two missed", |f| {
            f.iter().filter(|f| f.event == "tag.created").count() >= 2
        })
        .await;
    let labels: Vec<&str> = got
        .iter()
        .filter(|f| f.event == "tag.created")
        .map(|f| f.data["data"]["label"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(labels, ["Três", "Quatro"]);
    // Live events follow the replay, once each.
    app.post("/api/v1/tags", &admin, json!({"label": "Cinco"})).await;
    let got = resumed
        .wait("the live one", |f| {
            f.iter().filter(|f| f.event == "tag.created").count() >= 3
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        resumed.events().iter().filter(|f| f.event == "tag.created").count(),
        3,
        "{got:#?}"
    );
}

#[tokio::test]
async fn browsers_open_streams_with_a_short_lived_ticket_and_idle_streams_get_heartbeats() {
    let app = TestApp::spawn_with(|s| s.stream_heartbeat_secs = 1).await;
    let admin = app.admin_token().await;
    app.get("/api/v1/events/stream", "not-a-token")
        .await
        .assert_problem(401, "invalid_token");
    let anonymous = app
        .client
        .get(app.url("/api/v1/events/stream"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged = app
        .client
        .get(app.url("/api/v1/events/stream?ticket=st_e30.AAAA"))
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    let ticket = app.post("/api/v1/events/stream-ticket", &admin, json!({})).await;
    assert_eq!(ticket.status, StatusCode::OK, "{}", ticket.body);
    let url = ticket.str("url").to_owned();
    let tampered = url.replace("st_", "st_x");
    let refused = app.client.get(app.url(&tampered)).send().await.expect("sent");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let stream = Stream::open(&app, &url, None, None).await;
    stream
        .wait("a heartbeat", |f| {
            f.iter().any(|f| f.comment.as_deref() == Some("heartbeat"))
        })
        .await;
    app.post("/api/v1/tags", &admin, json!({"label": "Pelo ticket"})).await;
    stream
        .wait("the event", |f| has(f, "tag.created", |d| d["label"] == "Pelo ticket"))
        .await;
    // The ticket opens streams only.
    app.get("/api/v1/me", ticket.str("ticket"))
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn a_message_received_by_one_instance_reaches_a_stream_on_another_within_a_second() {
    let a = TestApp::spawn().await;
    let b = a.spawn_sibling().await;
    let admin = a.admin_token().await;
    let sim = WhatsappSim::start(SimConfig::default()).await.expect("simulator");
    let c = sim.config().clone();
    let connection = a
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "whatsapp_cloud", "name": "WhatsApp", "settings": {
                "phone_number_id": c.phone_number_id, "access_token": c.access_token,
                "app_secret": c.app_secret, "graph_api_url": sim.base_url()}}),
        )
        .await
        .str("id")
        .to_owned();
    sim.set_webhook_url(a.url(&format!("/webhooks/whatsapp/{connection}")));
    let on_b = Stream::open(&b, "/api/v1/events/stream", Some(&admin), None).await;
    let sent = Instant::now();
    let wamid = sim
        .customer("5511966665555", "Duda")
        .send_text("chegou?")
        .await
        .expect("delivered to A");
    let acked = Instant::now();
    on_b.wait("the message", |f| {
        has(f, "message.created", |d| d["external_id"] == wamid.as_str())
    })
    .await;
    let seen = acked.elapsed();
    assert!(
        seen < Duration::from_secs(1),
        "relayed after {seen:?} (delivery took {:?})",
        acked - sent
    );
}
