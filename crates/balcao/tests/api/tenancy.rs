//! No request reads or changes another account's data; a foreign id answers exactly as a
//! missing one.

use balcao_testkit::TestApp;
use balcao_testkit::serde_json::json;
use reqwest::StatusCode;

#[tokio::test]
async fn foreign_ids_answer_404_like_missing_ones() {
    let app = TestApp::spawn().await;
    let a = app.admin_token().await;
    let b = app.second_account("admin-b@example.com").await;
    let b_user = app
        .post(
            "/api/v1/users",
            &b,
            json!({"name": "B1", "email": "b1@example.com", "password": "password-1"}),
        )
        .await
        .str("id")
        .to_owned();
    let b_department = app
        .post("/api/v1/departments", &b, json!({"name": "B dept"}))
        .await
        .str("id")
        .to_owned();
    let b_token = app
        .post("/api/v1/tokens", &b, json!({"name": "B token"}))
        .await
        .str("id")
        .to_owned();
    let missing = uuid::Uuid::now_v7().to_string();

    for (resource, foreign) in [("users", &b_user), ("departments", &b_department), ("tokens", &b_token)] {
        let absent = app.get(&format!("/api/v1/{resource}/{missing}"), &a).await;
        absent.assert_problem(404, "not_found");
        let get = app.get(&format!("/api/v1/{resource}/{foreign}"), &a).await;
        assert_eq!(get.body, absent.body, "GET {resource}: foreign equals missing");
        let delete = app.delete(&format!("/api/v1/{resource}/{foreign}"), &a).await;
        delete.assert_problem(404, "not_found");
        assert_eq!(delete.body, absent.body);
    }
    for (resource, foreign) in [("users", &b_user), ("departments", &b_department)] {
        app.patch(
            &format!("/api/v1/{resource}/{foreign}"),
            &a,
            json!({"name": "taken over"}),
        )
        .await
        .assert_problem(404, "not_found");
        app.post(&format!("/api/v1/{resource}/{foreign}/archive"), &a, json!({}))
            .await
            .assert_problem(404, "not_found");
    }
    // A's lists hold none of B's rows, and B's rows are untouched.
    let users = app.get("/api/v1/users?archived=all", &a).await;
    assert!(
        users.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|u| u["id"] != b_user.as_str())
    );
    assert_eq!(
        app.get("/api/v1/departments?archived=all", &a).await.body["data"],
        json!([])
    );
    let still = app.get(&format!("/api/v1/users/{b_user}"), &b).await;
    assert_eq!(
        (still.status, still.body["name"].clone()),
        (StatusCode::OK, json!("B1"))
    );
    assert_eq!(
        app.get(&format!("/api/v1/departments/{b_department}"), &b).await.body["archived"],
        false
    );
    assert_eq!(
        app.get(&format!("/api/v1/tokens/{b_token}"), &b).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn another_accounts_department_cannot_be_joined() {
    let app = TestApp::spawn().await;
    let a = app.admin_token().await;
    let b = app.second_account("admin-b@example.com").await;
    let b_department = app
        .post("/api/v1/departments", &b, json!({"name": "B dept"}))
        .await
        .str("id")
        .to_owned();
    let r = app
        .post(
            "/api/v1/users",
            &a,
            json!({"name": "A1", "email": "a1@example.com", "password": "password-1", "department_ids": [b_department]}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "department_ids[0]");
    assert_eq!(r.body["errors"][0]["code"], "not_found");
}
