use balcao_testkit::serde_json::{Value, json};
use balcao_testkit::{Response, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn personal_tokens_are_shown_once_work_and_revoke_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let created = app
        .post("/api/v1/tokens", &admin, json!({"name": "Integração CRM"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.str("token").to_owned();
    let id = created.str("id").to_owned();
    assert!(secret.starts_with("blc_pat_"));
    assert_eq!(created.body["last_used_at"], Value::Null);

    let me = app.get("/api/v1/me", &secret).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let shown = app.get(&format!("/api/v1/tokens/{id}"), &admin).await;
    assert!(shown.body.get("token").is_none(), "the secret is never shown again");
    assert!(
        shown.body["last_used_at"].is_string(),
        "use is recorded: {}",
        shown.body
    );
    let list = app.get("/api/v1/tokens", &admin).await;
    assert_eq!(list.body["data"][0]["name"], "Integração CRM");
    assert!(list.body["data"][0].get("token").is_none());

    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{id}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    app.get("/api/v1/me", &secret)
        .await
        .assert_problem(401, "token_revoked");
    app.get(&format!("/api/v1/tokens/{id}"), &admin)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.get("/api/v1/tokens", &admin).await.body["data"], json!([]));
}

#[tokio::test]
async fn allowed_domain_is_checked_against_origin_and_referer() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let created = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "site", "allowed_domain": "https://Example.com/"}),
        )
        .await;
    assert_eq!(created.body["allowed_domain"], "example.com");
    let secret = created.str("token").to_owned();
    let with = |header: &'static str, value: &'static str| {
        let req = app.client.get(app.url("/api/v1/me")).bearer_auth(&secret);
        async move {
            let req = if header.is_empty() {
                req
            } else {
                req.header(header, value)
            };
            Response::read(req.send().await.expect("sent")).await
        }
    };
    with("", "").await.assert_problem(403, "origin_not_allowed");
    with("origin", "https://evil.com")
        .await
        .assert_problem(403, "origin_not_allowed");
    with("origin", "https://example.com.evil.com")
        .await
        .assert_problem(403, "origin_not_allowed");
    assert_eq!(with("origin", "https://example.com").await.status, StatusCode::OK);
    assert_eq!(
        with("origin", "https://app.example.com:8443").await.status,
        StatusCode::OK
    );
    assert_eq!(
        with("referer", "https://example.com/painel?x=1").await.status,
        StatusCode::OK
    );
    app.post(
        "/api/v1/tokens",
        &admin,
        json!({"name": "x", "allowed_domain": "not a domain"}),
    )
    .await
    .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn token_input_is_validated() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    app.post("/api/v1/tokens", &admin, json!({}))
        .await
        .assert_problem(422, "validation_failed");
    let past = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "x", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    past.assert_problem(422, "validation_failed");
    assert_eq!(past.body["errors"][0]["code"], "in_the_past");
    app.post("/api/v1/tokens", &admin, json!({"name": "x", "expires_at": "tomorrow"}))
        .await
        .assert_problem(422, "validation_failed");
    let future = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"name": "x", "expires_at": "2999-01-01T00:00:00-03:00"}),
        )
        .await;
    assert_eq!(future.body["expires_at"], "2999-01-01T03:00:00.000Z");
}

#[tokio::test]
async fn agents_cannot_manage_tokens_of_others() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    let admins = app.post("/api/v1/tokens", &admin, json!({"name": "admin's"})).await;
    let admins_id = admins.str("id").to_owned();
    let agents = app.post("/api/v1/tokens", &agent, json!({"name": "agent's"})).await;
    let agents_id = agents.str("id").to_owned();

    app.get(&format!("/api/v1/tokens/{admins_id}"), &agent)
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/api/v1/tokens/{admins_id}"), &agent)
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/tokens?scope=account", &agent)
        .await
        .assert_problem(403, "forbidden");
    let mine = app.get("/api/v1/tokens", &agent).await;
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine.body["data"][0]["id"], agents_id.as_str());
    // The admin's token still works; the admin sees and revokes the agent's.
    assert_eq!(app.get("/api/v1/me", admins.str("token")).await.status, StatusCode::OK);
    let everyone = app.get("/api/v1/tokens?scope=account", &admin).await;
    assert_eq!(everyone.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{agents_id}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    app.get("/api/v1/me", agents.str("token"))
        .await
        .assert_problem(401, "token_revoked");
}
