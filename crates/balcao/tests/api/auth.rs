use balcao_testkit::serde_json::json;
use balcao_testkit::{ADMIN_EMAIL, ADMIN_PASSWORD, Response, TestApp};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn password_grant_answers_oauth_tokens_that_work() {
    let app = TestApp::spawn().await;
    let r = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert!(r.body["expires_in"].as_u64().is_some_and(|s| s > 0));
    assert!(r.str("refresh_token").starts_with("blc_rt_"));
    let me = app.get("/api/v1/me", r.str("access_token")).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    assert_eq!(me.body["role"], "admin");
    assert_eq!(me.body["account"]["name"], "Test account");
    assert_eq!(me.body["account"]["id"], me.body["account_id"]);
}

#[tokio::test]
async fn password_grant_accepts_form_encoding_and_any_email_case() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(app.url("/api/v1/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", "api"),
            ("client_secret", "secret"),
            ("username", "Admin@Example.COM"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .expect("sent");
    let r = Response::read(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.str("access_token").starts_with("blc_at_"));
}

#[tokio::test]
async fn refresh_grant_rotates_tokens() {
    let app = TestApp::spawn().await;
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let refresh = first.str("refresh_token").to_owned();
    let grant = json!({"grant_type": "refresh_token", "refresh_token": refresh});
    let second = app
        .call(Method::POST, "/api/v1/oauth/token", None, Some(grant.clone()))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_ne!(second.str("access_token"), first.str("access_token"));
    assert_eq!(
        app.get("/api/v1/me", second.str("access_token")).await.status,
        StatusCode::OK
    );
    // The old pair is gone: its refresh token cannot be replayed, its access token is dead.
    let replay = app.call(Method::POST, "/api/v1/oauth/token", None, Some(grant)).await;
    replay.assert_problem(400, "invalid_grant");
    assert_eq!(replay.body["error"], "invalid_grant");
    app.get("/api/v1/me", first.str("access_token"))
        .await
        .assert_problem(401, "invalid_token");
    let garbage = json!({"grant_type": "refresh_token", "refresh_token": "blc_rt_nope"});
    app.call(Method::POST, "/api/v1/oauth/token", None, Some(garbage))
        .await
        .assert_problem(400, "invalid_grant");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_the_same() {
    let app = TestApp::spawn().await;
    let wrong = app.login(ADMIN_EMAIL, "not-the-password").await;
    wrong.assert_problem(400, "invalid_grant");
    let unknown = app.login("nobody@example.com", ADMIN_PASSWORD).await;
    unknown.assert_problem(400, "invalid_grant");
    assert_eq!(wrong.body, unknown.body, "no hint whether the user exists");
}

#[tokio::test]
async fn bad_grant_requests_are_400() {
    let app = TestApp::spawn().await;
    let post = |body| app.call(Method::POST, "/api/v1/oauth/token", None, Some(body));
    post(json!({"grant_type": "client_credentials"}))
        .await
        .assert_problem(400, "unsupported_grant_type");
    post(json!({"grant_type": "password", "username": ADMIN_EMAIL}))
        .await
        .assert_problem(400, "invalid_request");
    post(json!({"username": ADMIN_EMAIL}))
        .await
        .assert_problem(400, "invalid_request");
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account_and_address() {
    let app = TestApp::spawn_with(|s| s.login_max_failures = 3).await;
    let other_admin = "other-admin@example.com";
    app.second_account(other_admin).await;
    for _ in 0..3 {
        app.login(ADMIN_EMAIL, "wrong-password")
            .await
            .assert_problem(400, "invalid_grant");
    }
    let limited = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    limited.assert_problem(429, "too_many_attempts");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry));
    // Another account from the same address is not affected.
    assert_eq!(app.login(other_admin, ADMIN_PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn missing_and_malformed_tokens_are_401() {
    let app = TestApp::spawn().await;
    let none = app.call(Method::GET, "/api/v1/me", None, None).await;
    none.assert_problem(401, "missing_token");
    assert!(none.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    let basic = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic YWRtaW46cHc=")
        .send()
        .await
        .expect("sent");
    Response::read(basic).await.assert_problem(401, "invalid_token");
    for token in [
        "garbage",
        "blc_at_",
        "blc_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "blc_pat_x",
    ] {
        app.get("/api/v1/me", token).await.assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn logout_revokes_the_session_at_once() {
    let app = TestApp::spawn().await;
    let r = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = r.str("access_token");
    assert_eq!(
        app.call(Method::POST, "/api/v1/oauth/logout", Some(token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.get("/api/v1/me", token).await.assert_problem(401, "token_revoked");
    let grant = json!({"grant_type": "refresh_token", "refresh_token": r.str("refresh_token")});
    app.call(Method::POST, "/api/v1/oauth/token", None, Some(grant))
        .await
        .assert_problem(400, "invalid_grant");
}

#[tokio::test]
async fn expired_access_tokens_are_401_and_refresh_still_works() {
    let app = TestApp::spawn_with(|s| s.access_token_ttl_secs = 0).await;
    let r = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.get("/api/v1/me", r.str("access_token"))
        .await
        .assert_problem(401, "token_expired");
    let grant = json!({"grant_type": "refresh_token", "refresh_token": r.str("refresh_token")});
    let refreshed = app.call(Method::POST, "/api/v1/oauth/token", None, Some(grant)).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
}

#[tokio::test]
async fn archived_users_cannot_log_in_and_their_tokens_stop() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (agent_id, agent_token) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    let personal = app.post("/api/v1/tokens", &agent_token, json!({"name": "crm"})).await;
    let personal = personal.str("token").to_owned();
    let r = app
        .post(&format!("/api/v1/users/{agent_id}/archive"), &admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["archived"], true);
    app.get("/api/v1/me", &agent_token)
        .await
        .assert_problem(401, "token_revoked");
    app.get("/api/v1/me", &personal)
        .await
        .assert_problem(401, "invalid_token");
    app.login("agent@example.com", "user-password-1")
        .await
        .assert_problem(400, "invalid_grant");
    // Unarchived, the user logs in again and the personal token works again.
    let r = app
        .post(&format!("/api/v1/users/{agent_id}/unarchive"), &admin, json!({}))
        .await;
    assert_eq!(r.body["archived"], false);
    assert_eq!(app.get("/api/v1/me", &personal).await.status, StatusCode::OK);
    app.token_for("agent@example.com", "user-password-1").await;
}
