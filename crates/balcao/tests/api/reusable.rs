//! WhatsApp templates, interactive templates and quick replies, and messages built from them.

use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::StatusCode;

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn whatsapp_templates_gate_template_messages() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.whatsapp_connection(&admin, "WA").await;
    let tg = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "telegram", "name": "Bot", "settings": {"bot_token": "1:a"}}),
        )
        .await
        .str("id")
        .to_owned();
    let components = json!([{"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}"},
                            {"type": "BODY", "text": "Olá {{1}}, seu pedido saiu para entrega em {{2}}."},
                            {"type": "FOOTER", "text": "Loja Exemplo"}]);
    let body = |connection: &str, name: &str| json!({"connection_id": connection, "name": name, "language": "pt_BR", "category": "utility", "components": components});
    let created = app
        .post("/api/v1/whatsapp-templates", &admin, body(&wa, "pedido_enviado"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["status"], "draft");
    let template = created.str("id").to_owned();
    app.post("/api/v1/whatsapp-templates", &admin, body(&wa, "pedido_enviado"))
        .await
        .assert_problem(409, "name_taken");
    let on_telegram = app.post("/api/v1/whatsapp-templates", &admin, body(&tg, "outro")).await;
    assert_eq!(fields(&on_telegram.body), ["connection_id"]);
    let bad = app
        .post(
            "/api/v1/whatsapp-templates",
            &admin,
            json!({"connection_id": wa, "name": "Pedido Enviado", "language": "pt-br", "category": "promo",
                   "components": [{"type": "BODY", "text": "Olá {{2}}"}]}),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(
        fields(&bad.body),
        ["name", "language", "category", "components[0].text"]
    );

    let contact = app
        .post("/api/v1/contacts", &admin, json!({"name": "Ana", "connection_id": wa}))
        .await
        .str("id")
        .to_owned();
    let send = |parameters: Value| {
        let body = json!({"contact_id": contact, "type": "template", "payload": {"template_id": template, "parameters": parameters}});
        let (app, admin) = (&app, &admin);
        async move { app.post("/api/v1/messages", admin, body).await }
    };
    send(json!({"header": ["123"], "body": ["Ana", "hoje"]}))
        .await
        .assert_problem(409, "template_not_approved");
    let approved = app
        .post(
            &format!("/api/v1/whatsapp-templates/{template}/status"),
            &admin,
            json!({"status": "approved"}),
        )
        .await;
    assert_eq!(approved.body["status"], "approved");
    let wrong = send(json!({"body": ["Ana"]})).await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(
        fields(&wrong.body),
        ["payload.parameters.header", "payload.parameters.body"]
    );
    let ok = send(json!({"header": ["123"], "body": ["Ana", "hoje"]})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(ok.body["type"], "template");

    let b = app.second_account("b@example.com").await;
    app.get(&format!("/api/v1/whatsapp-templates/{template}"), &b)
        .await
        .assert_problem(404, "not_found");
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    app.post("/api/v1/whatsapp-templates", &agent, body(&wa, "x"))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get("/api/v1/whatsapp-templates?status=approved", &agent).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn interactive_templates_follow_whatsapp_limits_and_fill_messages() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let menu = app
        .post(
            "/api/v1/interactive-templates",
            &admin,
            json!({"name": "Menu", "type": "button", "body": "Como podemos ajudar?",
                   "action": {"buttons": [{"id": "vendas", "title": "Comprar"}, {"id": "suporte", "title": "Suporte"}]}}),
        )
        .await;
    assert_eq!(menu.status, StatusCode::CREATED, "{}", menu.body);
    let too_many = app
        .post(
            "/api/v1/interactive-templates",
            &admin,
            json!({"name": "Grande", "type": "button", "body": "x",
                   "action": {"buttons": [{"id": "1", "title": "a"}, {"id": "2", "title": "b"}, {"id": "3", "title": "c"},
                                          {"id": "4", "title": "um título bem comprido demais"}]}}),
        )
        .await;
    too_many.assert_problem(422, "validation_failed");
    assert_eq!(fields(&too_many.body), ["action.buttons", "action.buttons[3].title"]);

    let wa = app.connection(&admin, "Site").await;
    let contact = app
        .post("/api/v1/contacts", &admin, json!({"name": "Ana", "connection_id": wa}))
        .await
        .str("id")
        .to_owned();
    let sent = app
        .post("/api/v1/messages", &admin, json!({"contact_id": contact, "type": "interactive", "payload": {"interactive_template_id": menu.str("id")}}))
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    assert_eq!(sent.body["payload"]["body"], "Como podemos ajudar?");
    assert_eq!(sent.body["payload"]["action"]["buttons"][1]["id"], "suporte");
    let inline = app
        .post(
            "/api/v1/messages",
            &admin,
            json!({"contact_id": contact, "type": "interactive",
                   "payload": {"type": "list", "body": "Escolha", "action": {"button": "Opções", "sections": []}}}),
        )
        .await;
    inline.assert_problem(422, "validation_failed");
    assert_eq!(fields(&inline.body), ["payload.action.sections"]);
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    app.post("/api/v1/interactive-templates", &agent, json!({"name": "x"}))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn quick_replies_check_placeholders_and_filter_by_department() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let sales = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let support = app
        .post("/api/v1/departments", &admin, json!({"name": "Suporte"}))
        .await
        .str("id")
        .to_owned();
    let hello = app
        .post(
            "/api/v1/quick-replies",
            &admin,
            json!({"shortcut": "/ola", "text": "Olá {{contact.first_name}}, aqui é {{user.name}}!"}),
        )
        .await;
    assert_eq!(hello.status, StatusCode::CREATED, "{}", hello.body);
    assert_eq!(hello.body["shortcut"], "ola");
    let price = app
        .post(
            "/api/v1/quick-replies",
            &admin,
            json!({"shortcut": "preco", "text": "Tabela em anexo", "department_ids": [sales]}),
        )
        .await
        .str("id")
        .to_owned();
    app.post("/api/v1/quick-replies", &admin, json!({"shortcut": "OLA", "text": "x"}))
        .await
        .assert_problem(409, "shortcut_taken");
    let unknown = app
        .post(
            "/api/v1/quick-replies",
            &admin,
            json!({"shortcut": "x", "text": "Oi {{cliente}}"}),
        )
        .await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["code"], "unknown_placeholder");
    app.post(
        "/api/v1/quick-replies",
        &admin,
        json!({"shortcut": "tem espaço", "text": "x"}),
    )
    .await
    .assert_problem(422, "validation_failed");

    let shortcuts = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|q| q["shortcut"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        shortcuts(
            &app.get(&format!("/api/v1/quick-replies?department_id={sales}"), &admin)
                .await
                .body
        ),
        ["ola", "preco"]
    );
    assert_eq!(
        shortcuts(
            &app.get(&format!("/api/v1/quick-replies?department_id={support}"), &admin)
                .await
                .body
        ),
        ["ola"]
    );

    let changed = app
        .patch(
            &format!("/api/v1/quick-replies/{price}"),
            &admin,
            json!({"text": "Tabela nova", "department_ids": [support]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        (changed.body["shortcut"].clone(), changed.body["department_ids"].clone()),
        (json!("preco"), json!([support]))
    );
    let (_, agent) = app.user_with_role(&admin, "agent@example.com", "agent").await;
    assert_eq!(
        app.get("/api/v1/quick-replies", &agent).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    app.delete(&format!("/api/v1/quick-replies/{price}"), &agent)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.delete(&format!("/api/v1/quick-replies/{price}"), &admin)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}
