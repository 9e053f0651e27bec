use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

#[tokio::test]
async fn admin_manages_departments() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let created = app
        .post("/api/v1/departments", &admin, json!({"name": "  Suporte  "}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], "Suporte");
    let id = created.str("id").to_owned();
    app.post("/api/v1/departments", &admin, json!({"name": "Suporte"}))
        .await
        .assert_problem(409, "name_taken");
    app.post("/api/v1/departments", &admin, json!({"name": " "}))
        .await
        .assert_problem(422, "validation_failed");
    app.post("/api/v1/departments", &admin, json!({}))
        .await
        .assert_problem(422, "validation_failed");

    let renamed = app
        .patch(
            &format!("/api/v1/departments/{id}"),
            &admin,
            json!({"name": "Atendimento"}),
        )
        .await;
    assert_eq!(renamed.body["name"], "Atendimento");
    let archived = app
        .post(&format!("/api/v1/departments/{id}/archive"), &admin, json!({}))
        .await;
    assert_eq!(archived.body["archived"], true);
    assert_eq!(app.get("/api/v1/departments", &admin).await.body["data"], json!([]));
    let all = app.get("/api/v1/departments?archived=all", &admin).await;
    assert_eq!(all.body["data"][0]["name"], "Atendimento");
    let back = app
        .post(&format!("/api/v1/departments/{id}/unarchive"), &admin, json!({}))
        .await;
    assert_eq!(back.body["archived_at"], Value::Null);
    assert_eq!(
        app.delete(&format!("/api/v1/departments/{id}"), &admin).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/api/v1/departments/{id}"), &admin)
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn lists_page_by_id() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D", "E"] {
        ids.push(
            app.post("/api/v1/departments", &admin, json!({"name": name}))
                .await
                .str("id")
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/departments?limit=2".to_owned();
    loop {
        let page = app.get(&path, &admin).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let data = page.body["data"].as_array().expect("data");
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|d| d["id"].as_str().unwrap_or_default().to_owned()));
        match page.body["next_after"].as_str() {
            Some(after) => path = format!("/api/v1/departments?limit=2&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every department once, in creation order");
    app.get("/api/v1/departments?limit=0", &admin)
        .await
        .assert_problem(422, "validation_failed");
    app.get("/api/v1/departments?limit=500", &admin)
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn agents_read_departments_but_cannot_change_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "supervisor").await;
    let id = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    assert_eq!(
        app.get(&format!("/api/v1/departments/{id}"), &agent).await.status,
        StatusCode::OK
    );
    app.post("/api/v1/departments", &agent, json!({"name": "X"}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/departments/{id}"), &agent, json!({"name": "X"}))
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/api/v1/departments/{id}"), &agent)
        .await
        .assert_problem(403, "forbidden");
}
