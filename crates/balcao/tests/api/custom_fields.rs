use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

async fn field(app: &TestApp, admin: &str, body: Value) -> String {
    let r = app.post("/api/v1/custom-fields", admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.str("id").to_owned()
}

#[tokio::test]
async fn field_definitions_are_checked() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let plan = field(
        &app,
        &admin,
        json!({"name": "Plano", "type": "select", "options": ["Ouro", "Prata"]}),
    )
    .await;
    let got = app.get(&format!("/api/v1/custom-fields/{plan}"), &admin).await;
    assert_eq!(
        (got.body["applies_to"].clone(), got.body["options"].clone()),
        (json!("contact"), json!(["Ouro", "Prata"]))
    );
    for (body, field) in [
        (json!({"name": "x", "type": "select"}), "options"),
        (json!({"name": "x", "type": "text", "options": ["a"]}), "options"),
        (json!({"name": "x", "type": "color"}), "type"),
        (json!({"name": "x", "type": "text", "applies_to": "user"}), "applies_to"),
        (
            json!({"name": "x", "type": "select", "options": ["a", "a"]}),
            "options[1]",
        ),
        (json!({"type": "text"}), "name"),
    ] {
        let r = app.post("/api/v1/custom-fields", &admin, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field, "{body}");
    }
    app.post(
        "/api/v1/custom-fields",
        &admin,
        json!({"name": "Plano", "type": "text"}),
    )
    .await
    .assert_problem(409, "name_taken");
    let same_name_on_tickets = app
        .post(
            "/api/v1/custom-fields",
            &admin,
            json!({"name": "Plano", "type": "text", "applies_to": "ticket"}),
        )
        .await;
    assert_eq!(same_name_on_tickets.status, StatusCode::CREATED, "names are per target");
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    app.post("/api/v1/custom-fields", &agent, json!({"name": "y", "type": "text"}))
        .await
        .assert_problem(403, "forbidden");
    let only_contacts = app.get("/api/v1/custom-fields?applies_to=contact", &agent).await;
    assert_eq!(only_contacts.body["data"].as_array().map(Vec::len), Some(1));
    let b = app.second_account("b@example.com").await;
    app.get(&format!("/api/v1/custom-fields/{plan}"), &b)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn contact_values_are_typed_merged_and_searchable() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let connection = app.connection(&admin, "WA").await;
    let points = field(&app, &admin, json!({"name": "Pontos", "type": "number"})).await;
    let birthday = field(&app, &admin, json!({"name": "Aniversário", "type": "date"})).await;
    let active = field(&app, &admin, json!({"name": "Ativo", "type": "boolean"})).await;
    let plan = field(
        &app,
        &admin,
        json!({"name": "Plano", "type": "select", "options": ["Ouro", "Prata"]}),
    )
    .await;
    let ticket_field = field(
        &app,
        &admin,
        json!({"name": "Pedido", "type": "text", "applies_to": "ticket"}),
    )
    .await;

    let created = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Ana", "connection_id": connection,
                   "custom_fields": {points.clone(): "1,5", birthday.clone(): "1990-05-17", plan.clone(): "Ouro"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.str("id").to_owned();
    assert_eq!(
        created.body["custom_fields"],
        json!({points.clone(): 1.5, birthday.clone(): "1990-05-17", plan.clone(): "Ouro"})
    );

    let bad = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Bia", "connection_id": connection,
                   "custom_fields": {points.clone(): "muitos", plan.clone(): "Bronze", ticket_field.clone(): "x", "nope": 1}}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let mut failures: Vec<String> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["field"].as_str().unwrap_or_default(),
                e["code"].as_str().unwrap_or_default()
            )
        })
        .collect();
    failures.sort();
    let mut expected = vec![
        format!("custom_fields.{points} invalid"),
        format!("custom_fields.{plan} invalid"),
        format!("custom_fields.{ticket_field} not_found"),
        "custom_fields.nope not_found".to_owned(),
    ];
    expected.sort();
    assert_eq!(failures, expected);

    let patched = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            &admin,
            json!({"custom_fields": {active.clone(): true, plan.clone(): null}}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(
        patched.body["custom_fields"],
        json!({points.clone(): 1.5, birthday.clone(): "1990-05-17", active.clone(): true})
    );
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}"), &admin).await.body["custom_fields"],
        patched.body["custom_fields"]
    );
    let events = app.events(&admin, Some(&id)).await;
    assert_eq!(
        events.last().map(|e| e.data["custom_fields"][&active].clone()),
        Some(json!(true))
    );

    let other = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Caio", "connection_id": connection, "custom_fields": {points.clone(): 7}}),
        )
        .await
        .str("id")
        .to_owned();
    let search = |field: &str, value: &str| {
        let path = format!("/api/v1/contacts?custom_field_id={field}&custom_field_value={value}");
        let (app, admin) = (&app, &admin);
        async move { app.get(&path, admin).await }
    };
    let sevens = search(&points, "7").await;
    assert_eq!(sevens.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(sevens.body["data"][0]["id"], other.as_str());
    assert_eq!(
        search(&points, "1.5").await.body["data"][0]["id"],
        id.as_str(),
        "1,5 and 1.5 are the same number"
    );
    assert_eq!(search(&active, "true").await.body["data"][0]["id"], id.as_str());
    search(&birthday, "17/05/1990")
        .await
        .assert_problem(422, "validation_failed");
    app.get(&format!("/api/v1/contacts?custom_field_id={points}"), &admin)
        .await
        .assert_problem(422, "validation_failed");

    // An archived field takes no values.
    app.patch(
        &format!("/api/v1/custom-fields/{points}"),
        &admin,
        json!({"archived": true}),
    )
    .await;
    let r = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            &admin,
            json!({"custom_fields": {points.clone(): 3}}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "not_found");
}

#[tokio::test]
async fn ticket_values_are_checked_and_kept_with_the_ticket() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let order = field(
        &app,
        &admin,
        json!({"name": "Pedido", "type": "number", "applies_to": "ticket"}),
    )
    .await;
    let contact_only = field(&app, &admin, json!({"name": "Plano", "type": "text"})).await;
    let connection = app.connection(&admin, "WA").await;
    let contact = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Ana", "connection_id": connection}),
        )
        .await
        .str("id")
        .to_owned();
    let ticket = app
        .post(
            "/api/v1/messages",
            &admin,
            json!({"contact_id": contact, "text": "Olá"}),
        )
        .await
        .str("ticket_id")
        .to_owned();
    let path = format!("/api/v1/tickets/{ticket}");
    let set = app
        .patch(&path, &admin, json!({"custom_fields": {order.clone(): "1234"}}))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["custom_fields"], json!({order.clone(): 1234}));
    assert_eq!(
        app.get(&path, &admin).await.body["custom_fields"],
        json!({order.clone(): 1234})
    );
    let listed = app.get("/api/v1/tickets", &admin).await;
    assert_eq!(listed.body["data"][0]["custom_fields"], json!({order.clone(): 1234}));
    let wrong = app
        .patch(
            &path,
            &admin,
            json!({"custom_fields": {contact_only.clone(): "x", order.clone(): "abc"}}),
        )
        .await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(wrong.body["errors"].as_array().map(Vec::len), Some(2));
    app.patch(&path, &admin, json!({}))
        .await
        .assert_problem(422, "validation_failed");
    let cleared = app
        .patch(&path, &admin, json!({"custom_fields": {order.clone(): null}}))
        .await;
    assert_eq!(cleared.body["custom_fields"], json!({}));
    let events = app.events(&admin, Some(&ticket)).await;
    let last: Vec<(&str, Value)> = events[events.len() - 2..]
        .iter()
        .map(|e| (e.name.as_str(), e.data["custom_fields"].clone()))
        .collect();
    assert_eq!(
        last,
        [
            ("ticket.updated", json!({order.clone(): 1234})),
            ("ticket.updated", json!({}))
        ]
    );
}
