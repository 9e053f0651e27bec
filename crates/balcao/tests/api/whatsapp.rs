//! The WhatsApp Cloud API channel end to end: Balcão and the Graph API simulator talk to each
//! other over real HTTP on loopback.

use std::time::{Duration, Instant};

use balcao_sim::{Fault, SimConfig, StatusOrder, WhatsappSim};
use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

const WAIT: Duration = Duration::from_secs(15);

struct Wa {
    app: TestApp,
    sim: WhatsappSim,
    admin: String,
    connection: String,
}

impl Wa {
    async fn new() -> Wa {
        Wa::with(|_| {}).await
    }

    async fn with(configure: impl FnOnce(&mut SimConfig)) -> Wa {
        let app = TestApp::spawn().await;
        let mut config = SimConfig {
            status_delay: Duration::from_millis(5),
            ..SimConfig::default()
        };
        configure(&mut config);
        let sim = WhatsappSim::start(config).await.expect("simulator starts");
        let admin = app.admin_token().await;
        let c = sim.config().clone();
        let created = app
            .post(
                "/api/v1/connections",
                &admin,
                json!({"type": "whatsapp_cloud", "name": "WhatsApp", "settings": {
                    "phone_number_id": c.phone_number_id, "waba_id": c.waba_id,
                    "access_token": c.access_token, "app_secret": c.app_secret,
                    "verify_token": "verify-me", "graph_api_url": sim.base_url()}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let connection = created.str("id").to_owned();
        sim.set_webhook_url(app.url(&format!("/webhooks/whatsapp/{connection}")));
        let started = app
            .post(&format!("/api/v1/connections/{connection}/start"), &admin, json!({}))
            .await;
        assert_eq!(started.body["status"], "connected", "{}", started.body);
        Wa {
            app,
            sim,
            admin,
            connection,
        }
    }

    /// The contact with this WhatsApp number.
    async fn contact(&self, wa_id: &str) -> Value {
        let list = self.app.get("/api/v1/contacts?limit=100", &self.admin).await;
        list.body["data"]
            .as_array()
            .and_then(|all| all.iter().find(|c| c["phone"] == wa_id))
            .cloned()
            .unwrap_or_else(|| panic!("no contact {wa_id} in {}", list.body))
    }

    async fn timeline(&self, contact_id: &str) -> Vec<Value> {
        let r = self
            .app
            .get(
                &format!("/api/v1/contacts/{contact_id}/messages?limit=100"),
                &self.admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m["type"] != "ticket_event")
            .collect()
    }

    async fn message(&self, id: &str) -> Value {
        self.app.get(&format!("/api/v1/messages/{id}"), &self.admin).await.body
    }

    /// Polls a message until `done` holds (the work is asynchronous by design).
    async fn message_until(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.message(id).await;
            if done(&m) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "message never reached the expected state: {m}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn send(&self, body: Value) -> Value {
        let r = self.app.post("/api/v1/messages", &self.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    /// A customer who wrote in (opening the 24-hour window), and its contact's id.
    async fn customer(&self, wa_id: &str, name: &str) -> (balcao_sim::Customer, String) {
        let customer = self.sim.customer(wa_id, name);
        customer.send_text("Olá!").await.expect("delivered");
        let contact = self.contact(wa_id).await;
        (customer, contact["id"].as_str().expect("id").to_owned())
    }
}

#[tokio::test]
async fn start_checks_the_credentials_and_the_status_says_what_is_wrong() {
    let wa = Wa::new().await;
    let (app, admin, id) = (&wa.app, &wa.admin, &wa.connection);
    let connected = app.get(&format!("/api/v1/connections/{id}"), admin).await;
    let detail = connected.body["status_detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains(&wa.sim.config().display_phone_number), "{detail}");

    let stopped = app
        .post(&format!("/api/v1/connections/{id}/stop"), admin, json!({}))
        .await;
    assert_eq!(stopped.body["status"], "disconnected");

    app.patch(
        &format!("/api/v1/connections/{id}"),
        admin,
        json!({"settings": {"access_token": "expired-token"}}),
    )
    .await;
    let refused = app
        .post(&format!("/api/v1/connections/{id}/restart"), admin, json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(refused.body["status"], "error");
    assert!(
        refused.body["status_detail"]
            .as_str()
            .unwrap_or_default()
            .contains("access token"),
        "{}",
        refused.body
    );

    app.patch(
        &format!("/api/v1/connections/{id}"),
        admin,
        json!({"settings": {"access_token": wa.sim.config().access_token, "phone_number_id": "999"}}),
    )
    .await;
    let unknown = app
        .post(&format!("/api/v1/connections/{id}/start"), admin, json!({}))
        .await;
    assert_eq!(unknown.body["status"], "error");
    assert!(
        unknown.body["status_detail"]
            .as_str()
            .unwrap_or_default()
            .contains("phone_number_id")
    );

    app.patch(
        &format!("/api/v1/connections/{id}"),
        admin,
        json!({"settings": {"phone_number_id": wa.sim.config().phone_number_id, "graph_api_url": "http://127.0.0.1:9/v24.0"}}),
    )
    .await;
    let unreachable = app
        .post(&format!("/api/v1/connections/{id}/start"), admin, json!({}))
        .await;
    assert_eq!(unreachable.body["status"], "error");
    assert!(
        unreachable.body["status_detail"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot reach")
    );

    app.patch(
        &format!("/api/v1/connections/{id}"),
        admin,
        json!({"settings": {"graph_api_url": wa.sim.base_url()}}),
    )
    .await;
    let again = app
        .post(&format!("/api/v1/connections/{id}/start"), admin, json!({}))
        .await;
    assert_eq!(again.body["status"], "connected");
    let events = app.events(admin, Some(id)).await;
    let last = events
        .iter()
        .rev()
        .find(|e| e.name == "connection.updated")
        .expect("events");
    assert_eq!(last.data["status"], "connected", "each change of status is an event");
    let (_, agent) = app.user_with_role(admin, "agent@example.com", "agent").await;
    app.post(&format!("/api/v1/connections/{id}/stop"), &agent, json!({}))
        .await
        .assert_problem(403, "forbidden");
    let webchat = app.connection(admin, "Site").await;
    app.post(&format!("/api/v1/connections/{webchat}/start"), admin, json!({}))
        .await
        .assert_problem(409, "channel_unavailable");
}

#[tokio::test]
async fn the_verification_handshake_echoes_the_challenge_only_for_the_right_token() {
    let wa = Wa::new().await;
    let url = |token: &str, id: &str| {
        wa.app.url(&format!(
            "/webhooks/whatsapp/{id}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        ))
    };
    let ok = wa
        .app
        .client
        .get(url("verify-me", &wa.connection))
        .send()
        .await
        .expect("sent");
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.expect("body"), "1158201444");
    for (token, id) in [
        ("wrong", wa.connection.as_str()),
        ("verify-me", "0190f0a0-0000-7000-8000-000000000001"),
        ("verify-me", "not-an-id"),
    ] {
        let refused = wa.app.client.get(url(token, id)).send().await.expect("sent");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{token} {id}");
    }
}

#[tokio::test]
async fn notifications_without_a_valid_signature_are_refused_and_store_nothing() {
    let wa = Wa::with(|c| c.redelivery_attempts = 1).await;
    let customer = wa.sim.customer("5511988887777", "Intrusa");
    let notification = customer.notification(json!({
        "from": "5511988887777", "id": "wamid.forged", "timestamp": "1700000000",
        "type": "text", "text": {"body": "forjada"}}));
    let body = notification.to_string();
    let url = wa.app.url(&format!("/webhooks/whatsapp/{}", wa.connection));
    for signature in [None, Some("sha256=00".to_owned()), Some(wa.sim.sign(b"{}"))] {
        let mut req = wa
            .app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(s) = signature {
            req = req.header("x-hub-signature-256", s);
        }
        let r = req.send().await.expect("sent");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Signed with another app's secret, through the simulator's own delivery.
    wa.sim.set_app_secret("another-apps-secret");
    assert!(customer.send_text("também forjada").await.is_err());
    assert_eq!(wa.sim.deliveries().last().and_then(|d| d.status), Some(401));
    let contacts = wa.app.get("/api/v1/contacts", &wa.admin).await;
    assert_eq!(contacts.body["data"], json!([]), "nothing was stored");

    // Correctly signed but not a WhatsApp notification: 400.
    let odd = br#"{"object":"page","entry":[]}"#;
    let r = wa
        .app
        .client
        .post(&url)
        .header(
            "x-hub-signature-256",
            balcao_channels_sign(wa.sim.config().app_secret.as_str(), odd),
        )
        .body(odd.to_vec())
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

fn balcao_channels_sign(secret: &str, body: &[u8]) -> String {
    balcao_channels::whatsapp::signature::sign(secret, body)
}

#[tokio::test]
async fn every_message_type_arrives_with_media_fetched_replies_quoted_and_reactions_attached() {
    let wa = Wa::new().await;
    let maria = wa.sim.customer("5511999990000", "Maria");
    let first = maria.send_text("Oi, quero saber do meu pedido").await.expect("text");
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3, 4];
    maria
        .send_image(png.clone(), "image/png", Some("a nota"))
        .await
        .expect("image");
    maria.send_audio(vec![7; 64], "audio/ogg", true).await.expect("audio");
    maria.send_video(vec![8; 64], "video/mp4", None).await.expect("video");
    maria
        .send_document(b"%PDF-1.4 nota".to_vec(), "application/pdf", "nota.pdf", Some("segue"))
        .await
        .expect("document");
    maria.send_sticker(vec![9; 32]).await.expect("sticker");
    maria
        .send_location(-23.5505, -46.6333, Some("Loja Centro"), Some("Praça da Sé"))
        .await
        .expect("location");
    maria
        .send_contacts(json!([{"name": {"formatted_name": "João Silva"}, "phones": [{"phone": "+55 11 91234-5678"}]}]))
        .await
        .expect("contacts");
    maria.reply_text(&first, "esqueci de dizer").await.expect("reply");
    maria.react(&first, Some("👍")).await.expect("reaction");
    maria
        .send_button_reply(&first, "yes", "Sim")
        .await
        .expect("button reply");
    maria
        .send_list_reply(&first, "opt-2", "Entrega", "Acompanhar entrega")
        .await
        .expect("list reply");
    maria
        .send_quick_reply(&first, "Parar promoções", "STOP")
        .await
        .expect("quick reply");
    maria.send_unsupported().await.expect("unsupported");

    let contact = wa.contact("5511999990000").await;
    assert_eq!(contact["name"], "Maria");
    let timeline = wa.timeline(contact["id"].as_str().expect("id")).await;
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|m| m["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        kinds,
        [
            "text",
            "image",
            "audio",
            "video",
            "document",
            "sticker",
            "location",
            "contacts",
            "text",
            "reaction",
            "interactive",
            "interactive",
            "interactive",
            "unsupported"
        ]
    );
    assert!(
        timeline
            .iter()
            .all(|m| m["direction"] == "inbound" && m["origin"] == "contact")
    );
    let first_id = timeline[0]["id"].as_str().expect("id");
    assert_eq!(timeline[0]["text"], "Oi, quero saber do meu pedido");
    assert_eq!(timeline[0]["external_id"], first.as_str());
    assert_eq!(timeline[1]["text"], "a nota");
    assert_eq!(timeline[6]["payload"]["name"], "Loja Centro");
    assert_eq!(
        timeline[7]["payload"]["contacts"][0]["name"]["formatted_name"],
        "João Silva"
    );
    assert_eq!(
        timeline[8]["quoted_message_id"], first_id,
        "context becomes the quoted message"
    );
    assert_eq!(
        timeline[9]["quoted_message_id"], first_id,
        "the reaction attaches to its message"
    );
    assert_eq!(timeline[9]["payload"]["emoji"], "👍");
    assert_eq!(timeline[10]["payload"]["id"], "yes");
    assert_eq!(timeline[11]["payload"]["description"], "Acompanhar entrega");
    assert_eq!(timeline[12]["payload"]["payload"], "STOP");

    // Files are fetched from the Graph API in the background, into the media store.
    let image = wa
        .message_until(timeline[1]["id"].as_str().expect("id"), |m| !m["media_id"].is_null())
        .await;
    let media_id = image["media_id"].as_str().expect("media");
    let file = wa
        .app
        .client
        .get(wa.app.url(&format!("/api/v1/media/{media_id}/content")))
        .bearer_auth(&wa.admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.expect("bytes").to_vec(), png);
    let document = wa
        .message_until(timeline[4]["id"].as_str().expect("id"), |m| !m["media_id"].is_null())
        .await;
    let info = wa
        .app
        .get(
            &format!("/api/v1/media/{}", document["media_id"].as_str().expect("id")),
            &wa.admin,
        )
        .await;
    assert_eq!(info.body["file_name"], "nota.pdf");
    assert_eq!(info.body["mime_type"], "application/pdf");
    for i in [2, 3, 5] {
        wa.message_until(timeline[i]["id"].as_str().expect("id"), |m| !m["media_id"].is_null())
            .await;
    }

    // One ticket opened; the reaction did not count as a reason to open another.
    let tickets = wa.app.get("/api/v1/tickets", &wa.admin).await;
    assert_eq!(
        tickets.body["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        tickets.body
    );

    // A new profile name renames the contact.
    wa.sim
        .customer("5511999990000", "Maria Souza")
        .send_text("mudei meu nome")
        .await
        .expect("text");
    assert_eq!(wa.contact("5511999990000").await["name"], "Maria Souza");
}

#[tokio::test]
async fn a_message_delivered_twice_is_stored_once() {
    let wa = Wa::with(|c| c.duplicate_deliveries = true).await;
    let ana = wa.sim.customer("5521977776666", "Ana");
    let wamid = ana.send_text("uma vez só").await.expect("delivered");
    // And a third time, by hand, with the same notification.
    let notification = ana.notification(json!({
        "from": "5521977776666", "id": wamid, "timestamp": "1700000000", "type": "text", "text": {"body": "uma vez só"}}));
    assert_eq!(wa.sim.deliver(notification).await.expect("delivered"), 200);
    let contact = wa.contact("5521977776666").await;
    assert_eq!(contact["unread_count"], 1);
    let timeline = wa.timeline(contact["id"].as_str().expect("id")).await;
    assert_eq!(timeline.len(), 1, "{timeline:?}");
    assert!(wa.sim.deliveries().len() >= 3);
}

#[tokio::test]
async fn outbound_messages_are_sent_and_statuses_only_move_forward() {
    let wa = Wa::with(|c| c.status_order = StatusOrder::Reversed).await;
    let (_, contact) = wa.customer("5511955554444", "Bia").await;
    let sent = wa
        .send(json!({"contact_id": contact, "text": "Seu pedido saiu para entrega"}))
        .await;
    let id = sent["id"].as_str().expect("id");
    assert_eq!(sent["status"], "queued");
    let on_meta = wa.sim.wait_for_sent(1, WAIT).await.expect("sent");
    assert_eq!(on_meta[0].to, "5511955554444");
    assert_eq!(on_meta[0].kind, "text");
    assert_eq!(on_meta[0].body["text"]["body"], "Seu pedido saiu para entrega");
    assert_eq!(on_meta[0].biz_opaque_callback_data.as_deref(), Some(id));
    // Read, delivered, sent arrive in that order: the status ends at read.
    let m = wa.message_until(id, |m| m["status"] == "read").await;
    assert_eq!(m["external_id"], on_meta[0].wamid.as_str());
    wa.sim
        .wait_for_deliveries(
            |d| d.iter().filter(|d| d.body.to_string().contains("\"sent\"")).count() >= 1,
            WAIT,
        )
        .await
        .expect("statuses delivered");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        wa.message(id).await["status"],
        "read",
        "a late `sent` does not move it back"
    );

    // The statuses again, out of order, by hand.
    let report = |status: &str| {
        json!({"object": "whatsapp_business_account", "entry": [{"id": wa.sim.config().waba_id, "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": wa.sim.config().phone_number_id},
            "statuses": [{"id": on_meta[0].wamid, "status": status, "timestamp": "1700000000", "recipient_id": "5511955554444"}]}}]}]})
    };
    for status in ["delivered", "sent", "failed"] {
        assert_eq!(wa.sim.deliver(report(status)).await.expect("delivered"), 200);
    }
    assert_eq!(wa.message(id).await["status"], "read");
}

#[tokio::test]
async fn free_form_messages_need_the_24_hour_window_and_templates_do_not() {
    let wa = Wa::new().await;
    let contact = wa
        .app
        .post(
            "/api/v1/contacts",
            &wa.admin,
            json!({"name": "Carlos", "phone": "+55 11 94444-3333", "connection_id": wa.connection}),
        )
        .await
        .str("id")
        .to_owned();
    let refused = wa
        .app
        .post(
            "/api/v1/messages",
            &wa.admin,
            json!({"contact_id": contact, "text": "Olá"}),
        )
        .await;
    refused.assert_problem(409, "service_window_closed");
    assert!(refused.body["detail"].as_str().unwrap_or_default().contains("template"));
    let template = approved_template(&wa, "order_update", "pt_BR", 2).await;
    let sent = wa
        .send(json!({"contact_id": contact, "type": "template",
                     "payload": {"template_id": template, "parameters": {"body": ["Carlos", "42"]}}}))
        .await;
    let on_meta = wa.sim.wait_for_sent(1, WAIT).await.expect("sent");
    assert_eq!(on_meta[0].kind, "template");
    assert_eq!(on_meta[0].body["template"]["name"], "order_update");
    assert_eq!(on_meta[0].body["template"]["language"]["code"], "pt_BR");
    assert_eq!(
        on_meta[0].body["template"]["components"][0]["parameters"][1]["text"],
        "42"
    );
    wa.message_until(sent["id"].as_str().expect("id"), |m| m["status"] == "read")
        .await;
    assert!(
        wa.sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/messages"))
            .count()
            == 1,
        "the refused message never reached Meta"
    );
}

async fn approved_template(wa: &Wa, name: &str, language: &str, params: usize) -> String {
    let placeholders: Vec<String> = (1..=params).map(|i| format!("{{{{{i}}}}}")).collect();
    let created = wa
        .app
        .post(
            "/api/v1/whatsapp-templates",
            &wa.admin,
            json!({"connection_id": wa.connection, "name": name, "language": language, "category": "utility",
                   "components": [{"type": "BODY", "text": format!("Olá {}", placeholders.join(" e "))}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.str("id").to_owned();
    wa.app
        .post(
            &format!("/api/v1/whatsapp-templates/{id}/status"),
            &wa.admin,
            json!({"status": "approved"}),
        )
        .await;
    id
}

#[tokio::test]
async fn media_interactive_replies_and_reactions_go_out_in_meta_shapes() {
    let wa = Wa::new().await;
    let (customer, contact) = wa.customer("5511933332222", "Davi").await;
    let theirs = customer.send_text("me manda o boleto").await.expect("text");
    let timeline = wa.timeline(&contact).await;
    let their_message = timeline.last().and_then(|m| m["id"].as_str()).expect("id").to_owned();

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4 boleto".to_vec())
            .file_name("boleto.pdf")
            .mime_str("application/pdf")
            .expect("mime"),
    );
    let uploaded = wa
        .app
        .client
        .post(wa.app.url("/api/v1/media"))
        .bearer_auth(&wa.admin)
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let media: Value = uploaded.json().await.expect("json");
    wa.send(
        json!({"contact_id": contact, "type": "document", "text": "Segue o boleto", "media_id": media["id"],
                   "quoted_message_id": their_message}),
    )
    .await;
    wa.send(
        json!({"contact_id": contact, "type": "interactive", "payload": {"type": "button", "body": "Pagou?",
                   "action": {"buttons": [{"id": "sim", "title": "Sim"}, {"id": "nao", "title": "Ainda não"}]}}}),
    )
    .await;
    let reacted = wa
        .app
        .post(
            &format!("/api/v1/messages/{their_message}/reactions"),
            &wa.admin,
            json!({"emoji": "❤️"}),
        )
        .await;
    assert_eq!(reacted.status, StatusCode::CREATED, "{}", reacted.body);
    let on_meta = wa.sim.wait_for_sent(3, WAIT).await.expect("sent");
    assert_eq!(on_meta[0].kind, "document");
    assert_eq!(on_meta[0].body["document"]["caption"], "Segue o boleto");
    assert_eq!(on_meta[0].body["document"]["filename"], "boleto.pdf");
    assert_eq!(on_meta[0].body["context"]["message_id"], theirs.as_str());
    assert!(
        on_meta[0].body["document"]["id"].is_string(),
        "sent by media id after an upload"
    );
    assert!(
        wa.sim
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/media") && r.status == 200)
    );
    assert_eq!(
        on_meta[1].body["interactive"]["action"]["buttons"][1]["reply"]["title"],
        "Ainda não"
    );
    assert_eq!(on_meta[2].kind, "reaction");
    assert_eq!(
        on_meta[2].body["reaction"],
        json!({"message_id": theirs, "emoji": "❤️"})
    );
}

#[tokio::test]
async fn reading_the_conversation_marks_the_customers_message_read() {
    let wa = Wa::new().await;
    let (customer, _) = wa.customer("5511922221111", "Eva").await;
    let last = customer.send_text("alguém aí?").await.expect("text");
    let tickets = wa.app.get("/api/v1/tickets", &wa.admin).await;
    let ticket = tickets.body["data"][0]["id"].as_str().expect("ticket").to_owned();
    assert_eq!(tickets.body["data"][0]["unread_count"], 2);
    let read = wa
        .app
        .post(&format!("/api/v1/tickets/{ticket}/read"), &wa.admin, json!({}))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["unread_count"], 0);
    let deadline = Instant::now() + WAIT;
    while wa.sim.marked_read().is_empty() {
        assert!(Instant::now() < deadline, "never marked read");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(wa.sim.marked_read(), [last]);
}

#[tokio::test]
async fn retryable_errors_are_retried_until_the_send_goes_through() {
    let wa = Wa::new().await;
    let (_, contact) = wa.customer("5511911110000", "Fábio").await;
    for fault in [
        Fault::Error { code: 130429 },
        Fault::Error { code: 131056 },
        Fault::Error { code: 4 },
        Fault::Error { code: 80007 },
        Fault::Error { code: 131000 },
        Fault::ServerError { status: 503 },
        Fault::Delay {
            delay: Duration::from_secs(3),
        },
    ] {
        wa.sim.inject(fault);
    }
    let sent = wa.send(json!({"contact_id": contact, "text": "insistente"})).await;
    let id = sent["id"].as_str().expect("id");
    let on_meta = wa
        .sim
        .wait_for_sent(1, Duration::from_secs(30))
        .await
        .expect("sent at last");
    let m = wa.message_until(id, |m| m["external_id"].is_string()).await;
    assert!(m["error_code"].is_null());
    let tries: Vec<u16> = wa
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .map(|r| r.status)
        .collect();
    assert_eq!(&tries[..6], [429, 429, 429, 429, 500, 503], "{tries:?}");
    assert_eq!(tries.last(), Some(&200));
    // The delayed answer timed out on Balcão's side, so Meta may have taken it once more than
    // Balcão knows: the message id rides along so the status reports still find it.
    assert!(
        on_meta
            .iter()
            .all(|s| s.biz_opaque_callback_data.as_deref() == Some(id))
    );
}

#[tokio::test]
async fn a_send_is_retried_after_a_130429_throughput_error() {
    let wa = Wa::new().await;
    let (_, contact) = wa.customer("5511900009999", "Gil").await;
    wa.sim.inject(Fault::Error { code: 130429 });
    let sent = wa.send(json!({"contact_id": contact, "text": "de novo"})).await;
    let id = sent["id"].as_str().expect("id");
    let on_meta = wa.sim.wait_for_sent(1, WAIT).await.expect("sent");
    assert_eq!(on_meta.len(), 1);
    let m = wa.message_until(id, |m| m["status"] == "read").await;
    assert_eq!(m["external_id"], on_meta[0].wamid.as_str());
    let tries: Vec<u16> = wa
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .map(|r| r.status)
        .collect();
    assert_eq!(tries, [429, 200]);
}

#[tokio::test]
async fn other_errors_fail_the_message_at_once_with_metas_code_and_text() {
    let wa = Wa::new().await;
    let (_, contact) = wa.customer("5511912340000", "Helena").await;
    wa.sim.inject(Fault::Error { code: 131047 });
    let first = wa.send(json!({"contact_id": contact, "text": "fora da janela"})).await;
    let failed = wa
        .message_until(first["id"].as_str().expect("id"), |m| m["status"] == "failed")
        .await;
    assert_eq!(failed["error_code"], "131047");
    assert!(!failed["error_text"].as_str().unwrap_or_default().is_empty());

    wa.sim.inject(Fault::FailAfterAccept { code: 131026 });
    let second = wa.send(json!({"contact_id": contact, "text": "não entregue"})).await;
    let undeliverable = wa
        .message_until(second["id"].as_str().expect("id"), |m| m["status"] == "failed")
        .await;
    assert_eq!(undeliverable["error_code"], "131026");
    assert!(undeliverable["external_id"].is_string());

    wa.sim.inject(Fault::Error { code: 190 });
    let third = wa.send(json!({"contact_id": contact, "text": "token vencido"})).await;
    let refused = wa
        .message_until(third["id"].as_str().expect("id"), |m| m["status"] == "failed")
        .await;
    assert_eq!(refused["error_code"], "190");
    let connection = wa
        .app
        .get(&format!("/api/v1/connections/{}", wa.connection), &wa.admin)
        .await;
    assert_eq!(connection.body["status"], "error", "an expired token needs the admin");
    let tries = wa
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .count();
    assert_eq!(tries, 3, "none of these was retried");
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_queue_neither_loses_nor_duplicates_a_send() {
    let mut wa = Wa::new().await;
    let (_, contact) = wa.customer("5511987650000", "Iara").await;
    wa.app
        .patch(
            &format!("/api/v1/connections/{}", wa.connection),
            &wa.admin,
            json!({"settings": {"max_messages_per_second": 4}}),
        )
        .await;
    let mut ids = Vec::new();
    let started = Instant::now();
    for i in 0..8 {
        ids.push(
            wa.send(json!({"contact_id": contact, "text": format!("parte {i}")}))
                .await["id"]
                .clone(),
        );
    }
    wa.sim.wait_for_sent(2, WAIT).await.expect("the queue started");
    wa.app.restart().await;
    wa.sim
        .set_webhook_url(wa.app.url(&format!("/webhooks/whatsapp/{}", wa.connection)));
    let on_meta = wa.sim.wait_for_sent(8, WAIT).await.expect("the rest after the restart");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let on_meta_later = wa.sim.sent();
    assert_eq!(on_meta_later.len(), 8, "nothing sent twice");
    let texts: Vec<&str> = on_meta
        .iter()
        .map(|s| s.body["text"]["body"].as_str().unwrap_or_default())
        .collect();
    let expected: Vec<String> = (0..8).map(|i| format!("parte {i}")).collect();
    assert_eq!(texts, expected, "in the order they were written");
    let echoed: Vec<Value> = on_meta
        .iter()
        .map(|s| Value::String(s.biz_opaque_callback_data.clone().unwrap_or_default()))
        .collect();
    assert_eq!(echoed, ids);
    // Four per second: eight messages take at least 1.75 s from the first to the last.
    assert!(
        started.elapsed() >= Duration::from_millis(1750),
        "{:?}",
        started.elapsed()
    );
    for id in &ids {
        wa.message_until(id.as_str().expect("id"), |m| m["external_id"].is_string())
            .await;
    }
}

#[tokio::test]
async fn a_stopped_connection_keeps_messages_queued_until_it_starts() {
    let wa = Wa::new().await;
    let (_, contact) = wa.customer("5511976540000", "Júlia").await;
    wa.app
        .post(
            &format!("/api/v1/connections/{}/stop", wa.connection),
            &wa.admin,
            json!({}),
        )
        .await;
    let sent = wa.send(json!({"contact_id": contact, "text": "espera"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(wa.sim.sent().is_empty());
    assert_eq!(wa.message(sent["id"].as_str().expect("id")).await["status"], "queued");
    // Messages still arrive while stopped.
    wa.sim
        .customer("5511976540000", "Júlia")
        .send_text("ainda aqui")
        .await
        .expect("received");
    wa.app
        .post(
            &format!("/api/v1/connections/{}/start", wa.connection),
            &wa.admin,
            json!({}),
        )
        .await;
    wa.sim.wait_for_sent(1, WAIT).await.expect("sent after start");
}

impl Wa {
    async fn template(&self, id: &str) -> Value {
        self.app
            .get(&format!("/api/v1/whatsapp-templates/{id}"), &self.admin)
            .await
            .body
    }

    async fn template_until(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let t = self.template(id).await;
            if done(&t) {
                return t;
            }
            assert!(Instant::now() < deadline, "template never reached the state: {t}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn templates_go_to_meta_for_review_and_stay_in_sync() {
    let wa = Wa::new().await;
    let created = wa
        .app
        .post(
            "/api/v1/whatsapp-templates",
            &wa.admin,
            json!({"connection_id": wa.connection, "name": "pedido_enviado", "language": "pt_BR",
                   "category": "utility", "components": [
                       {"type": "header", "format": "text", "text": "Pedido {{1}}"},
                       {"type": "body", "text": "Olá {{1}}, seu pedido {{2}} saiu para entrega."},
                       {"type": "buttons", "buttons": [{"type": "quick_reply", "text": "Obrigado"}]}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        (created.body["status"].clone(), created.body["external_id"].clone()),
        (json!("draft"), Value::Null)
    );
    let id = created.str("id").to_owned();
    assert!(
        wa.sim.templates().iter().all(|t| t.name != "pedido_enviado"),
        "a draft stays in Balcão"
    );

    // Sent for review: Meta gets its own spelling, with examples for the placeholders.
    let submitted = wa
        .app
        .post(&format!("/api/v1/whatsapp-templates/{id}/submit"), &wa.admin, json!({}))
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.body["status"], "pending");
    let on_meta = wa
        .sim
        .templates()
        .into_iter()
        .find(|t| t.name == "pedido_enviado")
        .expect("on the WABA");
    assert_eq!(submitted.body["external_id"], json!(on_meta.id));
    assert_eq!(
        (on_meta.category.as_str(), on_meta.status.as_str()),
        ("UTILITY", "PENDING")
    );
    assert_eq!(on_meta.components[0]["type"], "HEADER");
    assert_eq!(
        on_meta.components[1]["example"]["body_text"][0]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(on_meta.components[2]["buttons"][0]["type"], "QUICK_REPLY");
    let again = wa
        .app
        .post(&format!("/api/v1/whatsapp-templates/{id}/submit"), &wa.admin, json!({}))
        .await;
    again.assert_problem(409, "template_in_review");

    // Meta's review arrives as a signed notification.
    wa.sim
        .review_template("pedido_enviado", "pt_BR", "APPROVED", None)
        .expect("reviewed");
    wa.template_until(&id, |t| t["status"] == "approved").await;
    let (_, contact) = wa.customer("5511922221111", "Rita").await;
    wa.send(json!({"contact_id": contact, "type": "template",
                   "payload": {"template_id": id, "parameters": {"header": ["42"], "body": ["Rita", "42"]}}}))
        .await;
    let sent = wa
        .sim
        .wait_for_sent(1, WAIT)
        .await
        .expect("the approved template is sent");
    assert_eq!(sent[0].body["template"]["name"], "pedido_enviado");

    // An edit goes back to Meta and waits for review again; a rejection keeps Meta's reason.
    let edited = wa
        .app
        .patch(
            &format!("/api/v1/whatsapp-templates/{id}"),
            &wa.admin,
            json!({"components": [{"type": "body", "text": "Oi {{1}}, o pedido {{2}} saiu."}]}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["status"], "pending");
    let renamed = wa
        .app
        .patch(
            &format!("/api/v1/whatsapp-templates/{id}"),
            &wa.admin,
            json!({"name": "outro_nome"}),
        )
        .await;
    renamed.assert_problem(422, "validation_failed");
    let on_meta = wa
        .sim
        .templates()
        .into_iter()
        .find(|t| t.name == "pedido_enviado")
        .expect("on the WABA");
    assert_eq!(on_meta.components[0]["text"], "Oi {{1}}, o pedido {{2}} saiu.");
    wa.sim
        .review_template("pedido_enviado", "pt_BR", "REJECTED", Some("INVALID_FORMAT"))
        .expect("reviewed");
    let rejected = wa.template_until(&id, |t| t["status"] == "rejected").await;
    assert_eq!(rejected["rejection_reason"], "INVALID_FORMAT");

    // Meta refuses a template it already has in that language: the refusal is the answer.
    let twin = wa
        .app
        .post(
            "/api/v1/whatsapp-templates",
            &wa.admin,
            json!({"connection_id": wa.connection, "name": "hello_world", "language": "en_US",
                   "category": "utility", "components": [{"type": "body", "text": "Hello"}]}),
        )
        .await;
    let refused = wa
        .app
        .post(
            &format!("/api/v1/whatsapp-templates/{}/submit", twin.str("id")),
            &wa.admin,
            json!({}),
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    assert!(refused.body.to_string().contains("already exists"), "{}", refused.body);

    // A sync brings what only Meta has, updates what both have, and disables what Meta dropped.
    wa.sim
        .review_template("pedido_enviado", "pt_BR", "APPROVED", None)
        .expect("reviewed");
    assert_eq!(wa.sim.remove_template("order_update"), 1);
    let synced = wa
        .app
        .post(
            "/api/v1/whatsapp-templates/sync",
            &wa.admin,
            json!({"connection_id": wa.connection}),
        )
        .await;
    assert_eq!(synced.status, StatusCode::OK, "{}", synced.body);
    let list = synced.body["data"].as_array().cloned().unwrap_or_default();
    let find = |name: &str| list.iter().find(|t| t["name"] == name).cloned().unwrap_or(Value::Null);
    assert_eq!(find("pedido_enviado")["status"], "approved");
    assert_eq!(
        find("hello_world")["status"],
        "approved",
        "the twin matched Meta's by name and language"
    );
    assert_eq!(find("hello_world")["id"], json!(twin.str("id")));
    assert_eq!(find("hello_world")["components"][0]["type"], "body");
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(wa.sim.remove_template("hello_world") == 1);
    let synced = wa
        .app
        .post(
            "/api/v1/whatsapp-templates/sync",
            &wa.admin,
            json!({"connection_id": wa.connection}),
        )
        .await;
    let hello = synced.body["data"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["name"] == "hello_world").cloned());
    assert_eq!(hello.map(|t| t["status"].clone()), Some(json!("disabled")));
    let missing = wa
        .app
        .post("/api/v1/whatsapp-templates/sync", &wa.admin, json!({}))
        .await;
    missing.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn template_calls_say_when_meta_cannot_be_asked() {
    let wa = Wa::new().await;
    let created = wa
        .app
        .post(
            "/api/v1/whatsapp-templates",
            &wa.admin,
            json!({"connection_id": wa.connection, "name": "aviso", "language": "pt_BR",
                   "category": "utility", "components": [{"type": "body", "text": "Aviso"}]}),
        )
        .await;
    let id = created.str("id").to_owned();
    // The Graph API stops answering: a 502 naming it, nothing changed.
    wa.app
        .patch(
            &format!("/api/v1/connections/{}", wa.connection),
            &wa.admin,
            json!({"settings": {"graph_api_url": "http://127.0.0.1:9/v24.0"}}),
        )
        .await;
    let unreachable = wa
        .app
        .post(&format!("/api/v1/whatsapp-templates/{id}/submit"), &wa.admin, json!({}))
        .await;
    unreachable.assert_problem(502, "upstream_failed");
    assert_eq!(wa.template(&id).await["status"], "draft");
    // Without the WhatsApp Business Account id there is nowhere to send it.
    wa.app
        .patch(
            &format!("/api/v1/connections/{}", wa.connection),
            &wa.admin,
            json!({"settings": {"graph_api_url": wa.sim.base_url(), "waba_id": null}}),
        )
        .await;
    let no_waba = wa
        .app
        .post(&format!("/api/v1/whatsapp-templates/{id}/submit"), &wa.admin, json!({}))
        .await;
    no_waba.assert_problem(409, "connection_incomplete");
}

#[tokio::test]
async fn notifications_arriving_together_are_stored_together_each_message_once() {
    let wa = Wa::new().await;
    // Five customers wrote before; fifteen write for the first time.
    let phones: Vec<String> = (0..20).map(|i| format!("55119800{i:05}")).collect();
    for phone in &phones[..5] {
        wa.sim
            .customer(phone, "Antes")
            .send_text("já escrevi")
            .await
            .expect("delivered");
    }
    // Every customer sends four messages at once, and every notification arrives twice.
    let mut set = tokio::task::JoinSet::new();
    for (c, phone) in phones.iter().enumerate() {
        let customer = wa.sim.customer(phone, &format!("Cliente {c}"));
        for i in 0..4 {
            let notification = customer.notification(json!({
                "from": phone, "id": format!("wamid.together.{c}.{i}"), "timestamp": "1700000000",
                "type": "text", "text": {"body": format!("mensagem {i}")}}));
            for _ in 0..2 {
                let (sim, notification) = (wa.sim.clone(), notification.clone());
                set.spawn(async move { sim.deliver(notification).await });
            }
        }
    }
    while let Some(done) = set.join_next().await {
        assert_eq!(done.expect("task").expect("delivered"), 200);
    }
    // Stored in groups, none of which had to be stored again one by one (new customers'
    // tickets are opened together).
    let metrics = wa.app.client.get(wa.app.url("/metrics")).send().await.expect("sent");
    let metrics = metrics.text().await.expect("text");
    let counter = |name: &str| balcao_testkit::counter(&metrics, name).unwrap_or_else(|| panic!("{name} in {metrics}"));
    let (notifications, groups) = (
        counter("balcao_inbound_notifications_total"),
        counter("balcao_inbound_groups_total"),
    );
    assert_eq!(notifications, 5 + 160, "{metrics}");
    assert!(groups < notifications, "{groups} groups of {notifications}");
    assert_eq!(counter("balcao_inbound_groups_retried_total"), 0, "{metrics}");
    let all = wa.app.get("/api/v1/contacts?limit=100", &wa.admin).await;
    assert_eq!(
        all.body["data"].as_array().map(Vec::len),
        Some(20),
        "one contact per number"
    );
    let mut protocols = std::collections::BTreeSet::new();
    for (c, phone) in phones.iter().enumerate() {
        let contact = wa.contact(phone).await;
        let id = contact["id"].as_str().expect("id");
        let before = usize::from(c < 5);
        assert_eq!(contact["unread_count"], 4 + before, "{contact}");
        assert_eq!(
            contact["name"],
            format!("Cliente {c}"),
            "the name shown on WhatsApp wins"
        );
        let timeline = wa.timeline(id).await;
        let mut texts: Vec<&str> = timeline.iter().filter_map(|m| m["text"].as_str()).collect();
        texts.sort_unstable();
        let mut expected: Vec<String> = (0..4).map(|i| format!("mensagem {i}")).collect();
        if before == 1 {
            expected.insert(0, "já escrevi".into());
        }
        assert_eq!(texts, expected, "each message once");
        let open = wa
            .app
            .get(&format!("/api/v1/tickets?contact_id={id}&status=open"), &wa.admin)
            .await;
        let tickets = open.body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(tickets.len(), 1, "one open ticket: {}", open.body);
        assert_eq!(tickets[0]["unread_count"], 4 + before);
        let newest = timeline
            .iter()
            .max_by_key(|m| m["id"].as_str().unwrap_or_default().to_owned());
        assert_eq!(
            tickets[0]["last_message_id"],
            newest.map_or(Value::Null, |m| m["id"].clone()),
            "the ticket points at its newest message"
        );
        assert!(
            timeline.iter().all(|m| m["ticket_id"] == tickets[0]["id"]),
            "every message on the one ticket"
        );
        // Opened once, recorded in the history and first in the ticket's timeline.
        let ticket_id = tickets[0]["id"].as_str().expect("id");
        let own = wa
            .app
            .get(&format!("/api/v1/tickets/{ticket_id}/messages?limit=100"), &wa.admin)
            .await;
        let own = own.body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(own.len(), 5 + before, "the opening and every message");
        assert_eq!(own[0]["type"], "ticket_event", "{}", own[0]);
        assert_eq!(own[0]["payload"]["action"], "opened", "{}", own[0]);
        assert_eq!(own[0]["payload"]["protocol"], tickets[0]["protocol"]);
        assert!(own[1..].iter().all(|m| m["type"] == "text"), "one opening");
        let history = wa
            .app
            .get(&format!("/api/v1/tickets/{ticket_id}/history"), &wa.admin)
            .await;
        let entries = history.body["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 1, "{}", history.body);
        assert_eq!(entries[0]["action"], "opened");
        protocols.insert(tickets[0]["protocol"].as_str().expect("protocol").to_owned());
    }
    assert_eq!(protocols.len(), 20, "every ticket its own number: {protocols:?}");
}

/// A customer's message that wakes a snoozed ticket and brings a new profile name emits
/// `ticket.updated` and `contact.updated` carrying the whole records, tags and closing topics
/// included, as the message left them.
#[tokio::test]
async fn events_of_an_inbound_message_carry_the_whole_contact_and_ticket() {
    let wa = Wa::new().await;
    let phone = "5511977770001";
    wa.sim.customer(phone, "Ana").send_text("oi").await.expect("delivered");
    let contact = wa.contact(phone).await;
    let contact_id = contact["id"].as_str().expect("id").to_owned();
    let tag = wa.app.post("/api/v1/tags", &wa.admin, json!({"label": "VIP"})).await;
    let tag_id = tag.body["id"].as_str().expect("tag").to_owned();
    let tagged = wa
        .app
        .post(
            &format!("/api/v1/tags/{tag_id}/contacts"),
            &wa.admin,
            json!({"contact_ids": [contact_id]}),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.body);
    let open = wa
        .app
        .get(
            &format!("/api/v1/tickets?contact_id={contact_id}&status=open"),
            &wa.admin,
        )
        .await;
    let ticket_id = open.body["data"][0]["id"].as_str().expect("ticket").to_owned();
    let snoozed = wa
        .app
        .post(
            &format!("/api/v1/tickets/{ticket_id}/snooze"),
            &wa.admin,
            json!({"until": "2999-01-01T09:00:00-03:00"}),
        )
        .await;
    assert_eq!(snoozed.body["status"], "snoozed", "{}", snoozed.body);

    wa.sim
        .customer(phone, "Ana Souza")
        .send_text("voltei")
        .await
        .expect("delivered");
    let ticket_events = wa.app.events(&wa.admin, Some(&ticket_id)).await;
    let last = ticket_events.last().expect("events");
    assert_eq!(last.name, "ticket.updated");
    assert_eq!(last.data["status"], "open", "{}", last.data);
    let contact_events = wa.app.events(&wa.admin, Some(&contact_id)).await;
    let last = contact_events.last().expect("events");
    assert_eq!(last.name, "contact.updated");
    assert_eq!(last.data["name"], "Ana Souza", "{}", last.data);
    assert_eq!(
        last.data["tag_ids"],
        json!([tag_id]),
        "the tags are part of the contact: {}",
        last.data
    );
    let stored = wa.app.get(&format!("/api/v1/tickets/{ticket_id}"), &wa.admin).await;
    assert_eq!(stored.body["status"], "open", "{}", stored.body);
    assert_eq!(stored.body["snoozed_until"], Value::Null, "{}", stored.body);
    assert_eq!(stored.body["unread_count"], 2, "{}", stored.body);
}

/// A returning customer's message to an open ticket (the narrow update of what it changes:
/// last message, unread count, time of change) is stored on the ticket, which stays where it
/// is listed.
#[tokio::test]
async fn a_message_to_an_open_ticket_updates_its_last_message_and_unread_count() {
    let wa = Wa::new().await;
    let phone = "5511977770002";
    wa.sim.customer(phone, "Bia").send_text("oi").await.expect("delivered");
    let contact = wa.contact(phone).await;
    let contact_id = contact["id"].as_str().expect("id").to_owned();
    let list = format!("/api/v1/tickets?contact_id={contact_id}&status=open");
    let before = wa.app.get(&list, &wa.admin).await.body["data"][0].clone();
    assert_eq!(before["unread_count"], 1, "{before}");

    wa.sim
        .customer(phone, "Bia")
        .send_text("tudo bem?")
        .await
        .expect("delivered");
    let after = wa.app.get(&list, &wa.admin).await.body["data"][0].clone();
    assert_eq!(
        after["id"], before["id"],
        "the same ticket, still listed as open: {after}"
    );
    assert_eq!(after["unread_count"], 2, "{after}");
    assert_eq!(after["first_message_id"], before["first_message_id"], "{after}");
    assert_ne!(after["last_message_id"], before["last_message_id"], "{after}");
    assert!(
        after["updated_at"].as_str() > before["updated_at"].as_str(),
        "{before} → {after}"
    );
    let events = wa.app.events(&wa.admin, None).await;
    let created = events
        .iter()
        .rev()
        .find(|e| e.name == "message.created")
        .expect("the message's event");
    assert_eq!(after["last_message_id"], created.data["id"], "{after}");
    assert_eq!(created.data["text"], "tudo bem?");
}
