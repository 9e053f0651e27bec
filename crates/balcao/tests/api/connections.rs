use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

#[tokio::test]
async fn secret_settings_are_write_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let sales = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let created = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "whatsapp_cloud", "name": "WhatsApp Vendas", "default_department_id": sales,
                   "settings": {"phone_number_id": "109876", "access_token": "EAAG-very-secret",
                                "app_secret": "app-secret-value", "graph_api_url": "http://127.0.0.1:9/v24.0"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.str("id").to_owned();
    assert_eq!(created.body["type"], "whatsapp_cloud");
    assert_eq!(created.body["status"], "pending");
    assert_eq!(created.body["default_department_id"], sales.as_str());
    assert_eq!(
        created.body["settings"],
        json!({"phone_number_id": "109876", "graph_api_url": "http://127.0.0.1:9/v24.0"})
    );
    assert_eq!(created.body["secrets_set"], json!(["access_token", "app_secret"]));

    let fetched = app.get(&format!("/api/v1/connections/{id}"), &admin).await;
    assert_eq!(fetched.body, created.body);
    let listed = app.get("/api/v1/connections", &admin).await;
    for body in [&created.body, &fetched.body, &listed.body] {
        let text = body.to_string();
        assert!(
            !text.contains("EAAG-very-secret") && !text.contains("app-secret-value"),
            "{text}"
        );
    }

    // Rotate the token, drop the app secret, clear the department.
    let patched = app
        .patch(
            &format!("/api/v1/connections/{id}"),
            &admin,
            json!({"settings": {"access_token": "EAAG-rotated", "app_secret": null}, "default_department_id": null}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["secrets_set"], json!(["access_token"]));
    assert_eq!(patched.body["default_department_id"], Value::Null);
    let stored = app.service().store().clone();
    let account = balcao_core_account(&app, &admin).await;
    let connection = balcao_store::connections::get(
        &mut stored.read(),
        account,
        balcao_core::ConnectionId(uuid::Uuid::parse_str(&id).expect("id")),
    )
    .await
    .expect("read")
    .expect("found");
    assert_eq!(
        connection.settings["access_token"], "EAAG-rotated",
        "the connector gets the new secret"
    );

    // Events describe the connection without its secrets, once per change.
    let events = app.events(&admin, Some(&id)).await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["connection.created", "connection.updated"]);
    assert_eq!(events[0].data["settings"]["phone_number_id"], "109876");
    for e in &events {
        assert!(!e.data.to_string().contains("EAAG"), "{}", e.data);
    }
}

async fn balcao_core_account(app: &TestApp, token: &str) -> balcao_core::AccountId {
    balcao_core::AccountId(app.account_of(token).await)
}

#[tokio::test]
async fn invalid_connections_are_422_naming_each_setting() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let bad_type = app
        .post("/api/v1/connections", &admin, json!({"type": "fax", "name": "x"}))
        .await;
    bad_type.assert_problem(422, "validation_failed");
    assert_eq!(bad_type.body["errors"][0]["field"], "type");
    let r = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "telegram", "name": "Bot", "settings": {"bot_username": 42, "webhook": "x"},
                   "default_department_id": uuid::Uuid::now_v7()}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let mut fields: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    fields.sort();
    let expected: Vec<(String, String)> = [
        ("default_department_id", "not_found"),
        ("settings.bot_token", "required"),
        ("settings.bot_username", "invalid"),
        ("settings.webhook", "unknown_field"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(fields, expected);
    app.post(
        "/api/v1/connections",
        &admin,
        json!({"type": "webchat", "name": "Site", "settings": "x"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    // Removing a required setting is refused and changes nothing.
    let id = app.whatsapp_connection(&admin, "WA").await;
    app.patch(
        &format!("/api/v1/connections/{id}"),
        &admin,
        json!({"settings": {"access_token": null}}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let still = app.get(&format!("/api/v1/connections/{id}"), &admin).await;
    assert_eq!(still.body["secrets_set"], json!(["access_token"]));
    assert_eq!(app.event_names(&admin, &id).await, ["connection.created"]);
}

#[tokio::test]
async fn only_admins_manage_connections_and_lists_filter() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    let wa = app.connection(&admin, "WA").await;
    let tg = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "telegram", "name": "Bot", "settings": {"bot_token": "123:abc"}}),
        )
        .await;
    assert_eq!(tg.status, StatusCode::CREATED, "{}", tg.body);
    app.post("/api/v1/connections", &agent, json!({"type": "webchat", "name": "x"}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/connections/{wa}"), &agent, json!({"name": "y"}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get(&format!("/api/v1/connections/{wa}"), &agent).await.status,
        StatusCode::OK
    );
    let telegram = app.get("/api/v1/connections?type=telegram", &admin).await;
    assert_eq!(telegram.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(telegram.body["data"][0]["name"], "Bot");
    app.get("/api/v1/connections?type=fax", &admin)
        .await
        .assert_problem(422, "validation_failed");
    let archived = app
        .post(&format!("/api/v1/connections/{wa}/archive"), &admin, json!({}))
        .await;
    assert_eq!(archived.body["archived"], true);
    assert_eq!(
        app.get("/api/v1/connections", &admin).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // A foreign account sees nothing of it.
    let other = app.second_account("other@example.com").await;
    app.get(&format!("/api/v1/connections/{wa}"), &other)
        .await
        .assert_problem(404, "not_found");
    app.patch(&format!("/api/v1/connections/{wa}"), &other, json!({"name": "mine"}))
        .await
        .assert_problem(404, "not_found");
}
