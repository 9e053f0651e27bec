//! Every example request of Digisac's API documentation, sent exactly as written there (method,
//! URL, raw body with its `//` comments and no `Content-Type`, as the documentation's `fetch`
//! snippets send it), once its `{{placeholders}}` are filled with the ids of a real account:
//! each answers the status and shape a Digisac client expects.
//!
//! `digisac_examples.json` lists the requests in the documentation's order (method, URL and
//! body of each "Example Request"); they run in that order, so later ones see what earlier ones
//! did (a contact deleted, a ticket closed).

use std::collections::HashMap;
use std::time::Duration;

use balcao_sim::{SimConfig, WhatsappSim};
use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{self, Value, json};
use reqwest::{Method, StatusCode};

use crate::webhooks::Receiver;

const EXAMPLES: &str = include_str!("digisac_examples.json");

/// What a response must look like.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// A JSON object that is not an error.
    Object,
    /// Digisac's list envelope.
    List,
    /// A JSON array.
    Array,
    Csv,
    Pdf,
    /// Plain text (the TXT transcript).
    Text,
    /// Digisac's error object naming a capability Balcão does not have yet.
    Missing,
    /// Whatever the webhook receiver answers (the documentation's "Teste Webhook" request goes
    /// to the client's own receiver, not to Digisac).
    Receiver,
}

/// The expected answer of each example, in the documentation's order.
const EXPECTED: [(u16, Shape); 41] = [
    (200, Shape::Object),   // Iniciar conexão
    (200, Shape::Object),   // Reiniciar conexão
    (200, Shape::List),     // contatos com campos personalizados
    (200, Shape::List),     // contatos vinculados a organização
    (200, Shape::Object),   // editar campo personalizado
    (200, Shape::Object),   // incluir tags
    (200, Shape::Object),   // cadastrar contato
    (200, Shape::Array),    // cadastrar múltiplos contatos
    (200, Shape::Csv),      // exportar contatos
    (200, Shape::Object),   // desbloquear contato
    (200, Shape::Object),   // excluir contato
    (200, Shape::Object),   // atribuir cargo de administrador
    (200, Shape::Object),   // criar novo grupo
    (200, Shape::List),     // chamados abertos por departamento
    (200, Shape::Object),   // um chamado específico
    (200, Shape::List),     // chamados por período
    (200, Shape::List),     // abertos + fechados por conexão
    (200, Shape::List),     // todos os chamados
    (200, Shape::Pdf),      // histórico em PDF
    (200, Shape::Text),     // histórico em TXT
    (200, Shape::Csv),      // histórico em CSV
    (200, Shape::Csv),      // histórico de uma conexão em CSV
    (501, Shape::Missing),  // listar integrações
    (200, Shape::Object),   // criar webhook
    (200, Shape::Receiver), // teste webhook
    (200, Shape::Object),   // validação WhatsApp
    (200, Shape::Object),   // atendentes (agora)
    (200, Shape::Object),   // todos os dados (agora)
    (200, Shape::Object),   // token de acesso
    (200, Shape::Object),   // abertura de chamado
    (200, Shape::Object),   // fechar chamado
    (200, Shape::Object),   // estatísticas por usuário
    (200, Shape::Object),   // estatísticas por departamento + usuário
    (200, Shape::List),     // fechados por conexão
    (200, Shape::List),     // abertos + fechados por conexão
    (200, Shape::List),     // todos os chamados
    (200, Shape::Pdf),      // histórico em PDF
    (200, Shape::Object),   // enviar mensagem
    (200, Shape::Object),   // enviar mensagem sem abrir chamado
    (200, Shape::Object),   // enviar comentário
    (200, Shape::Object),   // mensagem de bot sem abrir chamado
];

/// Replaces every `{{name}}` of `text`; `value(name, n)` answers the `n`-th occurrence of `name`.
fn fill(text: &str, value: &mut impl FnMut(&str, usize) -> String) -> String {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else { break };
        let name = &rest[start + 2..start + end];
        let n = seen.entry(name.to_owned()).or_insert(0);
        out.push_str(&rest[..start]);
        out.push_str(&value(name, *n));
        *n += 1;
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes what a browser's `fetch` would in a URL's query (quotes, spaces, braces...).
fn as_fetch_sends(url: &str) -> String {
    let Some((path, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let mut out = String::from(path);
    out.push('?');
    for b in query.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~&=:/,$[]@!*+;".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Account {
    app: TestApp,
    _sim: WhatsappSim,
    admin: String,
    receiver: Receiver,
    values: HashMap<&'static str, String>,
}

impl Account {
    async fn new() -> Account {
        let app = TestApp::spawn().await;
        let sim = WhatsappSim::start(SimConfig {
            status_delay: Duration::from_millis(5),
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let admin = app.admin_token().await;
        let c = sim.config().clone();
        let created = app
            .post(
                "/api/v1/connections",
                &admin,
                json!({"type": "whatsapp_cloud", "name": "WhatsApp", "settings": {
                    "phone_number_id": c.phone_number_id, "waba_id": c.waba_id,
                    "access_token": c.access_token, "app_secret": c.app_secret,
                    "graph_api_url": sim.base_url()}}),
            )
            .await;
        let service = created.str("id").to_owned();
        sim.set_webhook_url(app.url(&format!("/webhooks/whatsapp/{service}")));
        let started = app
            .post(&format!("/api/v1/connections/{service}/start"), &admin, json!({}))
            .await;
        assert_eq!(started.body["status"], "connected", "{}", started.body);

        // A customer writes in: a contact with an open ticket and an open 24-hour window.
        let ana = "5511988887777";
        sim.customer(ana, "Ana")
            .send_text("Oi, preciso de ajuda")
            .await
            .expect("sent");
        let mut contact = String::new();
        for _ in 0..200 {
            let list = app.get("/api/v1/contacts?limit=100", &admin).await;
            if let Some(c) = list.body["data"]
                .as_array()
                .and_then(|a| a.iter().find(|c| c["phone"] == ana))
            {
                contact = c["id"].as_str().unwrap_or_default().to_owned();
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(!contact.is_empty(), "the customer's contact was never stored");
        let tickets = app.get(&format!("/api/v1/tickets?contact_id={contact}"), &admin).await;
        let ticket = &tickets.body["data"][0];
        let department = app
            .post("/api/v1/departments", &admin, json!({"name": "Suporte"}))
            .await;
        let tag = app.post("/api/v1/tags", &admin, json!({"label": "VIP"})).await;
        let field = app
            .post(
                "/api/v1/custom-fields",
                &admin,
                json!({"name": "Plano", "type": "text"}),
            )
            .await;
        let person = app.post("/api/v1/people", &admin, json!({"name": "Acme Ltda"})).await;
        let linked = app
            .patch(
                &format!("/api/v1/contacts/{contact}"),
                &admin,
                json!({"person_id": person.str("id"), "custom_fields": {field.str("id"): "Ouro"}}),
            )
            .await;
        assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
        let group = app
            .post(
                "/api/v1/contacts",
                &admin,
                json!({"connection_id": service, "name": "Equipe", "is_group": true}),
            )
            .await;
        let members = app
            .call(
                Method::PUT,
                &format!("/api/v1/contacts/{}/members", group.str("id")),
                Some(&admin),
                Some(json!({"members": [{"phone": ana}]})),
            )
            .await;
        assert_eq!(members.status, StatusCode::OK, "{}", members.body);
        let doomed = app
            .post(
                "/api/v1/contacts",
                &admin,
                json!({"connection_id": service, "name": "Apagar", "phone": "5511977776666"}),
            )
            .await;
        let me = app.get("/api/v1/me", &admin).await;
        let receiver = Receiver::start().await;

        let mut values = HashMap::new();
        for (k, v) in [
            ("serviceId", service.clone()),
            ("serviceid", service.clone()),
            ("servieId", service),
            ("contactId", contact),
            ("ticketId", ticket["id"].as_str().unwrap_or_default().to_owned()),
            (
                "protocolNumber",
                ticket["protocol"].as_str().unwrap_or_default().to_owned(),
            ),
            ("departmentId", department.str("id").to_owned()),
            ("tagIds", tag.str("id").to_owned()),
            ("customFieldId", field.str("id").to_owned()),
            ("customFieldsId", field.str("id").to_owned()),
            ("customFieldName1", "Plano".to_owned()),
            ("organizationId", person.str("id").to_owned()),
            ("userId", me.str("id").to_owned()),
            ("accountId", me.str("account_id").to_owned()),
            ("groupId", group.str("id").to_owned()),
            ("doomedId", doomed.str("id").to_owned()),
            ("number", ana.to_owned()),
            ("contactNumber", ana.to_owned()),
            ("e-mail", balcao_testkit::ADMIN_EMAIL.to_owned()),
            ("password", balcao_testkit::ADMIN_PASSWORD.to_owned()),
            ("url", receiver.url()),
            ("link_Completo_Webhook", receiver.url()),
            ("true or falsze", "true".to_owned()),
        ] {
            values.insert(k, v);
        }
        Account {
            app,
            _sim: sim,
            admin,
            receiver,
            values,
        }
    }

    /// The value of a placeholder in example `index`. Where the documentation uses one name for
    /// two different records, the occurrence tells which: the group and its member in
    /// "Atribuir cargo de administrador", a contact to delete, new numbers for new contacts.
    fn value(&self, index: usize, base: &str, name: &str, n: usize, in_url: bool) -> String {
        match (index, name) {
            (_, "URL" | "URLbase") => return base.to_owned(),
            (10, "contactId") => return self.values["doomedId"].clone(),
            (11, "contactId") if in_url => return self.values["groupId"].clone(),
            (6, "number") => return "5511966665555".to_owned(),
            (7, "number") => return format!("55119555544{n:02}"),
            (6 | 7, "name") => return format!("Contato {n}"),
            (12, "groupName") => return "Grupo de clientes".to_owned(),
            _ => {}
        }
        match self.values.get(name) {
            Some(v) => v.clone(),
            // Placeholders written as the value itself: dates, event names, `general`.
            None if name.contains('T') && name.ends_with('Z') => name.to_owned(),
            None if name.contains('.') || name == "general" => name.to_owned(),
            None => format!("{name} de exemplo"),
        }
    }

    /// Sends example `index` with `{{URL}}` as `base`; answers status, content type and body.
    async fn send(&self, index: usize, example: &Value, base: &str) -> (StatusCode, String, Vec<u8>) {
        let url = example["url"].as_str().expect("url");
        let url = fill(url, &mut |name, n| self.value(index, base, name, n, true));
        let method = Method::from_bytes(example["method"].as_str().expect("method").as_bytes()).expect("method");
        let mut request = self
            .app
            .client
            .request(method, as_fetch_sends(&url))
            .bearer_auth(&self.admin);
        if let Some(headers) = example["headers"].as_object() {
            for (k, v) in headers {
                request = request.header(k.as_str(), v.as_str().unwrap_or_default());
            }
        }
        if let Some(body) = example["body"].as_str() {
            let body = fill(body, &mut |name, n| self.value(index, base, name, n, false));
            if example["headers"].get("Content-Type").is_none() {
                // What `fetch` sends with a string body and no Content-Type.
                request = request.header("content-type", "text/plain;charset=UTF-8");
            }
            request = request.body(body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, content_type, response.bytes().await.expect("body").to_vec())
    }
}

/// Why the answer does not match `shape`, if it does not.
fn mismatch(shape: Shape, content_type: &str, body: &[u8]) -> Option<String> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let is_error = |v: &Value| v["error"].is_string() && v["message"].is_string() && v["status"].is_number();
    let ok = match (shape, &json) {
        (Shape::Object, Some(v)) => v.is_object() && !is_error(v),
        (Shape::List, Some(v)) => {
            v["data"].is_array()
                && ["total", "limit", "skip", "currentPage", "lastPage", "from", "to"]
                    .iter()
                    .all(|k| v[*k].is_number())
        }
        (Shape::Array, Some(v)) => v.is_array(),
        (Shape::Missing, Some(v)) => is_error(v) && v["message"].as_str().is_some_and(|m| m.contains("not available")),
        (Shape::Csv, _) => content_type.starts_with("text/csv") && body.contains(&b'\n'),
        (Shape::Pdf, _) => content_type == "application/pdf" && body.starts_with(b"%PDF-"),
        (Shape::Text, _) => content_type.starts_with("text/plain") && !body.is_empty(),
        (Shape::Receiver, _) => true,
        _ => false,
    };
    (!ok).then(|| {
        format!(
            "expected {shape:?}, got {content_type}: {}",
            String::from_utf8_lossy(&body[..body.len().min(400)])
        )
    })
}

#[tokio::test]
async fn every_documented_example_request_works_as_written() {
    let examples: Vec<Value> = serde_json::from_str(EXAMPLES).expect("examples");
    assert_eq!(examples.len(), EXPECTED.len());
    let account = Account::new().await;
    let base = account.app.url("/digisac");
    let mut failures = Vec::new();
    for (i, example) in examples.iter().enumerate() {
        // The documentation writes one request as `{{URL}}api/v1/...`: it only works with a
        // base URL ending in `/`, so that request gets one.
        let written_without_slash = example["url"].as_str().is_some_and(|u| u.starts_with("{{URL}}api"));
        let this_base = if written_without_slash {
            format!("{base}/")
        } else {
            base.clone()
        };
        let (status, content_type, body) = account.send(i, example, &this_base).await;
        let (want_status, shape) = EXPECTED[i];
        if status.as_u16() != want_status {
            failures.push(format!(
                "#{i} {} {}: status {status}, expected {want_status}: {}",
                example["method"],
                example["title"],
                String::from_utf8_lossy(&body[..body.len().min(400)])
            ));
        } else if let Some(why) = mismatch(shape, &content_type, &body) {
            failures.push(format!("#{i} {}: {why}", example["title"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );

    // What the requests did, seen through the native API.
    let app = &account.app;
    let admin = &account.admin;
    let v = &account.values;
    let gone = app.get(&format!("/api/v1/contacts/{}", v["doomedId"]), admin).await;
    assert_eq!(
        gone.status,
        StatusCode::NOT_FOUND,
        "Excluir contato deleted the contact"
    );
    let members = app
        .get(&format!("/api/v1/contacts/{}/members", v["groupId"]), admin)
        .await;
    assert_eq!(members.body["members"][0]["is_admin"], true, "{}", members.body);
    let tagged = app.get(&format!("/api/v1/contacts/{}", v["contactId"]), admin).await;
    assert!(
        tagged.body["tag_ids"]
            .as_array()
            .is_some_and(|t| t.contains(&json!(v["tagIds"]))),
        "{}",
        tagged.body
    );
    let hooks = app.get("/api/v1/webhooks", admin).await;
    assert_eq!(
        hooks.body["data"][0]["url"],
        json!(account.receiver.url()),
        "{}",
        hooks.body
    );
    let test_post = account.receiver.got();
    assert!(test_post.iter().any(|r| r.json == json!({"teste": "teste"})));
    let created = app.get("/api/v1/contacts?limit=100", admin).await;
    let phones: Vec<&str> = created.body["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["phone"].as_str()).collect())
        .unwrap_or_default();
    for phone in ["5511966665555", "5511955554400", "5511955554401"] {
        assert!(phones.contains(&phone), "{phone} in {phones:?}");
    }

    // A base URL written with a trailing slash (`{{URL}}/api/v1/...` then has `//`): the read
    // requests answer the same.
    for (i, example) in examples.iter().enumerate() {
        if example["method"] != "GET" || EXPECTED[i].1 == Shape::Missing {
            continue;
        }
        let (status, content_type, body) = account.send(i, example, &format!("{base}/")).await;
        assert_eq!(
            status.as_u16(),
            EXPECTED[i].0,
            "#{i} with a trailing slash: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(
            mismatch(EXPECTED[i].1, &content_type, &body),
            None,
            "#{i} with a trailing slash"
        );
    }
}
