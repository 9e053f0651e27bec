//! Webhook notifications: statuses, signatures, faults, redelivery and duplicates.

use std::time::Duration;

use balcao_sim::{Fault, SimConfig, StatusOrder, WhatsappSim};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn customer_message_notification_is_signed_and_shaped_like_meta() {
    let (sim, receiver) = sim_with_receiver().await;
    let (customer, wamid) = engaged_customer(&sim, "+55 11 98765-4321").await;
    assert_eq!(customer.wa_id(), "5511987654321");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert!(hit.signature_valid, "{hit:?}");
    assert_eq!(hit.content_type.as_deref(), Some("application/json"));
    let body = &hit.body;
    assert_eq!(body["object"], "whatsapp_business_account");
    assert_eq!(body["entry"][0]["id"], "200000000000002");
    let change = &body["entry"][0]["changes"][0];
    assert_eq!(change["field"], "messages");
    let value = &change["value"];
    assert_eq!(value["messaging_product"], "whatsapp");
    assert_eq!(
        value["metadata"],
        json!({"display_phone_number": "551140000000", "phone_number_id": "100000000000001"})
    );
    assert_eq!(
        value["contacts"],
        json!([{"profile": {"name": "Maria Souza"}, "wa_id": "5511987654321"}])
    );
    let message = &value["messages"][0];
    assert_eq!(message["from"], "5511987654321");
    assert_eq!(message["id"], wamid.as_str());
    assert_eq!(message["type"], "text");
    assert_eq!(message["text"], json!({"body": "Oi!"}));
    let timestamp: u64 = message["timestamp"]
        .as_str()
        .expect("string timestamp")
        .parse()
        .expect("unix seconds");
    assert!(timestamp > 1_700_000_000);

    // A reply carries the context; a tap on a button too; a removed reaction has no emoji.
    customer.reply_text("wamid.business", "Sim, esse").await.expect("reply");
    customer
        .send_button_reply("wamid.business", "confirm", "Confirmar")
        .await
        .expect("button");
    customer.react("wamid.business", None).await.expect("reaction removed");
    customer.send_unsupported().await.expect("unsupported");
    let messages = messages_of(&receiver.hits());
    assert_eq!(
        messages[1]["context"],
        json!({"from": "551140000000", "id": "wamid.business"})
    );
    assert_eq!(
        messages[2]["interactive"],
        json!({"type": "button_reply", "button_reply": {"id": "confirm", "title": "Confirmar"}})
    );
    assert_eq!(messages[3]["reaction"], json!({"message_id": "wamid.business"}));
    assert_eq!(messages[4]["type"], "unsupported");
    assert_eq!(messages[4]["errors"][0]["code"], 131051);
    assert_eq!(messages[4]["errors"][0]["title"], "Message type unknown");

    // The same body with a tampered signature is rejected by the receiver; sign() matches what was sent.
    let raw = serde_json::to_vec(&hit.body).expect("json");
    assert_eq!(sim.sign(&raw), format!("sha256={}", hmac_hex(SECRET, &raw)));
}

#[tokio::test]
async fn statuses_are_delivered_signed_in_order_with_callback_data() {
    let (sim, receiver) = sim_with_receiver().await;
    let (customer, _) = engaged_customer(&sim, "5511987654321").await;
    let mut body = text_to(customer.wa_id(), "Seu pedido foi enviado");
    body["biz_opaque_callback_data"] = json!("conv-7");
    let (status, answer) = send(&sim, body).await;
    assert_eq!(status, 200);
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid");
    let statuses = receiver.wait_statuses(wamid, 3).await;
    assert_eq!(status_names(&statuses), ["sent", "delivered", "read"]);
    for status in &statuses {
        assert_eq!(status["recipient_id"], "5511987654321");
        assert_eq!(status["biz_opaque_callback_data"], "conv-7");
        assert!(status["timestamp"].as_str().expect("timestamp").parse::<u64>().is_ok());
    }
    assert_eq!(statuses[0]["conversation"]["origin"]["type"], "service");
    assert_eq!(
        statuses[0]["pricing"],
        json!({"billable": true, "pricing_model": "CBP", "category": "service"})
    );
    assert!(receiver.hits().iter().all(|h| h.signature_valid));
    // The receiver holds the last status before the simulator has recorded its answer.
    let deliveries = sim
        .wait_for_deliveries(|d| d.len() >= 4, Duration::from_secs(5))
        .await
        .expect("four deliveries recorded");
    assert_eq!(deliveries.len(), 4);
    assert!(
        deliveries
            .iter()
            .all(|d| d.status == Some(200) && d.signature.starts_with("sha256="))
    );
    // Without a callback value, none is echoed.
    let (_, answer) = send(&sim, text_to(customer.wa_id(), "Obrigado!")).await;
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid");
    let statuses = receiver.wait_statuses(wamid, 3).await;
    assert!(statuses.iter().all(|s| s.get("biz_opaque_callback_data").is_none()));
}

#[tokio::test]
async fn status_order_variants_and_reactions() {
    let (sim, receiver) = sim_with_receiver().await;
    let (customer, customer_wamid) = engaged_customer(&sim, "5511987654321").await;
    let to = customer.wa_id().to_owned();
    let send_text = |text: &'static str| {
        let sim = sim.clone();
        let to = to.clone();
        async move {
            let (status, answer) = send(&sim, text_to(&to, text)).await;
            assert_eq!(status, 200);
            answer["messages"][0]["id"].as_str().expect("wamid").to_owned()
        }
    };

    sim.set_status_order(StatusOrder::Reversed);
    let wamid = send_text("um").await;
    assert_eq!(
        status_names(&receiver.wait_statuses(&wamid, 3).await),
        ["read", "delivered", "sent"]
    );

    sim.set_status_order(StatusOrder::SkipDelivered);
    let wamid = send_text("dois").await;
    receiver.wait_statuses(&wamid, 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(status_names(&statuses_of(&receiver.hits(), &wamid)), ["sent", "read"]);

    sim.set_status_order(StatusOrder::InOrder);
    sim.set_customers_read(false);
    let wamid = send_text("três").await;
    receiver.wait_statuses(&wamid, 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        status_names(&statuses_of(&receiver.hits(), &wamid)),
        ["sent", "delivered"]
    );

    // A reaction only ever gets "sent".
    sim.set_customers_read(true);
    let reaction = json!({"messaging_product": "whatsapp", "to": to, "type": "reaction",
                          "reaction": {"message_id": customer_wamid, "emoji": "❤️"}});
    let (status, answer) = send(&sim, reaction).await;
    assert_eq!(status, 200, "{answer}");
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid");
    receiver.wait_statuses(wamid, 1).await;
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(status_names(&statuses_of(&receiver.hits(), wamid)), ["sent"]);
    assert_eq!(sim.sent().last().expect("reaction").kind, "reaction");
}

#[tokio::test]
async fn injected_faults_are_consumed_in_order() {
    let (sim, receiver) = sim_with_receiver().await;
    let (customer, _) = engaged_customer(&sim, "5511987654321").await;
    let to = customer.wa_id();
    sim.inject(Fault::Error { code: 130429 });
    sim.inject(Fault::ServerError { status: 503 });
    sim.inject(Fault::FailAfterAccept { code: 131026 });
    sim.inject(Fault::Error { code: 131000 });
    sim.inject(Fault::Delay {
        delay: Duration::from_millis(400),
    });

    let error = assert_graph_error(&send(&sim, text_to(to, "1")).await, 429, 130429);
    assert_eq!(error["message"], "(#130429) Rate limit hit");
    assert_eq!(error["error_data"]["messaging_product"], "whatsapp");

    let (status, body) = send(&sim, text_to(to, "2")).await;
    assert_eq!(status, 503);
    assert!(body.is_string(), "a plain-text body, not Graph JSON: {body}");

    let (status, answer) = send(&sim, text_to(to, "3")).await;
    assert_eq!(status, 200);
    let wamid = answer["messages"][0]["id"].as_str().expect("wamid").to_owned();
    let statuses = receiver.wait_statuses(&wamid, 2).await;
    assert_eq!(status_names(&statuses), ["sent", "failed"]);
    let failure = &statuses[1]["errors"][0];
    assert_eq!(failure["code"], 131026);
    assert_eq!(failure["title"], "Message undeliverable");
    assert!(failure["message"].is_string() && failure["error_data"]["details"].is_string());

    assert_graph_error(&send(&sim, text_to(to, "4")).await, 500, 131000);

    // The delayed call makes an impatient client time out, yet the send is accepted.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let url = format!("{}/{}/messages", sim.base_url(), sim.config().phone_number_id);
    let result = impatient
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&text_to(to, "5"))
        .send()
        .await;
    assert!(result.expect_err("timed out").is_timeout());
    let sent = sim.wait_for_sent(2, WAIT).await.expect("the delayed send lands");
    assert_eq!(sent[1].body["text"]["body"], "5");

    // No more faults: a normal answer.
    assert_eq!(send(&sim, text_to(to, "6")).await.0, 200);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 503, 200, 500, 200, 200]);
}

#[tokio::test]
async fn redelivery_after_errors_and_duplicates() {
    let (sim, receiver) = sim_with_receiver().await;
    receiver.answer_next(&[500, 500]);
    let customer = sim.customer("5511987654321", "Carla");
    let wamid = customer
        .send_text("Alguém aí?")
        .await
        .expect("delivered on the third try");
    let deliveries = sim.deliveries();
    assert_eq!(
        deliveries.iter().map(|d| d.status).collect::<Vec<_>>(),
        [Some(500), Some(500), Some(200)]
    );
    let hits = receiver.hits();
    assert_eq!(hits.iter().map(|h| h.answered).collect::<Vec<_>>(), [500, 500, 200]);
    assert!(hits.iter().all(|h| h.body == hits[0].body && h.signature_valid));
    assert_eq!(messages_of(&hits[..1])[0]["id"], wamid.as_str());

    // Duplicates: every notification arrives twice, with the same message id.
    sim.set_duplicate_deliveries(true);
    let wamid = customer.send_text("Oi de novo").await.expect("delivered");
    let hits = receiver.hits();
    let copies = messages_of(&hits).iter().filter(|m| m["id"] == wamid.as_str()).count();
    assert_eq!(copies, 2);
    sim.set_duplicate_deliveries(false);

    // A receiver that never answers 200 exhausts the attempts (5 by default) and the send is an error.
    let before = sim.deliveries().len();
    receiver.answer_next(&[503; 5]);
    let error = customer.send_text("Perdida").await.expect_err("never accepted");
    assert!(format!("{error:#}").contains("503"), "{error:#}");
    assert_eq!(sim.deliveries().len() - before, 5);
    assert_eq!(
        sim.deliver(json!({"object": "whatsapp_business_account", "entry": []}))
            .await
            .expect("ok"),
        200
    );
}

#[tokio::test]
async fn signature_mismatch_and_missing_or_unreachable_webhook() {
    let receiver = Receiver::start(SECRET).await;
    let sim = WhatsappSim::start(SimConfig {
        redelivery_attempts: 1,
        ..fast_config()
    })
    .await
    .expect("sim");
    sim.set_webhook_url(receiver.url.clone());
    sim.set_app_secret("another-secret");
    let error = sim
        .customer("5511987654321", "Duda")
        .send_text("assinada errado")
        .await
        .expect_err("401");
    assert!(format!("{error:#}").contains("401"), "{error:#}");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    assert!(!hits[0].signature_valid);
    let raw = serde_json::to_vec(&hits[0].body).expect("json");
    assert_eq!(hits[0].signature.as_deref(), Some(sim.sign(&raw).as_str()));
    assert_eq!(sim.sign(&raw), format!("sha256={}", hmac_hex("another-secret", &raw)));
    assert_eq!(sim.deliveries()[0].status, Some(401));

    // No webhook URL at all: an error, and nothing recorded.
    let lonely = WhatsappSim::start(fast_config()).await.expect("sim");
    assert!(lonely.customer("5511987654321", "X").send_text("oi").await.is_err());
    assert!(lonely.deliver(json!({})).await.is_err());
    assert!(lonely.deliveries().is_empty());

    // Unreachable receiver: every attempt is recorded without a status, then an error.
    let closed = WhatsappSim::start(fast_config()).await.expect("sim");
    let dead = closed.addr();
    closed.shutdown().await;
    assert!(
        reqwest::get(format!("http://{dead}/_sim")).await.is_err(),
        "a shut down simulator no longer serves"
    );
    let gone = WhatsappSim::start(SimConfig {
        redelivery_attempts: 2,
        ..fast_config()
    })
    .await
    .expect("sim");
    gone.set_webhook_url(format!("http://{dead}/webhook"));
    assert!(gone.deliver(json!({})).await.is_err());
    let deliveries = gone.deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.status.is_none()));
}
