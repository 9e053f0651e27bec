use balcao_testkit::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let health = app.call(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let ready = app.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );

    let token = app.admin_token().await;
    let missing = uuid::Uuid::now_v7();
    app.get(&format!("/api/v1/users/{missing}"), &token).await;
    app.get(&format!("/api/v1/users/{missing}"), &token).await;
    let r = app.client.get(app.url("/metrics")).send().await.expect("sent");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
    let text = r.text().await.expect("text");
    assert!(
        text.contains(r#"balcao_http_requests_total{route="/api/v1/users/{id}",method="GET",status="404"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"balcao_http_requests_total{route="/api/v1/oauth/token",method="POST",status="200"} 1"#));
    assert!(text.contains(
        r#"balcao_http_request_duration_seconds_count{route="/api/v1/users/{id}",method="GET",status="404"} 2"#
    ));
    assert!(text.contains("# TYPE balcao_http_request_duration_seconds histogram"));
    let statements = balcao_testkit::counter(&text, "balcao_db_statements_total").expect("statement counter");
    assert!(statements > 0);
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.call(reqwest::Method::GET, "/readyz", None, None).await.status,
        StatusCode::OK
    );
    app.service().store().close().await;
    app.call(reqwest::Method::GET, "/readyz", None, None)
        .await
        .assert_problem(503, "database_unavailable");
    let health = app.call(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK, "the process is still up");
}

#[tokio::test]
async fn a_stopped_server_closes_its_port() {
    let mut app = TestApp::spawn().await;
    assert_eq!(
        app.call(reqwest::Method::GET, "/healthz", None, None).await.status,
        StatusCode::OK
    );
    app.stop().await;
    assert!(app.client.get(app.url("/healthz")).send().await.is_err());
}

#[tokio::test]
async fn openapi_document_covers_every_route() {
    let app = TestApp::spawn().await;
    let doc = app.call(reqwest::Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.str("openapi").starts_with("3.1"));
    let paths = doc.body["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/oauth/token", "post"),
        ("/api/v1/oauth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/users/{id}", "delete"),
        ("/api/v1/users/{id}/archive", "post"),
        ("/api/v1/departments", "post"),
        ("/api/v1/departments/{id}/unarchive", "post"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} documented"
        );
    }
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());
    assert!(doc.body["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn docs_page_loads_nothing_from_elsewhere() {
    let app = TestApp::spawn().await;
    let r = app.client.get(app.url("/api/docs")).send().await.expect("sent");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let html = r.text().await.expect("html");
    assert!(html.contains("/api/v1/openapi.json"));
    for external in ["src=\"http", "href=\"http", "@import", "src=\"//", "href=\"//"] {
        assert!(!html.contains(external), "docs page references {external}");
    }
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let body = br#"{"name": "Finished during shutdown"}"#;
    let head = format!(
        "POST /api/v1/departments HTTP/1.1\r\nHost: balcao\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&body[..10]).await.expect("part of the body");

    // Shut down while the request waits for the rest of its body; wait until the server no
    // longer accepts connections, so the request is known to be in flight across the shutdown.
    let addr = app.addr;
    let stopping = app.stop_in_background();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the listener closes");

    stream.write_all(&body[10..]).await.expect("rest of the body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("Finished during shutdown"));
    stopping.await.expect("server stopped");
}
