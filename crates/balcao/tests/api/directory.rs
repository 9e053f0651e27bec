use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

#[tokio::test]
async fn organizations_people_and_their_contacts() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    let org = app
        .post(
            "/api/v1/organizations",
            &agent,
            json!({"name": "Padaria Pão Quente", "document": "11.222.333/0001-81"}),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.body);
    assert_eq!(org.body["document"], "11222333000181");
    let org = org.str("id").to_owned();
    app.post(
        "/api/v1/organizations",
        &agent,
        json!({"name": "x", "document": "11.222.333/0001-00"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post("/api/v1/organizations", &agent, json!({}))
        .await
        .assert_problem(422, "validation_failed");

    let person = app
        .post(
            "/api/v1/people",
            &agent,
            json!({"name": "Maria", "email": "Maria@Padaria.com", "organization_id": org}),
        )
        .await;
    assert_eq!(person.status, StatusCode::CREATED, "{}", person.body);
    assert_eq!(person.body["email"], "maria@padaria.com");
    let person = person.str("id").to_owned();
    let bad = app
        .post(
            "/api/v1/people",
            &agent,
            json!({"name": "X", "organization_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(bad.body["errors"][0]["field"], "organization_id");

    let wa = app.connection(&admin, "WA").await;
    let tg = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "telegram", "name": "Bot", "settings": {"bot_token": "1:a"}}),
        )
        .await
        .str("id")
        .to_owned();
    let mut contacts = Vec::new();
    for connection in [&wa, &tg] {
        let c = app
            .post(
                "/api/v1/contacts",
                &agent,
                json!({"name": "Maria", "connection_id": connection, "person_id": person, "organization_id": org}),
            )
            .await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
        assert_eq!(
            (c.body["person_id"].clone(), c.body["organization_id"].clone()),
            (json!(person), json!(org))
        );
        contacts.push(c.str("id").to_owned());
    }
    let by_person = app.get(&format!("/api/v1/contacts?person_id={person}"), &agent).await;
    assert_eq!(
        by_person.body["data"].as_array().map(Vec::len),
        Some(2),
        "one person, two channels"
    );
    let in_org = app.get(&format!("/api/v1/people?organization_id={org}"), &agent).await;
    assert_eq!(in_org.body["data"][0]["id"], person.as_str());

    let unlinked = app
        .patch(
            &format!("/api/v1/contacts/{}", contacts[1]),
            &agent,
            json!({"person_id": null}),
        )
        .await;
    assert_eq!(unlinked.body["person_id"], Value::Null);
    assert_eq!(unlinked.body["organization_id"], org.as_str(), "untouched");
    let renamed = app
        .patch(
            &format!("/api/v1/people/{person}"),
            &agent,
            json!({"name": "Maria Souza", "email": null}),
        )
        .await;
    assert_eq!(
        (renamed.body["name"].clone(), renamed.body["email"].clone()),
        (json!("Maria Souza"), Value::Null)
    );

    app.delete(&format!("/api/v1/organizations/{org}"), &agent)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.delete(&format!("/api/v1/organizations/{org}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    let after = app.get(&format!("/api/v1/contacts/{}", contacts[0]), &agent).await;
    assert_eq!(
        (after.status, after.body["organization_id"].clone()),
        (StatusCode::OK, Value::Null),
        "the contact stays, unlinked"
    );
    assert_eq!(
        app.get(&format!("/api/v1/people/{person}"), &agent).await.body["organization_id"],
        Value::Null
    );

    let b = app.second_account("b@example.com").await;
    app.get(&format!("/api/v1/people/{person}"), &b)
        .await
        .assert_problem(404, "not_found");
    let foreign = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "X", "connection_id": wa, "person_id": person}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::CREATED, "own person: {}", foreign.body);
    let b_wa = app.connection(&b, "B").await;
    let cross = app
        .post(
            "/api/v1/contacts",
            &b,
            json!({"name": "X", "connection_id": b_wa, "person_id": person}),
        )
        .await;
    assert_eq!(cross.body["errors"][0]["code"], "not_found");
}
