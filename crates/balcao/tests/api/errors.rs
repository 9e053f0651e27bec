//! Every error of the native API is a problem document with a stable code.

use balcao_testkit::serde_json::json;
use balcao_testkit::{Response, TestApp};

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Response {
    let r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent");
    Response::read(r).await
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    app.get("/api/v1/nothing-here", &token)
        .await
        .assert_problem(404, "route_not_found");
    app.get("/somewhere/else", &token)
        .await
        .assert_problem(404, "route_not_found");
    app.call(reqwest::Method::PUT, "/api/v1/me", Some(&token), None)
        .await
        .assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn broken_json_is_400_naming_the_problem() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let cases: [(&str, &str, &[u8], u16, &str); 5] = [
        (
            "/api/v1/departments",
            "application/json",
            b"{\"name\": \"x\"",
            400,
            "invalid_json",
        ),
        ("/api/v1/departments", "application/json", b"", 400, "invalid_json"),
        ("/api/v1/departments", "application/json", b"{} {}", 400, "invalid_json"),
        (
            "/api/v1/departments",
            "text/plain",
            b"{\"name\":\"x\"}",
            415,
            "unsupported_media_type",
        ),
        (
            "/api/v1/oauth/token",
            "application/json",
            b"{\"grant_type\":",
            400,
            "invalid_json",
        ),
    ];
    for (path, content_type, body, status, code) in cases {
        let r = raw(&app, reqwest::Method::POST, path, &token, content_type, body.to_vec()).await;
        r.assert_problem(status, code);
        if code == "invalid_json" && !body.is_empty() {
            assert!(r.str("detail").contains("line 1"), "the detail says where: {}", r.body);
        }
    }
    // Nothing was created by any of these.
    assert_eq!(app.get("/api/v1/departments", &token).await.body["data"], json!([]));
}

#[tokio::test]
async fn invalid_ids_in_paths_and_queries_are_400() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    for path in [
        "/api/v1/users/123",
        "/api/v1/departments/not-a-uuid",
        "/api/v1/tokens/%20",
    ] {
        let r = app.get(path, &token).await;
        r.assert_problem(400, "invalid_id");
    }
    app.delete("/api/v1/users/xyz", &token)
        .await
        .assert_problem(400, "invalid_id");
    app.get("/api/v1/users?after=nope", &token)
        .await
        .assert_problem(400, "invalid_query");
    app.get("/api/v1/users?archived=maybe", &token)
        .await
        .assert_problem(400, "invalid_query");
    app.get("/api/v1/users?limit=-1", &token)
        .await
        .assert_problem(400, "invalid_query");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = TestApp::spawn_with(|s| s.body_limit_bytes = 4096).await;
    let token = app.admin_token().await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(8192)).into_bytes();
    let r = raw(
        &app,
        reqwest::Method::POST,
        "/api/v1/departments",
        &token,
        "application/json",
        big,
    )
    .await;
    r.assert_problem(413, "payload_too_large");
    let small = json!({"name": "fits"});
    assert_eq!(
        app.post("/api/v1/departments", &token, small).await.status.as_u16(),
        201
    );
    assert_eq!(
        app.get("/api/v1/departments", &token).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

/// PostgreSQL cannot store NUL characters: a body holding one is refused up front, on every
/// backend, in each face's shape.
#[tokio::test]
async fn nul_characters_are_refused_with_400() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let connection = app.connection(&admin, "Site").await;
    let r = app
        .client
        .post(app.url("/api/v1/contacts"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"name\": \"Ana\", \"note\": \"a\\u0000b\", \"connection_id\": \"{connection}\"}}"
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST);
    // An escaped backslash before `u0000` is text, not a NUL.
    let r = app
        .client
        .post(app.url("/api/v1/contacts"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"name\": \"Ana\", \"note\": \"C:\\\\u0000\", \"connection_id\": \"{connection}\"}}"
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let d = app
        .client
        .post(app.url("/digisac/api/v1/contacts"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"internalName\": \"a\\u0000\", \"serviceId\": \"{connection}\"}}"
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(d.status(), reqwest::StatusCode::BAD_REQUEST);
    app.get("/api/v1/contacts?q=a%00b", &admin)
        .await
        .assert_problem(400, "nul_character");
}
