//! The `/_sim` control API and the demo chatter.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn control_api_configures_and_makes_customers_write_in() {
    let sim = sim().await;
    let receiver = Receiver::start(SECRET).await;
    let origin = format!("http://{}", sim.addr());

    let (status, info) = call(Method::GET, &format!("{origin}/_sim"), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(info["base_url"], sim.base_url().as_str());
    assert_eq!(info["phone_number_id"], "100000000000001");
    assert_eq!(info["waba_id"], "200000000000002");
    assert_eq!(info["access_token"], TOKEN);
    assert_eq!(info["app_secret"], SECRET);
    assert!(info["webhook_url"].is_null());

    let (status, _) = call(
        Method::PUT,
        &format!("{origin}/_sim/webhook"),
        None,
        Some(&json!({"url": receiver.url})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sim.webhook_url().as_deref(), Some(receiver.url.as_str()));

    let messages = format!("{origin}/_sim/customers/5511912345678/messages");
    let (status, answer) = call(
        Method::POST,
        &messages,
        None,
        Some(&json!({"name": "Bruna", "type": "text", "text": "Oi, pelo painel"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let wamid = answer["wamid"].as_str().expect("wamid").to_owned();
    let (status, answer) = call(
        Method::POST,
        &messages,
        None,
        Some(&json!({"type": "image", "caption": "foto"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let location = json!({"type": "location", "latitude": -23.56, "longitude": -46.65, "location_name": "Paulista"});
    assert_eq!(call(Method::POST, &messages, None, Some(&location)).await.0, 200);
    assert_eq!(
        call(Method::POST, &messages, None, Some(&json!({"type": "poll"})))
            .await
            .0,
        400
    );
    assert_eq!(
        call(Method::POST, &messages, None, Some(&json!({"type": "text"})))
            .await
            .0,
        400
    );

    let hits = receiver
        .wait("three customer messages", |hits| messages_of(hits).len() >= 3)
        .await;
    let delivered = messages_of(&hits);
    assert_eq!(delivered[0]["id"], wamid.as_str());
    assert_eq!(delivered[0]["text"]["body"], "Oi, pelo painel");
    assert_eq!(
        hits[0].body["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"],
        "Bruna"
    );
    assert_eq!(
        hits[1].body["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"],
        "Bruna"
    );
    assert_eq!(delivered[1]["image"]["mime_type"], "image/png");
    assert_eq!(delivered[2]["location"]["name"], "Paulista");
    assert!(hits.iter().all(|h| h.signature_valid));

    // The generated picture is a real PNG the business can download.
    let media_id = delivered[1]["image"]["id"].as_str().expect("id");
    let (_, info) = call(
        Method::GET,
        &format!("{}/{media_id}", sim.base_url()),
        Some(TOKEN),
        None,
    )
    .await;
    let png = reqwest::Client::new()
        .get(info["url"].as_str().expect("url"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // The window is open now; a reply is accepted, listed, and the customer reacts to it.
    let (status, answer) = send(&sim, text_to("5511912345678", "Olá, Bruna!")).await;
    assert_eq!(status, 200);
    let reply = answer["messages"][0]["id"].as_str().expect("wamid").to_owned();
    let (status, sent) = call(Method::GET, &format!("{origin}/_sim/sent"), None, None).await;
    assert_eq!(status, 200);
    assert_eq!(sent[0]["wamid"], reply.as_str());
    assert_eq!(sent[0]["type"], "text");
    let (status, _) = call(
        Method::POST,
        &messages,
        None,
        Some(&json!({"type": "reaction", "emoji": "🙏"})),
    )
    .await;
    assert_eq!(status, 200);
    let hits = receiver
        .wait("the reaction", |hits| {
            messages_of(hits).iter().any(|m| m["type"] == "reaction")
        })
        .await;
    let reaction = messages_of(&hits)
        .into_iter()
        .find(|m| m["type"] == "reaction")
        .expect("reaction");
    assert_eq!(reaction["reaction"], json!({"message_id": reply, "emoji": "🙏"}));

    // Faults through the control API.
    let faults = format!("{origin}/_sim/faults");
    assert_eq!(
        call(Method::POST, &faults, None, Some(&json!({"code": 131056})))
            .await
            .0,
        200
    );
    assert_eq!(
        call(Method::POST, &faults, None, Some(&json!({"server_error": 502})))
            .await
            .0,
        200
    );
    assert_eq!(
        call(Method::POST, &faults, None, Some(&json!({"fail_after_accept": 131049})))
            .await
            .0,
        200
    );
    assert_eq!(
        call(Method::POST, &faults, None, Some(&json!({"nonsense": 1}))).await.0,
        400
    );
    assert_graph_error(&send(&sim, text_to("5511912345678", "a")).await, 429, 131056);
    assert_eq!(send(&sim, text_to("5511912345678", "b")).await.0, 502);
    let (status, answer) = send(&sim, text_to("5511912345678", "c")).await;
    assert_eq!(status, 200);
    let failed = receiver
        .wait_statuses(answer["messages"][0]["id"].as_str().expect("wamid"), 2)
        .await;
    assert_eq!(failed[1]["errors"][0]["code"], 131049);
    // Control calls are not Graph calls.
    assert!(sim.requests().iter().all(|r| !r.path.starts_with("/_sim")));
}

#[tokio::test]
async fn chatter_makes_customers_write_until_aborted() {
    let (sim, receiver) = sim_with_receiver().await;
    let customers = vec![
        sim.customer("5511900000001", "Ana"),
        sim.customer("5511900000002", "Beto"),
    ];
    let chatter = sim.spawn_chatter(customers, Duration::from_millis(10));
    let hits = receiver
        .wait("five chatter messages", |hits| messages_of(hits).len() >= 5)
        .await;
    chatter.abort();
    let _ = chatter.await;
    let messages = messages_of(&hits);
    assert!(
        messages
            .iter()
            .all(|m| m["from"] == "5511900000001" || m["from"] == "5511900000002")
    );
    assert!(
        messages
            .iter()
            .all(|m| m["id"].as_str().is_some_and(|id| id.starts_with("wamid.")))
    );
    let settled = receiver.hits().len();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(receiver.hits().len(), settled, "no more messages after abort");
    // Every chatter message opened the window for its customer.
    assert_eq!(
        send(&sim, text_to(messages[0]["from"].as_str().expect("from"), "Oi!"))
            .await
            .0,
        200
    );
}
