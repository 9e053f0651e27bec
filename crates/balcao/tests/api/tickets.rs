//! Tickets and messages: what opens a ticket, history, timeline, delivery, duplicates.

use balcao_testkit::serde_json::{Value, json};
use balcao_testkit::{Response, TestApp};
use reqwest::StatusCode;

/// An admin token, a department, a connection defaulting to it, and a contact on it.
struct Setup {
    admin: String,
    department: String,
    connection: String,
    contact: String,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.admin_token().await;
    let department = app
        .post("/api/v1/departments", &admin, json!({"name": "Suporte"}))
        .await
        .str("id")
        .to_owned();
    let connection = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "webchat", "name": "Site", "default_department_id": department}),
        )
        .await
        .str("id")
        .to_owned();
    let contact = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Cliente", "phone": "11912345678", "connection_id": connection}),
        )
        .await
        .str("id")
        .to_owned();
    Setup {
        admin,
        department,
        connection,
        contact,
    }
}

async fn inbound(app: &TestApp, s: &Setup, text: &str) -> Response {
    app.post(
        "/api/v1/messages",
        &s.admin,
        json!({"contact_id": s.contact, "direction": "inbound", "text": text}),
    )
    .await
}

fn is_protocol(p: &str) -> bool {
    p.len() >= 14 && p.chars().all(|c| c.is_ascii_digit())
}

#[tokio::test]
async fn an_inbound_message_opens_one_ticket_in_the_default_department() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let first = inbound(&app, &s, "Oi, preciso de ajuda").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(
        (first.body["direction"].clone(), first.body["origin"].clone()),
        (json!("inbound"), json!("contact"))
    );
    assert_eq!(first.body["status"], "delivered");
    assert_eq!(first.body["connection_id"], s.connection.as_str());
    let ticket_id = first.str("ticket_id").to_owned();

    let ticket = app.get(&format!("/api/v1/tickets/{ticket_id}"), &s.admin).await;
    assert_eq!(ticket.body["status"], "open");
    assert_eq!(ticket.body["department_id"], s.department.as_str());
    assert_eq!(ticket.body["user_id"], Value::Null);
    assert!(is_protocol(ticket.str("protocol")), "{}", ticket.body);
    assert_eq!(ticket.body["unread_count"], 1);
    assert_eq!(ticket.body["first_message_id"], first.body["id"]);

    let second = inbound(&app, &s, "Alô?").await;
    assert_eq!(
        second.body["ticket_id"],
        ticket_id.as_str(),
        "the open ticket takes further messages"
    );

    // An agent answers: the ticket now waits for the customer and the waiting time is known.
    let (agent_id, agent) = app.user_with_role(&s.admin, "agent@example.com", "agent").await;
    let reply = app
        .post(
            "/api/v1/messages",
            &agent,
            json!({"contact_id": s.contact, "text": "Olá! Como posso ajudar?"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(
        (reply.body["status"].clone(), reply.body["user_id"].clone()),
        (json!("queued"), json!(agent_id))
    );
    assert_eq!(reply.body["ticket_id"], ticket_id.as_str());
    let ticket = app.get(&format!("/api/v1/tickets/{ticket_id}"), &s.admin).await;
    assert_eq!(ticket.body["status"], "pending");
    assert_eq!(ticket.body["unread_count"], 2);
    assert!(ticket.body["first_reply_at"].is_string());
    assert!(ticket.body["metrics"]["waiting_secs"].is_u64());
    assert_eq!(ticket.body["last_message_id"], reply.body["id"]);
    // The customer writes again: back to open.
    inbound(&app, &s, "Meu pedido não chegou").await;
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{ticket_id}"), &s.admin).await.body["status"],
        "open"
    );

    // The timeline holds the opening event and the four messages, in order.
    let timeline = app
        .get(&format!("/api/v1/tickets/{ticket_id}/messages"), &s.admin)
        .await;
    let kinds: Vec<&str> = timeline.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["ticket_event", "text", "text", "text", "text"]);
    assert_eq!(timeline.body["data"][0]["payload"]["action"], "opened");
    let contact = app.get(&format!("/api/v1/contacts/{}", s.contact), &s.admin).await;
    assert_eq!(contact.body["unread_count"], 3);
    assert!(contact.body["last_message_at"].is_string());

    // Events: one ticket.opened, a message.created per message (the ticket event included).
    let events = app.events(&s.admin, None).await;
    let count = |name: &str| events.iter().filter(|e| e.name == name).count();
    assert_eq!(count("ticket.opened"), 1);
    assert_eq!(count("message.created"), 5);
    let opened = events.iter().find(|e| e.name == "ticket.opened").expect("opened");
    assert_eq!(opened.data["protocol"], ticket.body["protocol"]);
    assert_eq!(opened.data["department_id"], s.department.as_str());
}

#[tokio::test]
async fn outbound_messages_open_tickets_unless_told_not_to_and_notes_never_do() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let note = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "type": "note", "text": "cliente antigo"}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    assert_eq!(
        (note.body["ticket_id"].clone(), note.body["status"].clone()),
        (Value::Null, Value::Null)
    );
    let quiet = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "text": "Aviso", "dont_open_ticket": "true"}),
        )
        .await;
    assert_eq!(quiet.status, StatusCode::CREATED, "{}", quiet.body);
    assert_eq!(quiet.body["ticket_id"], Value::Null);
    assert_eq!(app.get("/api/v1/tickets", &s.admin).await.body["data"], json!([]));

    let sent = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "text": "Olá"}),
        )
        .await;
    let ticket_id = sent.str("ticket_id").to_owned();
    let me = app.get("/api/v1/me", &s.admin).await;
    let ticket = app.get(&format!("/api/v1/tickets/{ticket_id}"), &s.admin).await;
    assert_eq!(
        ticket.body["user_id"], me.body["id"],
        "the sender takes the ticket it opens"
    );
    assert_eq!(ticket.body["status"], "pending");
    let history = app.get(&format!("/api/v1/tickets/{ticket_id}/history"), &s.admin).await;
    assert_eq!(history.body["data"][0]["action"], "opened");
    assert_eq!(history.body["data"][0]["by_user_id"], me.body["id"]);
    // A note now lands in the open ticket.
    let later = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "type": "note", "text": "ligar amanhã"}),
        )
        .await;
    assert_eq!(later.body["ticket_id"], ticket_id.as_str());
}

#[tokio::test]
async fn blocked_contacts_keep_their_messages_but_open_nothing_and_get_nothing() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    app.post(
        &format!("/api/v1/contacts/{}/block", s.contact),
        &s.admin,
        json!({"reason": "spam"}),
    )
    .await;
    let received = inbound(&app, &s, "compre agora!!!").await;
    assert_eq!(received.status, StatusCode::CREATED, "{}", received.body);
    assert_eq!(received.body["ticket_id"], Value::Null);
    assert_eq!(app.get("/api/v1/tickets", &s.admin).await.body["data"], json!([]));
    app.post(
        "/api/v1/messages",
        &s.admin,
        json!({"contact_id": s.contact, "text": "pare"}),
    )
    .await
    .assert_problem(409, "contact_blocked");
    let note = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "type": "note", "text": "bloqueado por spam"}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "internal notes are still possible");
    let timeline = app
        .get(&format!("/api/v1/contacts/{}/messages", s.contact), &s.admin)
        .await;
    assert_eq!(timeline.body["data"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn transfer_close_and_reopen_with_history_and_protocols_never_reused() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let sales = app
        .post("/api/v1/departments", &s.admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let (agent_id, _) = app.user_with_role(&s.admin, "agent@example.com", "agent").await;
    let topic = app
        .post("/api/v1/ticket-topics", &s.admin, json!({"name": "Venda realizada"}))
        .await;
    assert_eq!(topic.status, StatusCode::CREATED, "{}", topic.body);
    let topic = topic.str("id").to_owned();
    let ticket_id = inbound(&app, &s, "quero comprar").await.str("ticket_id").to_owned();
    let path = |action: &str| format!("/api/v1/tickets/{ticket_id}/{action}");

    app.post(&path("transfer"), &s.admin, json!({"comment": "x"}))
        .await
        .assert_problem(422, "validation_failed");
    let moved = app
        .post(
            &path("transfer"),
            &s.admin,
            json!({"department_id": sales, "user_id": agent_id, "comment": "cliente quer comprar"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(
        (moved.body["department_id"].clone(), moved.body["user_id"].clone()),
        (json!(sales), json!(agent_id))
    );
    app.post(&path("priority"), &s.admin, json!({"priority": 5}))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        app.post(&path("priority"), &s.admin, json!({"priority": 3})).await.body["priority"],
        3
    );
    app.post(&path("snooze"), &s.admin, json!({"until": "2020-01-01T00:00:00Z"}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&path("close"), &s.admin, json!({"topic_ids": [uuid::Uuid::now_v7()]}))
        .await
        .assert_problem(422, "validation_failed");

    let closed = app.post(&path("close"), &s.admin, json!({"topic_ids": [topic]})).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert_eq!(closed.body["status"], "resolved");
    assert_eq!(closed.body["topic_ids"], json!([topic]));
    assert!(closed.body["ended_at"].is_string() && closed.body["metrics"]["total_secs"].is_u64());
    // Not open any more: transfer and close answer 409.
    app.post(&path("close"), &s.admin, json!({}))
        .await
        .assert_problem(409, "ticket_not_open");
    app.post(&path("transfer"), &s.admin, json!({"department_id": sales}))
        .await
        .assert_problem(409, "ticket_not_open");

    let history = app.get(&path("history"), &s.admin).await;
    let actions: Vec<&str> = history.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(actions, ["opened", "transferred", "priority_changed", "closed"]);
    let transfer = &history.body["data"][1];
    assert_eq!(transfer["from_department_id"], s.department.as_str());
    assert_eq!(transfer["to_department_id"], sales.as_str());
    assert_eq!(transfer["to_user_id"], agent_id.as_str());
    assert_eq!(transfer["comment"], "cliente quer comprar");
    let timeline = app.get(&path("messages"), &s.admin).await;
    let events_in_timeline = timeline.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|m| m["type"] == "ticket_event")
        .count();
    assert_eq!(events_in_timeline, 4);
    let names = app.event_names(&s.admin, &ticket_id).await;
    assert_eq!(
        names,
        ["ticket.opened", "ticket.transferred", "ticket.updated", "ticket.closed"]
    );

    // The next message opens a new ticket with a new protocol.
    let next = inbound(&app, &s, "outra dúvida").await.str("ticket_id").to_owned();
    assert_ne!(next, ticket_id);
    let (old_protocol, new_protocol) = (
        closed.str("protocol").to_owned(),
        app.get(&format!("/api/v1/tickets/{next}"), &s.admin)
            .await
            .str("protocol")
            .to_owned(),
    );
    assert!(new_protocol > old_protocol, "{old_protocol} then {new_protocol}");
    // The old one cannot reopen while the new one is open; it can after.
    app.post(&path("reopen"), &s.admin, json!({}))
        .await
        .assert_problem(409, "another_ticket_open");
    app.post(&format!("/api/v1/tickets/{next}/reopen"), &s.admin, json!({}))
        .await
        .assert_problem(409, "ticket_open");
    app.post(&format!("/api/v1/tickets/{next}/close"), &s.admin, json!({}))
        .await;
    let reopened = app.post(&path("reopen"), &s.admin, json!({})).await;
    assert_eq!(
        (reopened.status, reopened.body["status"].clone()),
        (StatusCode::OK, json!("open"))
    );
    assert_eq!(
        app.get("/api/v1/tickets?status=open,pending", &s.admin).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        app.get("/api/v1/tickets?status=resolved", &s.admin).await.body["data"][0]["id"],
        next.as_str()
    );
    app.get("/api/v1/tickets?status=lost", &s.admin)
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn delivery_never_moves_backwards() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let sent = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "text": "Olá"}),
        )
        .await;
    let status_path = format!("/api/v1/messages/{}/status", sent.str("id"));
    let status = |body: Value| app.post(&status_path, &s.admin, body);
    for next in ["sent", "delivered", "read", "read"] {
        let r = status(json!({"status": next})).await;
        assert_eq!(
            (r.status, r.body["status"].clone()),
            (StatusCode::OK, json!(next)),
            "{}",
            r.body
        );
    }
    status(json!({"status": "delivered"}))
        .await
        .assert_problem(409, "status_regression");
    status(json!({"status": "failed", "error_code": "131026"}))
        .await
        .assert_problem(409, "status_regression");
    status(json!({"status": "lost"}))
        .await
        .assert_problem(422, "validation_failed");
    let got = app.get(&format!("/api/v1/messages/{}", sent.str("id")), &s.admin).await;
    assert_eq!(got.body["status"], "read", "refused reports changed nothing");
    let updates = app.event_names(&s.admin, sent.str("id")).await;
    assert_eq!(
        updates,
        [
            "message.created",
            "message.updated",
            "message.updated",
            "message.updated"
        ]
    );

    let other = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "text": "de novo"}),
        )
        .await;
    let failed = app
        .post(
            &format!("/api/v1/messages/{}/status", other.str("id")),
            &s.admin,
            json!({"status": "failed", "error_code": "131047", "error_text": "Re-engagement message"}),
        )
        .await;
    assert_eq!(
        (failed.body["status"].clone(), failed.body["error_code"].clone()),
        (json!("failed"), json!("131047"))
    );
    let note = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": s.contact, "type": "note", "text": "interno"}),
        )
        .await;
    app.post(
        &format!("/api/v1/messages/{}/status", note.str("id")),
        &s.admin,
        json!({"status": "sent"}),
    )
    .await
    .assert_problem(409, "not_delivered");
}

#[tokio::test]
async fn duplicate_external_ids_are_refused_per_connection() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let body = json!({"contact_id": s.contact, "direction": "inbound", "text": "oi", "external_id": "wamid.ABC"});
    let first = app.post("/api/v1/messages", &s.admin, body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = app.post("/api/v1/messages", &s.admin, body).await;
    again.assert_problem(409, "external_id_taken");
    assert_eq!(again.body["existing_id"], first.body["id"]);
    let timeline = app
        .get(&format!("/api/v1/contacts/{}/messages", s.contact), &s.admin)
        .await;
    let texts = timeline.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|m| m["type"] == "text")
        .count();
    assert_eq!(texts, 1, "the duplicate was not stored");
    // The same id on another connection is another message.
    let other = app.connection(&s.admin, "WA 2").await;
    let contact = app
        .post(
            "/api/v1/contacts",
            &s.admin,
            json!({"name": "X", "connection_id": other}),
        )
        .await
        .str("id")
        .to_owned();
    let r = app
        .post(
            "/api/v1/messages",
            &s.admin,
            json!({"contact_id": contact, "direction": "inbound", "text": "oi", "external_id": "wamid.ABC"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn bad_messages_and_foreign_ids() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let post = |body: Value| app.post("/api/v1/messages", &s.admin, body);
    for (body, field) in [
        (json!({"contact_id": s.contact}), "text"),
        (json!({"contact_id": s.contact, "text": "x".repeat(4097)}), "text"),
        (
            json!({"contact_id": s.contact, "type": "image", "text": "x"}),
            "media_id",
        ),
        (
            json!({"contact_id": s.contact, "type": "ticket_event", "text": "x"}),
            "type",
        ),
        (json!({"contact_id": s.contact, "type": "location"}), "payload"),
        (
            json!({"contact_id": s.contact, "type": "location", "payload": {"latitude": 123.0, "longitude": 0}}),
            "payload.latitude",
        ),
        (
            json!({"contact_id": s.contact, "type": "contacts", "payload": {"contacts": [{"phones": []}]}}),
            "payload.contacts[0].name.formatted_name",
        ),
        (json!({"contact_id": s.contact, "type": "fax", "text": "x"}), "type"),
        (
            json!({"contact_id": s.contact, "text": "x", "direction": "sideways"}),
            "direction",
        ),
        (
            json!({"contact_id": s.contact, "text": "x", "origin": "contact"}),
            "origin",
        ),
        (json!({"text": "x"}), "contact_id"),
        (json!({"contact_id": uuid::Uuid::now_v7(), "text": "x"}), "contact_id"),
        (
            json!({"contact_id": s.contact, "text": "x", "dont_open_ticket": "perhaps"}),
            "dont_open_ticket",
        ),
    ] {
        let r = post(body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.body);
    }
    let location =
        post(json!({"contact_id": s.contact, "type": "location", "payload": {"latitude": -23.5, "longitude": -46.6}}))
            .await;
    assert_eq!(location.status, StatusCode::CREATED, "{}", location.body);

    let (_, agent) = app.user_with_role(&s.admin, "agent@example.com", "agent").await;
    app.post(
        "/api/v1/messages",
        &agent,
        json!({"contact_id": s.contact, "direction": "inbound", "text": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");

    let ticket_id = location.str("ticket_id").to_owned();
    let b = app.second_account("b@example.com").await;
    app.get(&format!("/api/v1/tickets/{ticket_id}"), &b)
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/tickets/{ticket_id}/close"), &b, json!({}))
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/tickets/{ticket_id}/messages"), &b)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/messages/{}", location.str("id")), &b)
        .await
        .assert_problem(404, "not_found");
    let foreign = app
        .post("/api/v1/messages", &b, json!({"contact_id": s.contact, "text": "x"}))
        .await;
    assert_eq!(foreign.body["errors"][0]["code"], "not_found");
    assert_eq!(app.get("/api/v1/tickets", &b).await.body["data"], json!([]));
    // Each account numbers its own tickets.
    let b_connection = app.connection(&b, "B").await;
    let b_contact = app
        .post(
            "/api/v1/contacts",
            &b,
            json!({"name": "B", "connection_id": b_connection}),
        )
        .await
        .str("id")
        .to_owned();
    let b_ticket = app
        .post("/api/v1/messages", &b, json!({"contact_id": b_contact, "text": "oi"}))
        .await
        .str("ticket_id")
        .to_owned();
    let protocol = app
        .get(&format!("/api/v1/tickets/{b_ticket}"), &b)
        .await
        .str("protocol")
        .to_owned();
    assert!(protocol.ends_with("000001"), "{protocol}");
}

#[tokio::test]
async fn concurrent_messages_share_one_ticket() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..12 {
        let request = app
            .client
            .post(app.url("/api/v1/messages"))
            .bearer_auth(&s.admin)
            .json(&json!({"contact_id": s.contact, "direction": "inbound", "text": format!("mensagem {i}")}));
        sends.spawn(async move { Response::read(request.send().await.expect("sent")).await });
    }
    let mut tickets: Vec<String> = sends
        .join_all()
        .await
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.str("ticket_id").to_owned()
        })
        .collect();
    tickets.dedup();
    assert_eq!(tickets.len(), 1, "one ticket for all: {tickets:?}");
    let listed = app.get("/api/v1/tickets", &s.admin).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body["data"][0]["unread_count"], 12);
    let events = app.events(&s.admin, None).await;
    assert_eq!(events.iter().filter(|e| e.name == "ticket.opened").count(), 1);
}

#[tokio::test]
async fn messages_are_edited_revoked_and_reacted_to_by_the_right_people() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (_, agent) = app.user_with_role(&s.admin, "agent@example.com", "agent").await;
    let mine = app
        .post(
            "/api/v1/messages",
            &agent,
            json!({"contact_id": s.contact, "text": "Olá, tudo bem?"}),
        )
        .await;
    let path = format!("/api/v1/messages/{}", mine.str("id"));

    let edited = app.patch(&path, &agent, json!({"text": "Olá! Tudo bem?"})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(edited.body["text"], "Olá! Tudo bem?");
    assert!(edited.body["edited_at"].is_string());
    app.patch(&path, &s.admin, json!({"text": "not mine"}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&path, &agent, json!({"text": " "}))
        .await
        .assert_problem(422, "validation_failed");

    let received = inbound(&app, &s, "Tudo ótimo").await;
    let received_path = format!("/api/v1/messages/{}", received.str("id"));
    app.delete(&received_path, &s.admin)
        .await
        .assert_problem(409, "not_revocable");
    let revoked = app.delete(&path, &s.admin).await;
    assert_eq!(
        revoked.status,
        StatusCode::OK,
        "an admin revokes anyone's: {}",
        revoked.body
    );
    assert!(revoked.body["revoked_at"].is_string());
    assert_eq!(
        app.delete(&path, &agent).await.body["revoked_at"],
        revoked.body["revoked_at"],
        "again: no change"
    );
    app.patch(&path, &agent, json!({"text": "x"}))
        .await
        .assert_problem(409, "message_revoked");

    let reaction = app
        .post(&format!("{received_path}/reactions"), &agent, json!({"emoji": "👍"}))
        .await;
    assert_eq!(reaction.status, StatusCode::CREATED, "{}", reaction.body);
    assert_eq!(reaction.body["type"], "reaction");
    assert_eq!(reaction.body["quoted_message_id"], received.body["id"]);
    assert_eq!(reaction.body["payload"]["emoji"], "👍");
    let undo = app
        .post(&format!("{received_path}/reactions"), &agent, json!({"emoji": ""}))
        .await;
    assert_eq!(undo.body["payload"]["emoji"], "");
    app.post(&format!("{received_path}/reactions"), &agent, json!({"emoji": "ok"}))
        .await
        .assert_problem(422, "validation_failed");
    let reaction_path = format!("/api/v1/messages/{}/reactions", reaction.str("id"));
    app.post(&reaction_path, &agent, json!({"emoji": "👍"}))
        .await
        .assert_problem(409, "not_reactable");
    let names = app.event_names(&s.admin, mine.str("id")).await;
    assert_eq!(names, ["message.created", "message.updated", "message.updated"]);
}

#[tokio::test]
async fn snoozed_tickets_wake_when_their_time_comes() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let ticket_id = inbound(&app, &s, "me lembra amanhã").await.str("ticket_id").to_owned();
    let snoozed = app
        .post(
            &format!("/api/v1/tickets/{ticket_id}/snooze"),
            &s.admin,
            json!({"until": "2999-01-01T09:00:00-03:00"}),
        )
        .await;
    assert_eq!(snoozed.body["status"], "snoozed");
    assert_eq!(
        app.service().wake_snoozed_tickets(100).await.expect("wake"),
        0,
        "not yet"
    );

    // Time passes: move the snooze into the past, as the clock would.
    let account = balcao_core::AccountId(app.account_of(&s.admin).await);
    let id = balcao_core::TicketId(uuid::Uuid::parse_str(&ticket_id).expect("id"));
    let store = app.service().store();
    let mut tx = store.begin().await.expect("begin");
    let mut ticket = balcao_store::tickets::lock(&mut tx, account, id)
        .await
        .expect("read")
        .expect("ticket");
    ticket.snoozed_until = Some(balcao_core::Timestamp::from_micros(1));
    balcao_store::tickets::update(&mut tx, &ticket).await.expect("update");
    tx.commit().await.expect("commit");

    assert_eq!(app.service().wake_snoozed_tickets(100).await.expect("wake"), 1);
    let woke = app.get(&format!("/api/v1/tickets/{ticket_id}"), &s.admin).await;
    assert_eq!(
        (woke.body["status"].clone(), woke.body["snoozed_until"].clone()),
        (json!("open"), Value::Null)
    );
    let history = app.get(&format!("/api/v1/tickets/{ticket_id}/history"), &s.admin).await;
    let last = history.body["data"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (last["action"].clone(), last["by_user_id"].clone()),
        (json!("woke"), Value::Null)
    );
    assert_eq!(
        app.service().wake_snoozed_tickets(100).await.expect("wake"),
        0,
        "once only"
    );
    assert_eq!(
        app.event_names(&s.admin, &ticket_id).await.last().map(String::as_str),
        Some("ticket.updated")
    );
}
