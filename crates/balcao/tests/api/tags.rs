use balcao_testkit::TestApp;
use balcao_testkit::serde_json::json;
use reqwest::StatusCode;

#[tokio::test]
async fn tags_are_managed_and_put_on_contacts() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let sales = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let vip = app
        .post(
            "/api/v1/tags",
            &admin,
            json!({"label": "VIP", "color": "#FFAA00", "department_ids": [sales]}),
        )
        .await;
    assert_eq!(vip.status, StatusCode::CREATED, "{}", vip.body);
    assert_eq!(vip.body["color"], "#ffaa00");
    assert_eq!(vip.body["department_ids"], json!([sales]));
    let vip = vip.str("id").to_owned();
    app.post("/api/v1/tags", &admin, json!({"label": "VIP"}))
        .await
        .assert_problem(409, "label_taken");
    app.post("/api/v1/tags", &admin, json!({"label": "x", "color": "red"}))
        .await
        .assert_problem(422, "validation_failed");
    let plain = app.post("/api/v1/tags", &admin, json!({"label": "Lead"})).await;
    assert_eq!(plain.body["color"], "#6b7280");

    let mut contacts = Vec::new();
    for name in ["A", "B", "C"] {
        contacts.push(
            app.post("/api/v1/contacts", &admin, json!({"name": name, "connection_id": wa}))
                .await
                .str("id")
                .to_owned(),
        );
    }
    let tagged = app
        .post(
            &format!("/api/v1/tags/{vip}/contacts"),
            &admin,
            json!({"contact_ids": [contacts[0], contacts[1]]}),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.body);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{}", contacts[0]), &admin).await.body["tag_ids"],
        json!([vip])
    );
    let with_tag = app.get(&format!("/api/v1/contacts?tag_id={vip}"), &admin).await;
    assert_eq!(with_tag.body["data"].as_array().map(Vec::len), Some(2));
    // Tagging again changes nothing but is fine; each change is one contact.updated per contact.
    app.post(
        &format!("/api/v1/tags/{vip}/contacts"),
        &admin,
        json!({"contact_ids": [contacts[0]]}),
    )
    .await;
    assert_eq!(
        app.event_names(&admin, &contacts[0]).await,
        ["contact.created", "contact.updated", "contact.updated"]
    );
    assert_eq!(app.event_names(&admin, &contacts[2]).await, ["contact.created"]);
    let events = app.events(&admin, Some(&contacts[1])).await;
    assert_eq!(events[1].data["tag_ids"], json!([vip]));

    let removed = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/tags/{vip}/contacts"),
            Some(&admin),
            Some(json!({"contact_ids": [contacts[0]]})),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{}", contacts[0]), &admin).await.body["tag_ids"],
        json!([])
    );

    // Unknown or foreign contact ids fail the whole request.
    let b = app.second_account("b@example.com").await;
    let b_wa = app.connection(&b, "B WA").await;
    let b_contact = app
        .post("/api/v1/contacts", &b, json!({"name": "B", "connection_id": b_wa}))
        .await
        .str("id")
        .to_owned();
    let r = app
        .post(
            &format!("/api/v1/tags/{vip}/contacts"),
            &admin,
            json!({"contact_ids": [contacts[2], b_contact]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "contact_ids[1]");
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{}", contacts[2]), &admin).await.body["tag_ids"],
        json!([])
    );
    app.get(&format!("/api/v1/tags/{vip}"), &b)
        .await
        .assert_problem(404, "not_found");

    // Deleting the tag takes it off every contact.
    assert_eq!(
        app.delete(&format!("/api/v1/tags/{vip}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{}", contacts[1]), &admin).await.body["tag_ids"],
        json!([])
    );
    assert_eq!(app.event_names(&admin, &vip).await, ["tag.created", "tag.deleted"]);
}

#[tokio::test]
async fn agents_tag_contacts_but_do_not_manage_tags() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    let wa = app.connection(&admin, "WA").await;
    let tag = app
        .post("/api/v1/tags", &admin, json!({"label": "Lead"}))
        .await
        .str("id")
        .to_owned();
    let contact = app
        .post("/api/v1/contacts", &agent, json!({"name": "C", "connection_id": wa}))
        .await;
    assert_eq!(
        contact.status,
        StatusCode::CREATED,
        "agents create contacts: {}",
        contact.body
    );
    let contact = contact.str("id").to_owned();
    app.post("/api/v1/tags", &agent, json!({"label": "x"}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/tags/{tag}"), &agent, json!({"label": "x"}))
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/api/v1/tags/{tag}"), &agent)
        .await
        .assert_problem(403, "forbidden");
    let r = app
        .post(
            &format!("/api/v1/tags/{tag}/contacts"),
            &agent,
            json!({"contact_ids": [contact]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
