//! The Graph API: token, phone number, sends and their validation, the 24-hour window, media.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn token_is_checked_on_every_graph_call() {
    let sim = sim().await;
    let phone = format!("{}/{}", sim.base_url(), sim.config().phone_number_id);
    for token in [None, Some("wrong-token")] {
        let answer = call(Method::GET, &phone, token, None).await;
        let error = assert_graph_error(&answer, 401, 190);
        assert_eq!(
            error["message"],
            "Invalid OAuth access token - Cannot parse access token"
        );
        assert_eq!(error["type"], "OAuthException");
        let url = format!("{phone}/messages");
        let answer = call(Method::POST, &url, token, Some(&text_to("5511987654321", "oi"))).await;
        assert_graph_error(&answer, 401, 190);
    }
    // The Graph API also takes the token as a query parameter.
    let answer = call(Method::GET, &format!("{phone}?access_token={TOKEN}"), None, None).await;
    assert_eq!(answer.0, 200);
    let requests = sim.requests();
    assert_eq!(requests.iter().filter(|r| r.status == 401).count(), 4);
    assert!(
        requests
            .iter()
            .any(|r| r.status == 401 && r.method == "POST" && r.path.ends_with("/messages"))
    );
    assert!(sim.sent().is_empty());
}

#[tokio::test]
async fn phone_number_info_and_routes() {
    let sim = sim().await;
    let config = sim.config().clone();
    assert_eq!(sim.base_url(), format!("http://{}/v24.0", sim.addr()));
    let (status, info) = call(
        Method::GET,
        &format!("{}/{}", sim.base_url(), config.phone_number_id),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        info,
        json!({
            "verified_name": "Balcão Demo",
            "code_verification_status": "VERIFIED",
            "display_phone_number": "+55 11 4000-0000",
            "quality_rating": "GREEN",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "id": "100000000000001",
        })
    );
    // Any v<digits>.<digits> version, and ?fields= narrows the answer.
    let origin = format!("http://{}", sim.addr());
    let url = format!(
        "{origin}/v19.0/{}?fields=verified_name,quality_rating",
        config.phone_number_id
    );
    let (status, info) = call(Method::GET, &url, Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        info,
        json!({"verified_name": "Balcão Demo", "quality_rating": "GREEN", "id": "100000000000001"})
    );
    let url = format!("{origin}/v24.0/{}?fields=nope", config.phone_number_id);
    assert_graph_error(&call(Method::GET, &url, Some(TOKEN), None).await, 400, 100);

    // Unknown phone number id, bad version, unknown routes: code 100, HTTP 400.
    let url = format!("{}/999/messages", sim.base_url());
    let error = assert_graph_error(
        &call(Method::POST, &url, Some(TOKEN), Some(&text_to("551199", "x"))).await,
        400,
        100,
    );
    assert_eq!(error["error_subcode"], 33);
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .starts_with("Unsupported post request. Object with ID '999'")
    );
    let url = format!("{origin}/latest/{}", config.phone_number_id);
    assert_graph_error(&call(Method::GET, &url, Some(TOKEN), None).await, 400, 100);
    let url = format!("{}/{}/whatever", sim.base_url(), config.phone_number_id);
    assert_graph_error(&call(Method::POST, &url, Some(TOKEN), None).await, 400, 100);
    assert_graph_error(
        &call(Method::GET, &format!("{origin}/"), Some(TOKEN), None).await,
        400,
        100,
    );
}

#[tokio::test]
async fn text_send_success_shape_and_recording() {
    let sim = sim().await;
    sim.set_last_customer_message("5511987654321", Some(SystemTime::now()));
    let mut body = text_to("+5511987654321", "Olá! Seu pedido saiu para entrega.");
    body["biz_opaque_callback_data"] = json!("ticket-42");
    let (status, answer) = send(&sim, body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(
        answer["contacts"],
        json!([{"input": "+5511987654321", "wa_id": "5511987654321"}])
    );
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid").to_owned();
    assert!(wamid.starts_with("wamid.HBg"), "{wamid}");
    assert!(base64::engine::general_purpose::STANDARD.decode(&wamid[6..]).is_ok());

    let (_, again) = send(&sim, text_to("5511987654321", "Mais uma")).await;
    assert_ne!(again["messages"][0]["id"], wamid.as_str(), "wamids are unique");

    let sent = sim.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].wamid, wamid);
    assert_eq!(sent[0].to, "5511987654321");
    assert_eq!(sent[0].kind, "text");
    assert_eq!(sent[0].body, body);
    assert_eq!(sent[0].biz_opaque_callback_data.as_deref(), Some("ticket-42"));
    let requests = sim.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v24.0/100000000000001/messages");
    assert_eq!(requests[0].status, 200);
}

#[tokio::test]
async fn sends_are_validated() {
    let sim = sim().await;
    let to = "5511987654321";
    sim.set_last_customer_message(to, Some(SystemTime::now()));
    let interactive = |buttons: usize, title: &str| {
        let buttons: Vec<Value> = (0..buttons)
            .map(|i| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": format!("{title}{i}")}}))
            .collect();
        json!({"messaging_product": "whatsapp", "to": to, "type": "interactive",
               "interactive": {"type": "button", "body": {"text": "Escolha"}, "action": {"buttons": buttons}}})
    };
    let template = |name: &str, code: &str, params: usize| {
        let parameters: Vec<Value> = (0..params)
            .map(|i| json!({"type": "text", "text": format!("p{i}")}))
            .collect();
        json!({"messaging_product": "whatsapp", "to": to, "type": "template",
               "template": {"name": name, "language": {"code": code, "policy": "deterministic"},
                            "components": [{"type": "body", "parameters": parameters}]}})
    };
    let cases: Vec<(Value, u16, i64)> = vec![
        (text_to(to, ""), 400, 100),
        (text_to(to, &"a".repeat(4097)), 400, 100),
        (json!({"to": to, "type": "text", "text": {"body": "x"}}), 400, 100),
        (
            json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}),
            400,
            131008,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": to, "type": "text"}),
            400,
            131008,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": "abc", "type": "text", "text": {"body": "x"}}),
            400,
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": to, "type": "poll", "poll": {}}),
            400,
            100,
        ),
        (template("nope", "pt_BR", 0), 400, 132001),
        (template("order_update", "en_US", 2), 400, 132001),
        (template("order_update", "pt_BR", 1), 400, 132000),
        (template("hello_world", "en_US", 1), 400, 132000),
        (interactive(4, "Op"), 400, 131009),
        (interactive(2, "A title way too long for a button"), 400, 131009),
        (
            json!({"messaging_product": "whatsapp", "to": to, "type": "image", "image": {"id": "123"}}),
            400,
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": to, "type": "audio",
                   "audio": {"link": "https://example.com/a.ogg", "caption": "no"}}),
            400,
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": to, "type": "image",
                   "image": {"link": "https://example.com/a.png", "caption": "c".repeat(1025)}}),
            400,
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": to, "type": "reaction",
                   "reaction": {"message_id": "wamid.unknown", "emoji": "👍"}}),
            400,
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.unknown"}),
            400,
            100,
        ),
    ];
    for (body, status, code) in &cases {
        let answer = send(&sim, body.clone()).await;
        let error = assert_graph_error(&answer, *status, *code);
        if *code != 100 || body.get("messaging_product").is_some() {
            assert!(error["error_data"]["details"].is_string() || error["message"].is_string());
        }
    }
    let bad_json = reqwest::Client::new()
        .post(format!("{}/{}/messages", sim.base_url(), sim.config().phone_number_id))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(bad_json.status(), 400);
    let body: Value = bad_json.json().await.expect("graph error json");
    assert_eq!(body["error"]["code"], 100);

    assert!(sim.sent().is_empty(), "rejected sends are not recorded as sent");
    assert_eq!(sim.requests().len(), cases.len() + 1);
    assert!(sim.requests().iter().all(|r| r.status == 400));

    // The valid counterparts are accepted.
    for body in [
        template("order_update", "pt_BR", 2),
        template("hello_world", "en_US", 0),
        interactive(3, "Op"),
    ] {
        let (status, answer) = send(&sim, body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let sent = sim.sent();
    assert_eq!(
        sent.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
        ["template", "template", "interactive"]
    );
    // A reaction to a sent message is valid.
    let reaction = json!({"messaging_product": "whatsapp", "to": to, "type": "reaction",
                          "reaction": {"message_id": sent[0].wamid, "emoji": "👍"}});
    assert_eq!(send(&sim, reaction).await.0, 200);
}

#[tokio::test]
async fn customer_service_window() {
    let (sim, _receiver) = sim_with_receiver().await;
    let to = "5521999990000";
    let answer = send(&sim, text_to(to, "Oi, tudo bem?")).await;
    let error = assert_graph_error(&answer, 400, 131047);
    assert_eq!(error["message"], "(#131047) Re-engagement message");
    assert!(
        error["error_data"]["details"]
            .as_str()
            .expect("details")
            .contains("24 hours")
    );

    // Templates are always allowed.
    let template = json!({"messaging_product": "whatsapp", "to": to, "type": "template",
                          "template": {"name": "hello_world", "language": {"code": "en_US"}}});
    let (status, answer) = send(&sim, template).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["messages"][0]["message_status"], "accepted");

    // Once the customer writes, free-form messages go through.
    let customer = sim.customer(to, "João");
    let wamid = customer.send_text("Oi").await.expect("customer writes");
    assert_eq!(send(&sim, text_to(to, "Oi, João!")).await.0, 200);
    let read = json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
    let (status, answer) = send(&sim, read).await;
    assert_eq!((status, answer), (200, json!({"success": true})));
    assert_eq!(sim.marked_read(), vec![wamid]);
    assert_eq!(sim.sent().len(), 2, "mark-read is not a send");

    // More than 24 hours later, the window is closed again.
    sim.set_last_customer_message(to, Some(SystemTime::now() - Duration::from_secs(25 * 3600)));
    assert_graph_error(&send(&sim, text_to(to, "Ainda aí?")).await, 400, 131047);
}

async fn upload(sim: &balcao_sim::WhatsappSim, bytes: Vec<u8>, mime: &str, token: Option<&str>) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", mime.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("file.bin")
                .mime_str(mime)
                .expect("mime"),
        );
    let mut request = reqwest::Client::new()
        .post(format!("{}/{}/media", sim.base_url(), sim.config().phone_number_id))
        .multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn media_upload_info_download_and_send() {
    let sim = sim().await;
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    assert_graph_error(&upload(&sim, bytes.clone(), "image/png", None).await, 401, 190);
    let (status, answer) = upload(&sim, bytes.clone(), "image/png", Some(TOKEN)).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["id"].as_str().expect("media id").to_owned();
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");

    let (status, info) = call(Method::GET, &format!("{}/{id}", sim.base_url()), Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["file_size"], 3000);
    assert_eq!(info["id"], id.as_str());
    use sha2::Digest as _;
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(info["sha256"], hex.as_str());

    let url = info["url"].as_str().expect("url");
    let client = reqwest::Client::new();
    let response = client.get(url).bearer_auth(TOKEN).send().await.expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.expect("bytes").to_vec(), bytes);
    assert_eq!(client.get(url).send().await.expect("download").status(), 401);
    assert_eq!(
        client
            .get(url)
            .bearer_auth("nope")
            .send()
            .await
            .expect("download")
            .status(),
        401
    );

    // Limits per kind: stickers 500 KB, images 5 MB.
    assert_graph_error(
        &upload(&sim, vec![0; 600 * 1024], "image/webp", Some(TOKEN)).await,
        400,
        131053,
    );
    assert_graph_error(
        &upload(&sim, vec![0; 5 * 1024 * 1024 + 1], "image/jpeg", Some(TOKEN)).await,
        400,
        131053,
    );
    let (status, _) = upload(&sim, vec![0; 2 * 1024 * 1024], "application/pdf", Some(TOKEN)).await;
    assert_eq!(status, 200);

    // Sending by the uploaded id (or by any http(s) link) is accepted.
    let to = "5511987654321";
    sim.set_last_customer_message(to, Some(SystemTime::now()));
    let image =
        json!({"messaging_product": "whatsapp", "to": to, "type": "image", "image": {"id": id, "caption": "Nota"}});
    assert_eq!(send(&sim, image).await.0, 200);
    let document = json!({"messaging_product": "whatsapp", "to": to, "type": "document",
                          "document": {"link": "https://example.com/boleto.pdf", "filename": "boleto.pdf"}});
    assert_eq!(send(&sim, document).await.0, 200);
    let unknown = format!("{}/4242", sim.base_url());
    assert_graph_error(&call(Method::GET, &unknown, Some(TOKEN), None).await, 400, 100);
}

#[tokio::test]
async fn customer_media_can_be_fetched_by_the_business() {
    let (sim, receiver) = sim_with_receiver().await;
    let customer = sim.customer("5511987654321", "Ana");
    let photo = vec![7u8; 1234];
    let wamid = customer
        .send_image(photo.clone(), "image/jpeg", Some("Chegou assim"))
        .await
        .expect("image");
    let voice = customer
        .send_audio(vec![1, 2, 3], "audio/ogg; codecs=opus", true)
        .await
        .expect("audio");
    let hits = receiver.wait("two messages", |hits| messages_of(hits).len() >= 2).await;
    let messages = messages_of(&hits);
    let image = &messages[0];
    assert_eq!(image["id"], wamid.as_str());
    assert_eq!(image["type"], "image");
    assert_eq!(image["image"]["caption"], "Chegou assim");
    assert_eq!(image["image"]["mime_type"], "image/jpeg");
    assert_eq!(messages[1]["id"], voice.as_str());
    assert_eq!(messages[1]["audio"]["voice"], true);
    use sha2::Digest as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&photo));
    assert_eq!(image["image"]["sha256"], b64.as_str());

    let id = image["image"]["id"].as_str().expect("media id");
    let (status, info) = call(Method::GET, &format!("{}/{id}", sim.base_url()), Some(TOKEN), None).await;
    assert_eq!(status, 200);
    let bytes = reqwest::Client::new()
        .get(info["url"].as_str().expect("url"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(bytes.to_vec(), photo);
}
