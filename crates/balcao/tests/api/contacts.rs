use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn phones_are_normalised_and_the_ninth_digit_makes_no_new_contact() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let other = app.connection(&admin, "WA 2").await;
    let ana = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Ana", "phone": "+55 11 8234-5678", "connection_id": wa}),
        )
        .await;
    assert_eq!(ana.status, StatusCode::CREATED, "{}", ana.body);
    assert_eq!(ana.body["phone"], "5511982345678");
    let ana_id = ana.str("id").to_owned();
    // The same number written with its ninth digit is the same contact.
    let again = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Ana again", "phone": "(11) 98234-5678", "connection_id": wa}),
        )
        .await;
    again.assert_problem(409, "phone_taken");
    assert_eq!(again.body["existing_id"], ana_id.as_str());
    // On another connection it is another contact.
    let elsewhere = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Ana", "phone": "11982345678", "connection_id": other}),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "{}", elsewhere.body);
    assert_eq!(app.event_names(&admin, &ana_id).await, ["contact.created"]);
}

#[tokio::test]
async fn invalid_contacts_are_422_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let r = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"phone": "12", "email": "nope", "document": "529.982.247-24", "connection_id": wa,
                   "tag_ids": [uuid::Uuid::now_v7()], "default_user_id": uuid::Uuid::now_v7()}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let mut fields: Vec<&str> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["default_user_id", "document", "email", "name", "phone", "tag_ids[0]"]
    );
    let missing = app.post("/api/v1/contacts", &admin, json!({"name": "x"})).await;
    assert_eq!(missing.body["errors"][0]["field"], "connection_id");
    let unknown = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "x", "connection_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(unknown.body["errors"][0]["code"], "not_found");
    let wrong_type = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "x", "connection_id": wa, "phone": 11912345678_u64}),
        )
        .await;
    wrong_type.assert_problem(422, "validation_failed");
    assert_eq!(wrong_type.body["errors"][0]["field"], "phone");
    // Another account's connection is as unknown as a missing one.
    let b = app.second_account("b@example.com").await;
    let b_wa = app.connection(&b, "B WA").await;
    let foreign = app
        .post("/api/v1/contacts", &admin, json!({"name": "x", "connection_id": b_wa}))
        .await;
    assert_eq!(foreign.body["errors"][0]["code"], "not_found");
    // An archived connection takes no new contacts.
    app.post(&format!("/api/v1/connections/{wa}/archive"), &admin, json!({}))
        .await;
    let archived = app
        .post("/api/v1/contacts", &admin, json!({"name": "x", "connection_id": wa}))
        .await;
    assert_eq!(archived.body["errors"][0]["code"], "archived");
    assert_eq!(app.get("/api/v1/contacts", &admin).await.body["data"], json!([]));
    assert!(
        app.events(&admin, None)
            .await
            .iter()
            .all(|e| !e.name.starts_with("contact."))
    );
}

#[tokio::test]
async fn contacts_update_block_and_delete_with_their_events() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let created = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "João", "phone": "11912345678", "connection_id": wa, "document": "529.982.247-25",
                   "email": "Joao@Example.com", "note": "VIP"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.str("id").to_owned();
    assert_eq!(created.body["document"], "52998224725");
    assert_eq!(created.body["email"], "joao@example.com");
    assert_eq!(created.body["blocked"], false);

    let patched = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            &admin,
            json!({"internal_name": "João (loja)", "note": null, "document": "11.222.333/0001-81"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["internal_name"], "João (loja)");
    assert_eq!(patched.body["note"], Value::Null);
    assert_eq!(patched.body["document"], "11222333000181");
    assert_eq!(patched.body["phone"], "5511912345678", "untouched fields stay");

    let blocked = app
        .post(
            &format!("/api/v1/contacts/{id}/block"),
            &admin,
            json!({"reason": "spam"}),
        )
        .await;
    assert_eq!(
        (blocked.body["blocked"].clone(), blocked.body["blocked_reason"].clone()),
        (json!(true), json!("spam"))
    );
    let only_blocked = app.get("/api/v1/contacts?blocked=true", &admin).await;
    assert_eq!(ids(&only_blocked.body), std::slice::from_ref(&id));
    let unblocked = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/contacts/{id}/unblock"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (
            unblocked.body["blocked"].clone(),
            unblocked.body["blocked_reason"].clone()
        ),
        (json!(false), Value::Null)
    );

    let events = app.events(&admin, Some(&id)).await;
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "contact.created",
            "contact.updated",
            "contact.updated",
            "contact.updated"
        ]
    );
    assert_eq!(events[0].data["phone"], "5511912345678");
    assert_eq!(events[1].data["internal_name"], "João (loja)");
    assert_eq!(events[2].data["blocked"], true);

    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    app.delete(&format!("/api/v1/contacts/{id}"), &agent)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.delete(&format!("/api/v1/contacts/{id}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/api/v1/contacts/{id}"), &admin)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.event_names(&admin, &id).await.last().map(String::as_str),
        Some("contact.deleted")
    );
}

#[tokio::test]
async fn search_by_name_phone_email_and_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let people = [
        ("Maria Silva", "11911110000", "maria@loja.com"),
        ("MARIO souza", "21922220000", "mario@example.com"),
        ("Carla 100%", "31933330000", "carla@example.com"),
    ];
    let mut created = Vec::new();
    for (name, phone, email) in people {
        let r = app
            .post(
                "/api/v1/contacts",
                &admin,
                json!({"name": name, "phone": phone, "email": email, "connection_id": wa}),
            )
            .await;
        created.push(r.str("id").to_owned());
    }
    let search = |q: &str| {
        let path = format!("/api/v1/contacts?q={q}");
        let (app, admin) = (&app, &admin);
        async move { app.get(&path, admin).await }
    };
    assert_eq!(
        ids(&search("mari").await.body),
        created[..2].to_vec(),
        "case-insensitive name match"
    );
    assert_eq!(ids(&search("2222").await.body), [created[1].clone()], "phone fragment");
    assert_eq!(ids(&search("%40loja").await.body), [created[0].clone()], "e-mail");
    assert_eq!(
        ids(&search("100%25").await.body),
        [created[2].clone()],
        "% is matched literally"
    );
    assert_eq!(ids(&search("zzz").await.body), Vec::<String>::new());
    let page = app.get("/api/v1/contacts?limit=2", &admin).await;
    assert_eq!(ids(&page.body), created[..2].to_vec());
    let next = page.body["next_after"].as_str().expect("more");
    assert_eq!(
        ids(&app
            .get(&format!("/api/v1/contacts?limit=2&after={next}"), &admin)
            .await
            .body),
        [created[2].clone()]
    );
    app.get("/api/v1/contacts?limit=101", &admin)
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn bulk_create_is_all_or_nothing_and_bulk_delete_spares_other_accounts() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let bad = app
        .post(
            "/api/v1/contacts/bulk",
            &admin,
            json!({"contacts": [
                {"name": "A", "phone": "11911111111", "connection_id": wa},
                {"name": "B", "phone": "not a phone", "connection_id": wa},
                {"name": "C", "phone": "+55 11 91111-1111", "connection_id": wa},
            ]}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(fields, ["contacts[1].phone", "contacts[2].phone"]);
    assert_eq!(
        app.get("/api/v1/contacts", &admin).await.body["data"],
        json!([]),
        "nothing was created"
    );
    app.post("/api/v1/contacts/bulk", &admin, json!({"contacts": []}))
        .await
        .assert_problem(422, "validation_failed");

    let contacts: Vec<Value> = (0..300)
        .map(|i| json!({"name": format!("Cliente {i}"), "phone": format!("1192000{i:04}"), "connection_id": wa}))
        .collect();
    let ok = app
        .post("/api/v1/contacts/bulk", &admin, json!({"contacts": contacts}))
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let created: Vec<String> = ids(&ok.body);
    assert_eq!(created.len(), 300);
    let events = app.events(&admin, None).await;
    assert_eq!(events.iter().filter(|e| e.name == "contact.created").count(), 300);

    let b = app.second_account("b@example.com").await;
    let b_wa = app.connection(&b, "B WA").await;
    let b_contact = app
        .post("/api/v1/contacts", &b, json!({"name": "B1", "connection_id": b_wa}))
        .await
        .str("id")
        .to_owned();
    let r = app
        .post(
            "/api/v1/contacts/bulk-delete",
            &admin,
            json!({"ids": [created[0], created[1], b_contact, uuid::Uuid::now_v7()]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut deleted: Vec<&str> = r.body["deleted"]
        .as_array()
        .expect("deleted")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    deleted.sort_unstable();
    let mut expected = vec![created[0].as_str(), created[1].as_str()];
    expected.sort_unstable();
    assert_eq!(deleted, expected);
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{b_contact}"), &b).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn foreign_contacts_are_404() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let b = app.second_account("b@example.com").await;
    let b_wa = app.connection(&b, "B WA").await;
    let b_contact = app
        .post("/api/v1/contacts", &b, json!({"name": "B1", "connection_id": b_wa}))
        .await
        .str("id")
        .to_owned();
    for r in [
        app.get(&format!("/api/v1/contacts/{b_contact}"), &admin).await,
        app.patch(&format!("/api/v1/contacts/{b_contact}"), &admin, json!({"name": "x"}))
            .await,
        app.post(&format!("/api/v1/contacts/{b_contact}/block"), &admin, json!({}))
            .await,
        app.delete(&format!("/api/v1/contacts/{b_contact}"), &admin).await,
    ] {
        r.assert_problem(404, "not_found");
    }
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{b_contact}"), &b).await.body["name"],
        "B1"
    );
}

#[tokio::test]
async fn group_contacts_have_members_with_admins() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let group = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Equipe Loja", "connection_id": wa, "is_group": true, "external_id": "120363-group"}),
        )
        .await;
    assert_eq!(group.body["is_group"], true);
    let path = format!("/api/v1/contacts/{}/members", group.str("id"));
    let set = app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"members": [{"phone": "(11) 91234-5678", "name": "Ana", "is_admin": true}, {"phone": "+55 21 8765-4321"}]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(
        set.body["members"],
        json!([{"phone": "5511912345678", "name": "Ana", "is_admin": true}, {"phone": "5521987654321", "name": null, "is_admin": false}])
    );
    assert_eq!(app.get(&path, &admin).await.body, set.body);
    let twice = app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"members": [{"phone": "11912345678"}, {"phone": "+55 11 91234-5678"}, {"phone": "x"}]})),
        )
        .await;
    twice.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = twice.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(fields, ["members[1].phone", "members[2].phone"]);
    assert_eq!(
        app.get(&path, &admin).await.body["members"].as_array().map(Vec::len),
        Some(2),
        "unchanged"
    );

    let person = app
        .post("/api/v1/contacts", &admin, json!({"name": "Ana", "connection_id": wa}))
        .await;
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/contacts/{}/members", person.str("id")),
        Some(&admin),
        Some(json!({"members": []})),
    )
    .await
    .assert_problem(409, "not_a_group");
    assert_eq!(
        app.event_names(&admin, group.str("id")).await,
        ["contact.created", "contact.members_updated"]
    );
}

/// Rows of SQLite's contact search index (its segments and their structure).
async fn search_index_rows(app: &TestApp) -> i64 {
    use sqlx::Connection;
    let mut db = sqlx::SqliteConnection::connect(&app.database_url())
        .await
        .expect("connect");
    sqlx::query_scalar("SELECT count(*) FROM contacts_search_data")
        .fetch_one(&mut db)
        .await
        .expect("the search index")
}

/// A contact's messages change its row (last message, unread count) but not what it is
/// searched by: its search entry is left alone. A rename moves it.
#[tokio::test]
async fn messages_leave_the_contact_search_entry_alone_and_a_rename_moves_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.connection(&admin, "WA").await;
    let contact = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Zeferino Prado", "phone": "11944440000", "connection_id": wa}),
        )
        .await
        .str("id")
        .to_owned();
    let sqlite = app.database_url().starts_with("sqlite:");
    let before = if sqlite { search_index_rows(&app).await } else { 0 };
    for i in 0..3 {
        let m = app
            .post(
                "/api/v1/messages",
                &admin,
                json!({"contact_id": contact, "direction": "inbound", "text": format!("oi {i}")}),
            )
            .await;
        assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
    }
    let row = app.get(&format!("/api/v1/contacts/{contact}"), &admin).await;
    assert_eq!(row.body["unread_count"], json!(3), "{}", row.body);
    if sqlite {
        assert_eq!(
            search_index_rows(&app).await,
            before,
            "messages rewrote the search entry"
        );
    }
    assert_eq!(
        ids(&app.get("/api/v1/contacts?q=zeferino", &admin).await.body),
        std::slice::from_ref(&contact)
    );

    let renamed = app
        .patch(
            &format!("/api/v1/contacts/{contact}"),
            &admin,
            json!({"name": "Quitéria Prado"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(
        ids(&app.get("/api/v1/contacts?q=quit", &admin).await.body),
        std::slice::from_ref(&contact)
    );
    assert_eq!(
        ids(&app.get("/api/v1/contacts?q=zeferino", &admin).await.body),
        Vec::<String>::new()
    );
    assert_eq!(ids(&app.get("/api/v1/contacts?q=4444", &admin).await.body), [contact]);
}
