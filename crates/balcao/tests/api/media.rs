//! Media: uploads, inline files, per-type rules, and who may read them.

use balcao_testkit::serde_json::{Value, json};
use balcao_testkit::{Response, TestApp};
use base64::Engine;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

/// A minimal valid-looking JPEG (the bytes matter, not the picture).
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9";

async fn upload(app: &TestApp, token: &str, bytes: &[u8], mime: &str, name: &str) -> Response {
    let part = Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str(mime)
        .expect("mime");
    let r = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(token)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("sent");
    Response::read(r).await
}

async fn contact(app: &TestApp, admin: &str) -> String {
    let connection = app.connection(admin, "WA").await;
    app.post(
        "/api/v1/contacts",
        admin,
        json!({"name": "Cliente", "connection_id": connection}),
    )
    .await
    .str("id")
    .to_owned()
}

#[tokio::test]
async fn uploads_are_stored_once_and_served_to_their_account_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let r = upload(&app, &admin, JPEG, "image/jpeg", "../foto.jpg").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["mime_type"], "image/jpeg");
    assert_eq!(r.body["size"], JPEG.len());
    assert_eq!(r.body["file_name"], "foto.jpg", "no path survives");
    let id = r.str("id").to_owned();
    let again = upload(&app, &admin, JPEG, "image/jpeg", "copia.jpg").await;
    assert_eq!(again.body["sha256"], r.body["sha256"], "same content, same file");

    let content = app
        .client
        .get(app.url(&format!("/api/v1/media/{id}/content")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(content.status(), StatusCode::OK);
    assert_eq!(content.headers()["content-type"], "image/jpeg");
    assert_eq!(content.headers()["x-content-type-options"], "nosniff");
    assert_eq!(content.bytes().await.expect("bytes").as_ref(), JPEG);

    let b = app.second_account("b@example.com").await;
    app.get(&format!("/api/v1/media/{id}"), &b)
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/media/{id}/content"), &b)
        .await
        .assert_problem(404, "not_found");
    app.call(reqwest::Method::GET, &format!("/api/v1/media/{id}/content"), None, None)
        .await
        .assert_problem(401, "missing_token");
}

#[tokio::test]
async fn bad_uploads_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let no_file = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&admin)
        .multipart(Form::new().text("mime_type", "image/png"))
        .send()
        .await
        .expect("sent");
    Response::read(no_file).await.assert_problem(422, "validation_failed");
    let not_multipart = app.post("/api/v1/media", &admin, json!({"file": "x"})).await;
    not_multipart.assert_problem(415, "unsupported_media_type");
    let bad_type = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&admin)
        .multipart(
            Form::new()
                .part("file", Part::bytes(b"x".to_vec()).file_name("x.bin"))
                .text("mime_type", "not a type"),
        )
        .send()
        .await
        .expect("sent");
    let bad_type = Response::read(bad_type).await;
    bad_type.assert_problem(422, "validation_failed");
    assert_eq!(bad_type.body["errors"][0]["field"], "mime_type");
}

#[tokio::test]
async fn media_messages_follow_their_types_rules() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let contact = contact(&app, &admin).await;
    let jpeg = upload(&app, &admin, JPEG, "image/jpeg", "foto.jpg")
        .await
        .str("id")
        .to_owned();
    let sent = app
        .post(
            "/api/v1/messages",
            &admin,
            json!({"contact_id": contact, "type": "image", "media_id": jpeg, "text": "Segue a foto"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    assert_eq!(
        (sent.body["media_id"].clone(), sent.body["text"].clone()),
        (json!(jpeg), json!("Segue a foto"))
    );

    let text_file = upload(&app, &admin, b"hello", "text/plain", "a.txt")
        .await
        .str("id")
        .to_owned();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"type": "image", "media_id": text_file}),
            "media_id",
            "unsupported_type",
        ),
        (json!({"type": "image"}), "media_id", "required"),
        (
            json!({"type": "image", "media_id": uuid::Uuid::now_v7()}),
            "media_id",
            "not_found",
        ),
        (
            json!({"type": "audio", "media_id": jpeg, "text": "legenda"}),
            "text",
            "not_allowed",
        ),
        (
            json!({"type": "text", "text": "x", "media_id": jpeg}),
            "media_id",
            "not_allowed",
        ),
        (
            json!({"type": "document", "file": {"base64": "***", "mimetype": "application/pdf"}}),
            "file.base64",
            "invalid",
        ),
        (
            json!({"type": "document", "file": {"base64": "aGk="}}),
            "file.mime_type",
            "required",
        ),
    ];
    for (mut body, field, code) in cases {
        body["contact_id"] = json!(contact);
        let r = app.post("/api/v1/messages", &admin, body.clone()).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(
            (
                r.body["errors"][0]["field"].clone(),
                r.body["errors"][0]["code"].clone()
            ),
            (json!(field), json!(code)),
            "{body}"
        );
    }
    // An image over WhatsApp's 5 MiB limit, inline.
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 5 * 1024 * 1024 + 1]);
    let r = app
        .post(
            "/api/v1/messages",
            &admin,
            json!({"contact_id": contact, "type": "image", "file": {"base64": big, "mimetype": "image/jpeg"}}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["code"], "too_large");
}

#[tokio::test]
async fn inline_files_become_media_with_their_message() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let contact = contact(&app, &admin).await;
    let pdf = b"%PDF-1.4 nota fiscal";
    let encoded = format!(
        "data:application/pdf;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(pdf)
    );
    let sent = app
        .post(
            "/api/v1/messages",
            &admin,
            json!({"contact_id": contact, "type": "document", "text": "Sua nota",
                   "file": {"base64": encoded, "mimetype": "application/pdf", "name": "nota.pdf"}}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let media = app
        .get(&format!("/api/v1/media/{}", sent.str("media_id")), &admin)
        .await;
    assert_eq!(
        (media.body["mime_type"].clone(), media.body["file_name"].clone()),
        (json!("application/pdf"), json!("nota.pdf"))
    );
    let bytes = app
        .client
        .get(app.url(&format!("/api/v1/media/{}/content", sent.str("media_id"))))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(bytes.as_ref(), pdf);
    let created = app.events(&admin, Some(sent.str("id"))).await;
    assert_eq!(created[0].data["media_id"], sent.body["media_id"]);
}
