use balcao_testkit::serde_json::{Value, json};
use balcao_testkit::{ADMIN_EMAIL, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn admin_manages_users_and_their_departments() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let sales = app.post("/api/v1/departments", &admin, json!({"name": "Vendas"})).await;
    let support = app
        .post("/api/v1/departments", &admin, json!({"name": "Suporte"}))
        .await;
    let (sales, support) = (sales.str("id").to_owned(), support.str("id").to_owned());

    let created = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"name": "Ana Souza", "email": "Ana@Example.com", "password": "senha-forte-1",
                   "role": "supervisor", "department_ids": [sales]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.str("id").to_owned();
    assert_eq!(created.body["email"], "ana@example.com");
    assert_eq!(created.body["role"], "supervisor");
    assert_eq!(created.body["department_ids"], json!([sales]));
    assert!(created.body.get("password").is_none() && created.body.get("password_hash").is_none());
    assert!(created.str("created_at").ends_with('Z'));
    assert_eq!(uuid::Uuid::parse_str(&id).expect("uuid").get_version_num(), 7);

    let got = app.get(&format!("/api/v1/users/{id}"), &admin).await;
    assert_eq!(got.body, created.body);

    let patched = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &admin,
            json!({"name": "Ana S.", "role": "agent", "department_ids": [support, sales]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["name"], "Ana S.");
    assert_eq!(patched.body["role"], "agent");
    let mut expected = vec![sales.clone(), support.clone()];
    expected.sort();
    let got = app.get(&format!("/api/v1/users/{id}"), &admin).await;
    assert_eq!(got.body["department_ids"], json!(expected));

    let list = app.get("/api/v1/users", &admin).await;
    assert_eq!(list.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(list.body["next_after"], Value::Null);

    let archived = app
        .post(&format!("/api/v1/users/{id}/archive"), &admin, json!({}))
        .await;
    assert!(archived.body["archived_at"].is_string());
    assert_eq!(
        app.get("/api/v1/users", &admin).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let only_archived = app.get("/api/v1/users?archived=archived", &admin).await;
    assert_eq!(only_archived.body["data"][0]["id"], id.as_str());
    assert_eq!(
        app.get("/api/v1/users?archived=all", &admin).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    assert_eq!(
        app.delete(&format!("/api/v1/users/{id}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/api/v1/users/{id}"), &admin)
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/api/v1/users/{id}"), &admin)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn duplicate_email_is_409_whatever_the_case() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let body = |email: &str| json!({"name": "X", "email": email, "password": "password-1"});
    assert_eq!(
        app.post("/api/v1/users", &admin, body("joao@example.com")).await.status,
        StatusCode::CREATED
    );
    app.post("/api/v1/users", &admin, body("JOAO@example.com"))
        .await
        .assert_problem(409, "email_taken");
    app.post("/api/v1/users", &admin, body(ADMIN_EMAIL))
        .await
        .assert_problem(409, "email_taken");
    // Changing someone's e-mail onto a taken one is a conflict too.
    let other = app.post("/api/v1/users", &admin, body("maria@example.com")).await;
    app.patch(
        &format!("/api/v1/users/{}", other.str("id")),
        &admin,
        json!({"email": "joao@example.com"}),
    )
    .await
    .assert_problem(409, "email_taken");
}

#[tokio::test]
async fn invalid_users_are_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let r = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "not-an-email", "password": "short", "role": "boss",
                   "department_ids": [uuid::Uuid::now_v7()]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    let fields: Vec<(&str, &str)> = r.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default(),
                e["code"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("name", "required"),
            ("email", "invalid"),
            ("password", "too_short"),
            ("role", "invalid"),
            ("department_ids[0]", "not_found"),
        ]
    );
    let wrong_type = app
        .post("/api/v1/users", &admin, json!({"name": ["x"], "email": "a@b.c"}))
        .await;
    wrong_type.assert_problem(422, "validation_failed");
    assert_eq!(wrong_type.body["errors"][0]["field"], "name");
    let bad_id = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"name": "x", "department_ids": ["nope"]}),
        )
        .await;
    bad_id.assert_problem(422, "validation_failed");
    assert_eq!(bad_id.body["errors"][0]["field"], "department_ids[0]");
    let blank = app
        .patch("/api/v1/users/00000000-0000-7000-8000-000000000000", &admin, json!({}))
        .await;
    blank.assert_problem(404, "not_found");
}

#[tokio::test]
async fn agents_cannot_manage_other_users() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (agent_id, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    let (other_id, _) = app.user_with_role(&admin, "other@example.com", "agent").await;
    let new_user = json!({"name": "X", "email": "x@example.com", "password": "password-1"});
    app.post("/api/v1/users", &agent, new_user)
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/users/{other_id}"), &agent, json!({"name": "Hacked"}))
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/api/v1/users/{other_id}"), &agent)
        .await
        .assert_problem(403, "forbidden");
    app.post(&format!("/api/v1/users/{other_id}/archive"), &agent, json!({}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/users/{agent_id}"), &agent, json!({"role": "admin"}))
        .await
        .assert_problem(403, "forbidden");
    // Their own name they may change, and they may read their colleagues.
    let own = app
        .patch(
            &format!("/api/v1/users/{agent_id}"),
            &agent,
            json!({"name": "Agente 1"}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert_eq!(
        app.get(&format!("/api/v1/users/{other_id}"), &agent).await.status,
        StatusCode::OK
    );
    let other = app.get(&format!("/api/v1/users/{other_id}"), &admin).await;
    assert_eq!(other.body["name"], "other@example.com", "nothing changed");
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let me = app.get("/api/v1/me", &admin).await;
    let my_id = me.str("id").to_owned();
    app.delete(&format!("/api/v1/users/{my_id}"), &admin)
        .await
        .assert_problem(409, "cannot_delete_self");
    app.post(&format!("/api/v1/users/{my_id}/archive"), &admin, json!({}))
        .await
        .assert_problem(409, "cannot_archive_self");
    app.patch(&format!("/api/v1/users/{my_id}"), &admin, json!({"role": "agent"}))
        .await
        .assert_problem(409, "last_admin");
    // With a second admin, the first may step down.
    app.user_with_role(&admin, "second-admin@example.com", "admin").await;
    let r = app
        .patch(&format!("/api/v1/users/{my_id}"), &admin, json!({"role": "supervisor"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn changing_a_password_ends_sessions_and_the_new_one_works() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    app.patch(&format!("/api/v1/users/{id}"), &agent, json!({"password": "tiny"}))
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &agent,
            json!({"password": "a-new-password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.get("/api/v1/me", &agent).await.assert_problem(401, "token_revoked");
    app.login("agent@example.com", "user-password-1")
        .await
        .assert_problem(400, "invalid_grant");
    app.token_for("agent@example.com", "a-new-password").await;
}
