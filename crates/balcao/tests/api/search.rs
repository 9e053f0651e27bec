//! Searching conversations by the words of their messages: whole words whatever the case and
//! accents, newest first, paged, with ticket and contact; edits, revocations, deletions and
//! other accounts respected; bad searches answered 4xx.

use balcao_testkit::serde_json::{Value, json};
use balcao_testkit::{Response, TestApp};

/// A connection and two contacts in the account of `admin`.
struct Setup {
    admin: String,
    contact: String,
    other: String,
}

async fn setup(app: &TestApp, admin: String) -> Setup {
    let connection = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "webchat", "name": "Site"}),
        )
        .await
        .str("id")
        .to_owned();
    let mut contacts = Vec::new();
    for (name, phone) in [("Cliente", "11912345678"), ("Outra", "11987654321")] {
        let c = app
            .post(
                "/api/v1/contacts",
                &admin,
                json!({"name": name, "phone": phone, "connection_id": connection}),
            )
            .await;
        assert_eq!(c.status, 201, "{}", c.body);
        contacts.push(c.str("id").to_owned());
    }
    let other = contacts.pop().expect("two contacts");
    let contact = contacts.pop().expect("two contacts");
    Setup { admin, contact, other }
}

async fn say(app: &TestApp, s: &Setup, contact: &str, body: Value) -> String {
    let mut body = body;
    body["contact_id"] = json!(contact);
    let m = app.post("/api/v1/messages", &s.admin, body).await;
    assert_eq!(m.status, 201, "{}", m.body);
    m.str("id").to_owned()
}

async fn search(app: &TestApp, token: &str, query: &str) -> Response {
    app.get(&format!("/api/v1/messages/search?{query}"), token).await
}

/// The ids of one page of hits for `q`.
async fn found(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let page = search(app, token, &format!("q={q}")).await;
    assert_eq!(page.status, 200, "{q}: {}", page.body);
    page.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn messages_are_found_by_whole_words_whatever_the_case_and_accents_newest_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let s = setup(&app, admin).await;
    let (c, o) = (s.contact.clone(), s.other.clone());
    let a = say(
        &app,
        &s,
        &c,
        json!({"direction": "inbound", "text": "Não recebi o boleto de março"}),
    )
    .await;
    let b = say(&app, &s, &c, json!({"text": "Gerei um novo BOLETO, confira o e-mail"})).await;
    let n = say(
        &app,
        &s,
        &c,
        json!({"type": "note", "text": "cliente pediu boleto por e-mail"}),
    )
    .await;
    let d = say(
        &app,
        &s,
        &o,
        json!({"direction": "inbound", "text": "boletos atrasados"}),
    )
    .await;
    let e = say(
        &app,
        &s,
        &o,
        json!({"direction": "inbound", "text": "o pedido 48213 nao chegou!"}),
    )
    .await;

    assert_eq!(
        found(&app, &s.admin, "boleto").await,
        [n.as_str(), b.as_str(), a.as_str()],
        "whole words, newest first"
    );
    assert_eq!(found(&app, &s.admin, "Boletos").await, [d.as_str()]);
    assert_eq!(
        found(&app, &s.admin, "N%C3%83O").await,
        [e.as_str(), a.as_str()],
        "NÃO finds não and nao"
    );
    assert_eq!(found(&app, &s.admin, "nao%20BOLETO").await, [a.as_str()], "every word");
    assert_eq!(found(&app, &s.admin, "boleto%20e-mail").await, [n.as_str(), b.as_str()]);
    assert_eq!(found(&app, &s.admin, "48213").await, [e.as_str()]);
    assert!(found(&app, &s.admin, "4821").await.is_empty(), "no fragments of words");
    assert!(found(&app, &s.admin, "pix").await.is_empty());

    // Each hit brings its ticket and contact.
    let page = search(&app, &s.admin, "q=48213").await;
    let hit = &page.body["data"][0];
    assert_eq!(hit["text"], "o pedido 48213 nao chegou!");
    assert_eq!(hit["contact"]["id"], o.as_str());
    assert_eq!(hit["contact"]["name"], "Outra");
    assert_eq!(hit["ticket"]["id"], hit["ticket_id"]);
    assert!(hit["ticket"]["protocol"].is_string(), "{hit}");
    let note = search(&app, &s.admin, "q=pediu").await;
    assert_eq!(note.body["data"][0]["ticket"]["id"], note.body["data"][0]["ticket_id"]);

    // Pages: `after` the last hit of the previous page.
    let first = search(&app, &s.admin, "q=boleto&limit=2").await;
    assert_eq!(first.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(first.body["next_after"], b.as_str());
    let second = search(&app, &s.admin, &format!("q=boleto&limit=2&after={b}")).await;
    assert_eq!(second.body["data"][0]["id"], a.as_str());
    assert_eq!(second.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(second.body["next_after"], Value::Null);

    // Edited messages are found by what they say now; revoked ones are not found.
    let edited = app
        .patch(
            &format!("/api/v1/messages/{b}"),
            &s.admin,
            json!({"text": "Segue a segunda via"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(found(&app, &s.admin, "boleto").await, [n.as_str(), a.as_str()]);
    assert_eq!(found(&app, &s.admin, "segunda%20via").await, [b.as_str()]);
    let revoked = app.delete(&format!("/api/v1/messages/{b}"), &s.admin).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert!(found(&app, &s.admin, "segunda").await.is_empty());

    // Another account's messages are not found; a deleted contact's are gone.
    let other_admin = app.second_account("admin@outra.example").await;
    let t = setup(&app, other_admin).await;
    let theirs = say(
        &app,
        &t,
        &t.contact,
        json!({"direction": "inbound", "text": "boleto da outra loja"}),
    )
    .await;
    assert_eq!(found(&app, &t.admin, "boleto").await, [theirs.as_str()]);
    assert_eq!(found(&app, &s.admin, "boleto").await, [n.as_str(), a.as_str()]);
    let deleted = app.delete(&format!("/api/v1/contacts/{c}"), &s.admin).await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    assert!(found(&app, &s.admin, "boleto").await.is_empty());
    assert_eq!(found(&app, &s.admin, "chegou").await, [e.as_str()]);
}

#[tokio::test]
async fn a_search_without_words_or_with_bad_paging_is_answered_4xx() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    search(&app, &admin, "").await.assert_problem(422, "validation_failed");
    search(&app, &admin, "q=%20%20")
        .await
        .assert_problem(422, "validation_failed");
    search(&app, &admin, "q=%3F!%20--")
        .await
        .assert_problem(422, "validation_failed");
    let many = vec!["palavra"; 17].join("%20");
    search(&app, &admin, &format!("q={many}"))
        .await
        .assert_problem(422, "validation_failed");
    let long = "a".repeat(65);
    search(&app, &admin, &format!("q={long}"))
        .await
        .assert_problem(422, "validation_failed");
    let bad_after = search(&app, &admin, "q=boleto&after=nope").await;
    assert_eq!(bad_after.status, 400, "{}", bad_after.body);
    let bad_limit = search(&app, &admin, "q=boleto&limit=0").await;
    assert!(bad_limit.status.is_client_error(), "{}", bad_limit.body);
    let ok = search(&app, &admin, "q=boleto").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["data"], json!([]));
    let anonymous = app
        .call(reqwest::Method::GET, "/api/v1/messages/search?q=boleto", None, None)
        .await;
    assert_eq!(anonymous.status, 401);
}
