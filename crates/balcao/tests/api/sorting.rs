//! Sorted lists page with opaque cursors: every row once, in order, whatever the sort.

use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};

/// Follows `next_cursor` from `first` to the end, answering the value of `key` in each row.
async fn walk(app: &TestApp, token: &str, first: &str, key: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut path = first.to_owned();
    for _ in 0..50 {
        let page = app.get(&path, token).await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.body);
        seen.extend(
            page.body["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|r| r[key].as_str().unwrap_or_default().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return seen,
        }
    }
    panic!("paging did not end");
}

#[tokio::test]
async fn contacts_sort_by_name_and_by_last_message() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let mut ids = std::collections::HashMap::new();
    for name in ["carla", "ana", "eva", "bruno", "davi"] {
        let c = app
            .post("/api/v1/contacts", &admin, json!({"name": name, "connection_id": wa}))
            .await;
        ids.insert(name, c.str("id").to_owned());
    }
    assert_eq!(
        walk(&app, &admin, "/api/v1/contacts?sort=name&limit=2", "name").await,
        ["ana", "bruno", "carla", "davi", "eva"]
    );
    assert_eq!(
        walk(&app, &admin, "/api/v1/contacts?sort=-name&limit=2", "name").await,
        ["eva", "davi", "carla", "bruno", "ana"]
    );
    for name in ["davi", "ana"] {
        let body = json!({"contact_id": ids[name], "direction": "inbound", "text": "oi"});
        assert_eq!(app.post("/api/v1/messages", &admin, body).await.status.as_u16(), 201);
    }
    let by_message = walk(&app, &admin, "/api/v1/contacts?sort=-last_message_at&limit=2", "name").await;
    assert_eq!(&by_message[..2], ["ana", "davi"], "latest message first");
    assert_eq!(by_message.len(), 5, "then those without messages: {by_message:?}");
    let created = walk(&app, &admin, "/api/v1/contacts?limit=2", "name").await;
    assert_eq!(
        created,
        ["carla", "ana", "eva", "bruno", "davi"],
        "the default: oldest first"
    );
}

#[tokio::test]
async fn tickets_sort_by_activity_and_priority() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let mut tickets = Vec::new();
    for name in ["a", "b", "c", "d"] {
        let contact = app
            .post("/api/v1/contacts", &admin, json!({"name": name, "connection_id": wa}))
            .await
            .str("id")
            .to_owned();
        let body = json!({"contact_id": contact, "direction": "inbound", "text": "oi"});
        tickets.push(
            app.post("/api/v1/messages", &admin, body)
                .await
                .str("ticket_id")
                .to_owned(),
        );
    }
    // The first ticket changes last; the third becomes urgent.
    app.post(
        &format!("/api/v1/tickets/{}/priority", tickets[2]),
        &admin,
        json!({"priority": 3}),
    )
    .await;
    app.post(
        &format!("/api/v1/tickets/{}/priority", tickets[0]),
        &admin,
        json!({"priority": 2}),
    )
    .await;
    let inbox = walk(&app, &admin, "/api/v1/tickets?sort=-updated_at&limit=1", "id").await;
    assert_eq!(
        inbox,
        [
            tickets[0].clone(),
            tickets[2].clone(),
            tickets[3].clone(),
            tickets[1].clone()
        ]
    );
    let queue = walk(&app, &admin, "/api/v1/tickets?sort=updated_at&limit=3", "id").await;
    assert_eq!(
        queue,
        [
            tickets[1].clone(),
            tickets[3].clone(),
            tickets[2].clone(),
            tickets[0].clone()
        ]
    );
    let urgent = walk(&app, &admin, "/api/v1/tickets?sort=-priority&limit=2", "id").await;
    assert_eq!(&urgent[..2], [tickets[2].clone(), tickets[0].clone()]);
    assert_eq!(urgent.len(), 4);
    // Filters and sorts combine.
    let open = app.get("/api/v1/tickets?status=open&sort=-priority", &admin).await;
    assert_eq!(open.body["data"][0]["priority"], 3);
}

#[tokio::test]
async fn bad_sorts_and_cursors_are_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    for path in [
        "/api/v1/contacts?sort=age",
        "/api/v1/tickets?sort=name",
        "/api/v1/contacts?cursor=not-a-cursor",
        "/api/v1/contacts?sort=name&after=01a1fd11-64b6-728b-b7db-c56dbb077a0f",
    ] {
        let r = app.get(path, &admin).await;
        r.assert_problem(422, "validation_failed");
        assert!(
            matches!(r.body["errors"][0]["field"].as_str(), Some("sort" | "cursor" | "after")),
            "{path}: {}",
            r.body
        );
    }
    assert_eq!(
        app.get("/api/v1/contacts?sort=created", &admin).await.body["data"],
        Value::Array(vec![])
    );
}
