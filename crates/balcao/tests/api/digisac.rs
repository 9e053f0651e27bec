//! The Digisac-compatible face: its catalogue of routes, errors and envelopes, contacts, and
//! the query language (including hostile input).

use balcao_testkit::TestApp;
use balcao_testkit::serde_json::{Value, json};
use reqwest::{Method, StatusCode};

/// A request to the face as a Digisac client sends it: raw body text, any content type.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(&format!("/digisac{path}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some((content_type, text)) = body {
        req = req.header("content-type", content_type).body(text.to_owned());
    }
    let response = req.send().await.expect("sent");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        balcao_testkit::serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Whether the catalogue lists this route again under another parameter name.
fn shared_route(method: &str, path: &str) -> bool {
    use balcao_http::faces::digisac::{canonical, catalog::ROUTES};
    ROUTES
        .iter()
        .any(|(m, p, _, _)| *m == method && *p != path && canonical(p) == canonical(path))
}

fn is_digisac_error(body: &Value, status: StatusCode) -> bool {
    body["error"].is_string() && body["message"].is_string() && body["status"] == status.as_u16()
}

#[tokio::test]
async fn every_catalogued_route_is_served_or_names_what_is_missing() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let id = "0190f0a0-0000-7000-8000-000000000001";
    let mut unavailable = 0;
    for (method, path, category, missing) in balcao_http::faces::digisac::catalog::ROUTES {
        let concrete: String = {
            let mut out = String::new();
            let mut rest = *path;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
                out.push_str(id);
                rest = &rest[close..];
            }
            out.push_str(rest);
            out
        };
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let (status, body) = call(
            &app,
            method.clone(),
            &concrete,
            Some(&admin),
            Some(("application/json", "{}")),
        )
        .await;
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let route_missing =
            status == StatusCode::NOT_FOUND && body["message"].as_str().is_some_and(|m| m.starts_with("Cannot "));
        assert!(!route_missing, "{method} {path} is not routed");
        assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{method} {path}: {body}");
        if !status.is_success() {
            assert!(is_digisac_error(&body, status), "{method} {path}: {status} {body}");
        }
        if status == StatusCode::NOT_IMPLEMENTED {
            unavailable += 1;
            let message = body["message"].as_str().unwrap_or_default();
            let shared = shared_route(method.as_str(), path);
            assert!(
                missing.is_some() || shared,
                "{method} {path} belongs to a capability Balcão has, yet answers 501: {message}"
            );
            if let Some(capability) = missing.filter(|_| !shared) {
                assert!(message.contains(capability), "{message}");
                assert!(message.contains(category));
            }
        } else if !shared_route(method.as_str(), path) {
            assert!(
                missing.is_none(),
                "{method} {path} claims {missing:?} but answered {status}"
            );
        }
    }
    assert!(unavailable > 0);
    let (status, body) = call(&app, Method::GET, "/api/v1/nothing-here", Some(&admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_digisac_error(&body, status));
}

#[tokio::test]
async fn errors_and_login_take_digisacs_shapes() {
    let app = TestApp::spawn().await;
    let (status, body) = call(&app, Method::GET, "/api/v1/contacts", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"error": "HttpError", "message": "Invalid token: access token is invalid", "status": 401})
    );
    // The login body of Digisac's documentation, comments included.
    let login = "{\n  \"grant_type\": \"password\",\n  \"client_id\": \"api\",\n  \"client_secret\": \"secret\",\n  \"username\": \"admin@example.com\", //e-mail de login do usuario\n  \"password\": \"admin-password-1\" //senha de login do usuario\n}";
    let (status, token) = call(
        &app,
        Method::POST,
        "/api/v1/oauth/token",
        None,
        Some(("application/json", login)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    let access = token["access_token"].as_str().expect("token");
    let (status, me) = call(&app, Method::GET, "/api/v1/me", Some(access), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], "admin@example.com");
    assert!(me["accountId"].is_string() && me["account"]["name"].is_string());
    let form = "grant_type=password&client_id=api&client_secret=secret&username=admin%40example.com&password=wrong";
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/v1/oauth/token",
        None,
        Some(("application/x-www-form-urlencoded", form)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(is_digisac_error(&body, status), "{body}");
}

#[tokio::test]
async fn contacts_through_the_face_are_balcaos_contacts() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let service = app.connection(&admin, "Site").await;
    let tag = app
        .post("/api/v1/tags", &admin, json!({"label": "VIP"}))
        .await
        .str("id")
        .to_owned();
    // The creation body of Digisac's documentation, with its comments.
    let body = format!(
        "{{\"internalName\": \"Maria Souza\",\"number\": \"5511999990000\", //numero contato\n\"serviceId\": \"{service}\", //id conexao\n\"defaultDepartmentId\": null,\"tagIds\": [\"{tag}\"] //id tag\n}}"
    );
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v1/contacts",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["internalName"], "Maria Souza");
    assert_eq!(created["serviceId"], service.as_str());
    assert_eq!(created["data"]["number"], "5511999990000");
    let native = app.get(&format!("/api/v1/contacts/{id}"), &admin).await;
    assert_eq!(native.status, StatusCode::OK, "the same contact in the native API");
    assert_eq!(native.body["tag_ids"], json!([tag]));
    for i in 0..20 {
        app.post(
            "/api/v1/contacts",
            &admin,
            json!({"name": format!("Cliente {i:02}"), "connection_id": service,
                                                    "phone": format!("55219888800{i:02}")}),
        )
        .await;
    }

    // Default page: 15, in Digisac's envelope.
    let (_, page) = call(&app, Method::GET, "/api/v1/contacts", Some(&admin), None).await;
    assert_eq!(page["total"], 21);
    assert_eq!(page["limit"], 15);
    assert_eq!(
        (page["currentPage"].clone(), page["lastPage"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(
        (page["from"].clone(), page["to"].clone(), page["skip"].clone()),
        (json!(1), json!(15), json!(0))
    );
    let (_, second) = call(
        &app,
        Method::GET,
        "/api/v1/contacts?perPage=15&page=2",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(second["data"].as_array().map(Vec::len), Some(6));
    assert_eq!((second["from"].clone(), second["to"].clone()), (json!(16), json!(21)));

    // Bracket parameters: iLike into data.number, order, perPage.
    let (status, found) = call(
        &app,
        Method::GET,
        "/api/v1/contacts?where[data.number][$iLike]=%2598888%25&order[0][0]=name&order[0][1]=DESC&perPage=3",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["total"], 20);
    assert_eq!(found["data"][0]["name"], "Cliente 19");
    // query= JSON: $or, include tags with a where (an inner join), attributes.
    let query = json!({"where": {"$or": [{"internalName": {"$iLike": "maria%"}}, {"name": "Cliente 03"}]},
                       "include": [{"model": "tags", "where": {"id": [tag]}, "required": true}, "service"],
                       "attributes": ["id", "name", "internalName"], "order": [["createdAt", "ASC"]]});
    let url = format!("/api/v1/contacts?query={}", urlencode(&query.to_string()));
    let (status, tagged) = call(&app, Method::GET, &url, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{tagged}");
    assert_eq!(tagged["total"], 1, "{tagged}");
    let only = &tagged["data"][0];
    assert_eq!(only["id"], id.as_str());
    assert_eq!(only["tags"][0]["label"], "VIP");
    assert_eq!(only["service"]["name"], "Site");
    assert!(
        only.get("serviceId").is_none(),
        "attributes keep only the fields asked: {only}"
    );
    // isBroadcast is always false in Balcão; accountId is always the caller's.
    let (_, none) = call(
        &app,
        Method::GET,
        "/api/v1/contacts?where[isBroadcast]=true",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(none["total"], 0);
    let (_, all) = call(
        &app,
        Method::GET,
        "/api/v1/contacts?where[isBroadcast][$eq]=false",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(all["total"], 21);

    let (_, counted) = call(
        &app,
        Method::POST,
        "/api/v1/contacts/count",
        Some(&admin),
        Some(("application/json", "{\"query\": {\"isFiltered\": false}}")),
    )
    .await;
    assert_eq!(counted["count"], 21);
    let (status, changed) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/contacts/{id}"),
        Some(&admin),
        Some(("application/json", "{\"internalName\": \"Maria S.\", \"tagIds\": []}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["internalName"], "Maria S.");
    let (_, blocked) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{id}/block"),
        Some(&admin),
        Some(("application/json", "{\"block\": \"true\", \"description\": \"spam\"}")),
    )
    .await;
    assert_eq!(blocked["data"]["whatsapp"]["isBlocked"], true);
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/contacts/{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, gone) = call(&app, Method::GET, &format!("/api/v1/contacts/{id}"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_digisac_error(&gone, status));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn hostile_queries_answer_400_or_safe_results_never_500() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let service = app.connection(&admin, "Site").await;
    app.post(
        "/api/v1/contacts",
        &admin,
        json!({"name": "Ana", "connection_id": service}),
    )
    .await;
    let deep = (0..30).fold(json!({"name": "Ana"}), |inner, _| json!({"$and": [inner]}));
    let huge_in: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
    for (query, expect) in [
        ("where[password]=x".to_owned(), Some("password")),
        ("where[name;DROP TABLE contacts]=x".to_owned(), Some("DROP TABLE")),
        ("where[name][$regexp]=.*".to_owned(), Some("$regexp")),
        ("include[0]=secrets".to_owned(), Some("secrets")),
        ("order[0][0]=password&order[0][1]=DESC".to_owned(), Some("password")),
        (
            format!("query={}", urlencode(&json!({"where": deep}).to_string())),
            Some("deeper"),
        ),
        (
            format!(
                "query={}",
                urlencode(&json!({"where": {"name": {"$in": huge_in}}}).to_string())
            ),
            Some("1000"),
        ),
        ("query={not json".to_owned(), Some("JSON")),
        ("where[id]=not-a-uuid".to_owned(), Some("id")),
        ("where[createdAt][$gte]=yesterday".to_owned(), Some("createdAt")),
        ("page=-1".to_owned(), Some("page")),
        ("where[name]=a%00b".to_owned(), Some("NUL")),
        ("where[name][$iLike]=%25%00%25".to_owned(), Some("NUL")),
    ] {
        let (status, body) = call(
            &app,
            Method::GET,
            &format!("/api/v1/contacts?{query}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(is_digisac_error(&body, status), "{body}");
        if let Some(needle) = expect {
            assert!(
                body["message"].as_str().unwrap_or_default().contains(needle),
                "{query}: {body}"
            );
        }
    }
    for query in [
        "where[name]=Ana' OR '1'='1",
        "where[name][$iLike]=%25' OR 1=1 --",
        "where[name][$in][0]=Ana&where[name][$in][1]=x'); DROP TABLE contacts; --",
        "perPage=1000000",
        "perPage=abc0&page=",
    ] {
        let (status, body) = call(
            &app,
            Method::GET,
            &format!("/api/v1/contacts?{query}"),
            Some(&admin),
            None,
        )
        .await;
        if status == StatusCode::BAD_REQUEST {
            assert!(is_digisac_error(&body, status));
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert!(body["limit"].as_u64().unwrap_or(0) <= 100, "perPage is capped: {body}");
    }
    let (_, injected) = call(
        &app,
        Method::GET,
        "/api/v1/contacts?where[name]=Ana' OR '1'='1",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(injected["total"], 0, "a value is a value");
    let (_, still) = call(&app, Method::GET, "/api/v1/contacts", Some(&admin), None).await;
    assert_eq!(still["total"], 1, "nothing was dropped");
}

#[tokio::test]
async fn messages_and_tickets_through_the_face() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let service = app.connection(&admin, "Site").await;
    let sales = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let topic = app
        .post("/api/v1/ticket-topics", &admin, json!({"name": "Dúvida"}))
        .await
        .str("id")
        .to_owned();
    let contact = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Rui", "connection_id": service, "phone": "5511977770000"}),
        )
        .await
        .str("id")
        .to_owned();
    // The documentation's send body, as written.
    let body = format!(
        "{{\n \"text\": \"Olá, Rui!\", //texto\n \"type\": \"chat\",\n \"contactId\": \"{contact}\", //ID contato\n \"origin\": \"bot\" // bot or user\n}}"
    );
    let (status, sent) = call(
        &app,
        Method::POST,
        "/api/v1/messages",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(
        (
            sent["type"].clone(),
            sent["isFromMe"].clone(),
            sent["isFromBot"].clone()
        ),
        (json!("chat"), json!(true), json!(true))
    );
    assert_eq!(sent["data"]["ack"], 0);
    assert_eq!(sent["contactId"], contact.as_str());
    assert!(sent["ticketId"].is_string(), "sending opened a ticket: {sent}");
    let note = format!(
        "{{\"text\": \"cliente VIP\", \"type\": \"comment\", \"contactId\": \"{contact}\", \"dontOpenticket\": \"true\"}}"
    );
    let (_, comment) = call(
        &app,
        Method::POST,
        "/api/v1/messages",
        Some(&admin),
        Some(("application/json", &note)),
    )
    .await;
    assert_eq!(comment["type"], "comment");
    // To a number on a service: the contact is created.
    let by_number = format!("{{\"text\": \"Oi\", \"number\": \"(21) 96666-5555\", \"serviceId\": \"{service}\"}}");
    let (status, other) = call(
        &app,
        Method::POST,
        "/api/v1/messages",
        Some(&admin),
        Some(("application/json", &by_number)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{other}");
    let (_, found) = call(
        &app,
        Method::GET,
        "/api/v1/contacts?where[data.number]=5521966665555",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["data"][0]["id"], other["contactId"]);

    let (_, notes) = call(
        &app,
        Method::GET,
        &format!("/api/v1/messages?where[contactId]={contact}&where[type]=comment"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(notes["total"], 1, "{notes}");
    assert_eq!(notes["data"][0]["text"], "cliente VIP");
    let (_, mine) = call(&app, Method::GET, &format!("/api/v1/messages?where[contactId]={contact}&where[isFromMe]=true&where[type][$in][0]=chat&where[type][$in][1]=comment"), Some(&admin), None).await;
    assert_eq!(mine["total"], 2, "{mine}");
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v1/messages?where[type]=fax",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "an unknown type matches nothing");

    let (status, edited) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/messages/{}", sent["id"].as_str().unwrap_or_default()),
        Some(&admin),
        Some((
            "application/json",
            "{\"mentionedList\": [], \"text\": \"Olá, Rui! Tudo bem?\"}",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["text"], "Olá, Rui! Tudo bem?");
    let (status, reaction) = call(
        &app,
        Method::POST,
        &format!(
            "/api/v1/messages/{}/send-reaction",
            sent["id"].as_str().unwrap_or_default()
        ),
        Some(&admin),
        Some(("application/json", "{\"reactionEmojiRendered\": \"👍\"}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reaction}");
    assert_eq!(reaction["type"], "reaction");

    // Tickets: contact-scoped transfer, listing with includes, close with a topic.
    let transfer = format!("{{\"departmentId\": \"{sales}\", \"comments\": \"para vendas\"}}");
    let (status, moved) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{contact}/ticket/transfer"),
        Some(&admin),
        Some(("application/json", &transfer)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["departmentId"], sales.as_str());
    assert_eq!(moved["isOpen"], true);
    let (_, listed) = call(
        &app,
        Method::GET,
        &format!(
            "/api/v1/tickets?where[contactId]={contact}&include[0][model]=contact&include[1]=department&include[2]=user"
        ),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(listed["total"], 1, "{listed}");
    let t = &listed["data"][0];
    assert_eq!(t["contact"]["name"], "Rui");
    assert_eq!(t["department"]["name"], "Vendas");
    let close = format!("{{\"ticketTopicIds\": \"{topic}\"}}");
    let (status, closed) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{contact}/ticket/close"),
        Some(&admin),
        Some(("application/json", &close)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["isOpen"], false);
    assert_eq!(closed["ticketTopicIds"], json!([topic]));
    let (_, open) = call(
        &app,
        Method::GET,
        &format!("/api/v1/tickets?where[contactId]={contact}&where[isOpen]=true"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(open["total"], 0);
    let (status, again) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{contact}/ticket/close"),
        Some(&admin),
        Some(("application/json", "{}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{again}");
    // No open ticket: a transfer opens one there.
    let (status, reopened) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{contact}/ticket/transfer"),
        Some(&admin),
        Some(("application/json", &transfer)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    assert_ne!(reopened["id"], closed["id"]);
    assert_eq!(
        (reopened["isOpen"].clone(), reopened["departmentId"].clone()),
        (json!(true), json!(sales))
    );
}

#[tokio::test]
async fn departments_tags_and_topics_through_the_face() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let service = app.connection(&admin, "Site").await;
    let (status, dept) = call(
        &app,
        Method::POST,
        "/api/v1/departments",
        Some(&admin),
        Some(("application/json", "{\n \"name\": \"Suporte\" //nome\n}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{dept}");
    let dept_id = dept["id"].as_str().expect("id").to_owned();
    let (_, list) = call(&app, Method::GET, "/api/v1/departments?perPage=40", Some(&admin), None).await;
    assert_eq!((list["total"].clone(), list["limit"].clone()), (json!(1), json!(40)));
    let (_, archived) = call(
        &app,
        Method::POST,
        &format!("/api/v1/departments/{dept_id}/archive"),
        Some(&admin),
        Some(("application/json", "{\"archive\": true}")),
    )
    .await;
    assert!(archived["archivedAt"].is_string(), "{archived}");

    let body = format!(
        "{{\n \"label\": \"Cliente Ouro\", //nome da tag\n \"backgroundColor\": \"#40C3FF\", //cor\n \"departments\": [\"{dept_id}\"]\n}}"
    );
    let (status, tag) = call(
        &app,
        Method::POST,
        "/api/v1/tags",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tag}");
    assert_eq!(tag["backgroundColor"], "#40c3ff");
    let tag_id = tag["id"].as_str().expect("id").to_owned();
    let a = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "A", "connection_id": service}),
        )
        .await
        .str("id")
        .to_owned();
    let b = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "B", "connection_id": service}),
        )
        .await
        .str("id")
        .to_owned();
    let add = format!("{{\"where\": {{\"id\": [\"{a}\", \"{b}\"]}}}}");
    let (status, added) = call(
        &app,
        Method::POST,
        &format!("/api/v1/tags/{tag_id}/contacts"),
        Some(&admin),
        Some(("application/json", &add)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let (_, tagged) = call(
        &app,
        Method::GET,
        &format!("/api/v1/contacts?include[0][model]=tags&include[0][where][id]={tag_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(tagged["total"], 2, "{tagged}");
    let remove = format!("{{\"where\": {{\"id\": [\"{a}\"]}}}}");
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/tags/{tag_id}/contacts"),
        Some(&admin),
        Some(("application/json", &remove)),
    )
    .await;
    let (_, tagged) = call(
        &app,
        Method::GET,
        &format!("/api/v1/contacts?include[0][model]=tags&include[0][where][id]={tag_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(tagged["total"], 1);
    assert_eq!(tagged["data"][0]["id"], b.as_str());

    let (_, topic) = call(
        &app,
        Method::POST,
        "/api/v1/ticket-topics",
        Some(&admin),
        Some(("application/json", "{\"name\": \"Financeiro\"}")),
    )
    .await;
    let topic_id = topic["id"].as_str().expect("id").to_owned();
    let (_, renamed) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/ticket-topics/{topic_id}"),
        Some(&admin),
        Some(("application/json", "{\"name\": \"Cobrança\"}")),
    )
    .await;
    assert_eq!(renamed["name"], "Cobrança");
    let (_, deleted) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/ticket-topics/{topic_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert!(
        deleted["archivedAt"].is_string(),
        "deleting a topic archives it: {deleted}"
    );
    let (_, topics) = call(&app, Method::GET, "/api/v1/ticket-topics", Some(&admin), None).await;
    assert_eq!(topics["total"], 1);
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v1/ticket-topics/0190f0a0-0000-7000-8000-000000000001",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_and_personal_tokens_through_the_face() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let dept = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let body = format!(
        "{{\"accountId\": \"x\", //id conta\n\"email\": \"bia@example.com\", \"password\": \"senha-forte-1\", //senha\n\"name\": \"Bia\",\"rolesId\": \"\", //id cargo\n\"organizationIds\":[],\"departmentsId\": \"{dept}\" //id departamento\n}}"
    );
    let (status, user) = call(
        &app,
        Method::POST,
        "/api/v1/users",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["departmentIds"], json!([dept]));
    let id = user["id"].as_str().expect("id").to_owned();
    let (_, promoted) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        Some(("application/json", "{\"name\": \"Beatriz\", \"isAdmin\": true}")),
    )
    .await;
    assert_eq!(
        (promoted["name"].clone(), promoted["role"].clone()),
        (json!("Beatriz"), json!("admin"))
    );
    let (_, users) = call(&app, Method::GET, "/api/v1/users?perPage=40", Some(&admin), None).await;
    assert_eq!(users["total"], 2);
    let (_, archived) = call(
        &app,
        Method::POST,
        &format!("/api/v1/users/{id}/archive"),
        Some(&admin),
        Some(("application/json", "{\"archive\": true}")),
    )
    .await;
    assert_eq!(archived["active"], false);

    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v1/me/tokens",
        Some(&admin),
        Some(("application/json", "{\"name\": \"n8n\"}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["token"].as_str().expect("the value, once").to_owned();
    let (status, me) = call(&app, Method::GET, "/api/v1/me", Some(&secret), None).await;
    assert_eq!(status, StatusCode::OK, "the new token works: {me}");
    let token_id = created["id"].as_str().expect("id").to_owned();
    let (status, renamed) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/me/tokens/{token_id}"),
        Some(&admin),
        Some(("application/json", "{ \"name\": \"n8n produção\"}")),
    )
    .await;
    assert_eq!(
        (status, renamed["name"].clone()),
        (StatusCode::OK, json!("n8n produção")),
        "{renamed}"
    );
    let (status, unnamed) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/me/tokens/{token_id}"),
        Some(&admin),
        Some(("application/json", "{\"name\": \"  \"}")),
    )
    .await;
    assert!(
        status == StatusCode::BAD_REQUEST && is_digisac_error(&unnamed, status),
        "{unnamed}"
    );
    let (status, _) = call(&app, Method::GET, "/api/v1/me", Some(&secret), None).await;
    assert_eq!(status, StatusCode::OK, "a renamed token keeps working");
    let (_, listed) = call(&app, Method::GET, "/api/v1/me/tokens", Some(&admin), None).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["data"][0]["name"], "n8n produção");
    assert!(
        listed["data"][0].get("token").is_none(),
        "the value is never shown again"
    );
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/me/tokens/{token_id}"),
        Some(&admin),
        None,
    )
    .await;
    let (status, _) = call(&app, Method::GET, "/api/v1/me", Some(&secret), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn webhooks_made_through_the_face_deliver_digisac_bodies() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let receiver = crate::webhooks::Receiver::start().await;
    let service = app.connection(&admin, "Site").await;
    let body = format!(
        "{{\"active\": true, \"name\": \"n8n\", \"url\": \"{}\", \"events\": [\"message.created\", \"ticket.created\", \"ticket.closed\"], \"type\": \"general\"}}",
        receiver.url()
    );
    let (status, hook) = call(
        &app,
        Method::POST,
        "/api/v1/me/webhooks",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{hook}");
    assert_eq!(
        hook["events"],
        json!(["message.created", "ticket.created", "ticket.closed"])
    );
    let (status, refused) = call(
        &app,
        Method::POST,
        "/api/v1/me/webhooks",
        Some(&admin),
        Some((
            "application/json",
            "{\"url\": \"https://x.example.com\", \"events\": [\"bot.command\"]}",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("bot.command"));

    let contact = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Lia", "connection_id": service}),
        )
        .await
        .str("id")
        .to_owned();
    let send = |text: &'static str| {
        let (app, admin, contact) = (&app, &admin, &contact);
        async move {
            let sent = app
                .post("/api/v1/messages", admin, json!({"contact_id": contact, "text": text}))
                .await;
            assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
        }
    };
    send("Olá Lia").await;
    let got = receiver
        .wait("the message and the ticket", |g| {
            g.iter()
                .any(|r| r.json["event"] == "message.created" && r.json["data"]["type"] == "chat")
                && g.iter().any(|r| r.json["event"] == "ticket.created")
        })
        .await;
    // Opening the ticket wrote a `ticket` message to the timeline too.
    assert!(
        got.iter()
            .any(|r| r.json["event"] == "message.created" && r.json["data"]["type"] == "ticket")
    );
    let message = got
        .iter()
        .find(|r| r.json["event"] == "message.created" && r.json["data"]["type"] == "chat")
        .expect("message");
    let data = &message.json["data"];
    assert_eq!(data["text"], "Olá Lia");
    assert_eq!(
        (data["isFromMe"].clone(), data["type"].clone()),
        (json!(true), json!("chat"))
    );
    assert_eq!(data["contactId"], contact.as_str());
    assert_eq!(data["serviceId"], service.as_str());
    assert!(
        message.json.get("account_id").is_none(),
        "Digisac's envelope, not Balcão's: {}",
        message.json
    );
    let ticket = got
        .iter()
        .find(|r| r.json["event"] == "ticket.created")
        .expect("ticket");
    assert_eq!(ticket.json["data"]["isOpen"], true);
    assert!(
        !got.iter().any(|r| r.json["event"] == "contact.created"),
        "not subscribed"
    );
    // A message names its ticket's department and agent.
    let sales = app.post("/api/v1/departments", &admin, json!({"name": "Vendas"})).await;
    let transfer = format!("{{\"departmentId\": \"{}\"}}", sales.str("id"));
    let (status, moved) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{contact}/ticket/transfer"),
        Some(&admin),
        Some(("application/json", &transfer)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    send("Vendas aqui").await;
    let got = receiver
        .wait("the message after the transfer", |g| {
            g.iter().any(|r| r.json["data"]["text"] == "Vendas aqui")
        })
        .await;
    let after = got
        .iter()
        .find(|r| r.json["data"]["text"] == "Vendas aqui")
        .expect("message");
    assert_eq!(
        after.json["data"]["ticketDepartmentId"],
        sales.str("id"),
        "{}",
        after.json
    );
    assert_eq!(after.json["data"]["ticketUserId"], moved["userId"], "{}", after.json);
    assert_eq!(data["ticketDepartmentId"], Value::Null, "before the transfer: {data}");

    let (_, listed) = call(&app, Method::GET, "/api/v1/me/webhooks", Some(&admin), None).await;
    assert_eq!(listed["total"], 1);
    let id = hook["id"].as_str().expect("id");
    let (_, paused) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/me/webhooks/{id}"),
        Some(&admin),
        Some(("application/json", "{\"active\": false}")),
    )
    .await;
    assert_eq!(paused["active"], false);
    // The native API sees the same subscription, delivery log included.
    let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), &admin).await;
    assert!(
        log.body["data"].as_array().is_some_and(|d| d.len() >= 2),
        "{}",
        log.body
    );
}

#[tokio::test]
async fn live_figures_count_the_active_tickets() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let sales = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let (agent_id, agent) = app.user_with_role(&admin, "agente@example.com", "agent").await;
    let service = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "webchat", "name": "Site", "default_department_id": sales}),
        )
        .await
        .str("id")
        .to_owned();
    let mut tickets = Vec::new();
    for name in ["A", "B", "C"] {
        let c = app
            .post(
                "/api/v1/contacts",
                &admin,
                json!({"name": name, "connection_id": service}),
            )
            .await
            .str("id")
            .to_owned();
        // A customer's message opens an unassigned ticket that waits for an answer.
        let m = app
            .post(
                "/api/v1/messages",
                &admin,
                json!({"contact_id": c, "text": "oi", "direction": "inbound"}),
            )
            .await;
        tickets.push(m.body["ticket_id"].as_str().expect("ticket").to_owned());
    }
    app.post(
        &format!("/api/v1/tickets/{}/assign", tickets[0]),
        &admin,
        json!({"user_id": agent_id}),
    )
    .await;
    let contact_of_first = app.get(&format!("/api/v1/tickets/{}", tickets[0]), &admin).await.body["contact_id"].clone();
    app.post(
        "/api/v1/messages",
        &agent,
        json!({"contact_id": contact_of_first, "text": "Olá!"}),
    )
    .await;
    app.post(&format!("/api/v1/tickets/{}/close", tickets[2]), &admin, json!({}))
        .await;

    let (status, now) = call(&app, Method::GET, "/api/v1/now/resume", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(
        (
            now["openTickets"].clone(),
            now["waitingTickets"].clone(),
            now["inAttendanceTickets"].clone(),
            now["unassignedTickets"].clone()
        ),
        (json!(2), json!(1), json!(1), json!(1)),
        "{now}"
    );
    let (_, people) = call(&app, Method::GET, "/api/v1/now/attendance-resume", Some(&admin), None).await;
    let line = people["data"]
        .as_array()
        .and_then(|d| d.iter().find(|l| l["userId"] == agent_id.as_str()))
        .cloned()
        .expect("agent");
    assert_eq!(
        (line["openTickets"].clone(), line["inAttendanceTickets"].clone()),
        (json!(1), json!(1))
    );
    let (_, departments) = call(&app, Method::GET, "/api/v1/now/departments-resume", Some(&admin), None).await;
    let line = departments["data"][0].clone();
    assert_eq!(
        (
            line["name"].clone(),
            line["openTickets"].clone(),
            line["waitingTickets"].clone()
        ),
        (json!("Vendas"), json!(2), json!(1))
    );
    let (status, _) = call(&app, Method::GET, "/api/v1/now/resume", Some(&agent), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn exports_stream_csv_and_transcripts() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let service = app.connection(&admin, "Site").await;
    let vip = app
        .post("/api/v1/tags", &admin, json!({"label": "VIP"}))
        .await
        .str("id")
        .to_owned();
    for i in 0..1203 {
        let tags = if i == 7 { json!([vip]) } else { json!([]) };
        let name = if i == 7 {
            "Souza; \"Zé\"".to_owned()
        } else {
            format!("Cliente {i:04}")
        };
        app.post(
            "/api/v1/contacts",
            &admin,
            json!({"name": name, "connection_id": service, "tag_ids": tags}),
        )
        .await;
    }
    let (status, csv) = call(&app, Method::POST, "/api/v1/contacts/export/csv", Some(&admin), Some(("application/json", "{\"where\": {\"visible\": true, \"isBroadcast\": {\"$eq\": false}}, \"include\": [\"tags\", {\"model\": \"service\", \"required\": true}], \"order\": [[\"name\", \"ASC\"]], \"page\": 1, \"perPage\": 15, \"type\": \"semiColon\"}"))).await;
    assert_eq!(status, StatusCode::OK);
    let text = csv.as_str().expect("csv").to_owned();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1204, "a header and every contact, past the page size");
    assert!(lines[0].starts_with("id;name;internalName"));
    let quoted = lines.iter().find(|l| l.contains("Souza")).expect("the odd one");
    assert!(quoted.contains("\"Souza; \"\"Zé\"\"\""), "{quoted}");
    assert!(quoted.contains(";VIP;"), "{quoted}");
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/contacts/export/csv",
        Some(&admin),
        Some(("application/json", "{\"type\": \"tab\"}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A conversation, then its transcript by protocol and the history CSV.
    let contact = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "João Ação", "connection_id": service}),
        )
        .await
        .str("id")
        .to_owned();
    app.post(
        "/api/v1/messages",
        &admin,
        json!({"contact_id": contact, "text": "Bom dia, posso ajudar?"}),
    )
    .await;
    let reply = app
        .post(
            "/api/v1/messages",
            &admin,
            json!({"contact_id": contact, "text": "Quero trocar o pedido nº 42", "direction": "inbound"}),
        )
        .await;
    let ticket = reply.body["ticket_id"].as_str().expect("ticket").to_owned();
    let protocol = app.get(&format!("/api/v1/tickets/{ticket}"), &admin).await.body["protocol"]
        .as_str()
        .expect("protocol")
        .to_owned();
    let (status, txt) = call(
        &app,
        Method::POST,
        "/api/v1/tickets/export",
        Some(&admin),
        Some((
            "application/json",
            &format!("{{\"protocol\": \"{protocol}\" //Numero do protocolo\n}}"),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let txt = txt.as_str().expect("text").to_owned();
    assert!(txt.starts_with(&format!("Chamado {protocol}")), "{txt}");
    assert!(txt.contains("chamado aberto"), "{txt}");
    assert!(txt.contains("João Ação: Quero trocar o pedido nº 42"), "{txt}");
    assert!(txt.contains("Bom dia, posso ajudar?"));
    let (status, missing) = call(
        &app,
        Method::POST,
        "/api/v1/tickets/export",
        Some(&admin),
        Some(("application/json", "{\"protocol\": \"000\"}")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

    let query = json!({"distinct": true, "order": [["updatedAt", "DESC"]], "where": {},
                       "include": [{"model": "contact", "required": true, "where": {"visible": true, "serviceId": service},
                                    "include": [{"model": "service", "required": true}, {"model": "tags"}]},
                                   {"model": "user"}, {"model": "department"}, {"model": "ticketTopics"}]});
    let (status, history) = call(
        &app,
        Method::POST,
        &format!("/api/v1/tickets/export-history?query={}", urlencode(&query.to_string())),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let history = history.as_str().expect("csv").to_owned();
    let rows: Vec<&str> = history.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 2, "{history}");
    assert!(
        rows[1].starts_with(&protocol) && rows[1].contains("João Ação"),
        "{history}"
    );
}

#[tokio::test]
async fn a_ticket_transcript_comes_as_a_pdf() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let service = app.connection(&admin, "Site").await;
    let contact = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"name": "Conceição", "connection_id": service}),
        )
        .await
        .str("id")
        .to_owned();
    let first = app
        .post(
            "/api/v1/messages",
            &admin,
            json!({"contact_id": contact, "text": "Olá, não recebi a encomenda (pedido nº 7)", "direction": "inbound"}),
        )
        .await;
    let ticket = first.body["ticket_id"].as_str().expect("ticket").to_owned();
    app.post(
        "/api/v1/messages",
        &admin,
        json!({"contact_id": contact, "text": "Já verificamos — chega amanhã!"}),
    )
    .await;
    let response = app
        .client
        .get(app.url(&format!("/digisac/pdf/tickets/{ticket}/pt-BR?pdf=1&lng=pt-BR")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.expect("bytes").to_vec();
    assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
    let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"Concei\xe7\xe3o"), "the contact's name in WinAnsi");
    assert!(has(b"n\xe3o recebi a encomenda \\(pedido n\xba 7\\)"));
    assert!(has(b"\x97 chega amanh\xe3!"), "an em dash and a tilde");
    assert!(has(b"/BaseFont /Helvetica /Encoding /WinAnsiEncoding"));
    let missing = app
        .client
        .get(app.url("/digisac/pdf/tickets/0190f0a0-0000-7000-8000-000000000001/pt-BR"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn general_statistics_of_a_period() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (agent_id, agent) = app.user_with_role(&admin, "agente@example.com", "agent").await;
    let service = app.connection(&admin, "Site").await;
    let mut tickets = Vec::new();
    for name in ["A", "B", "C"] {
        let c = app
            .post(
                "/api/v1/contacts",
                &admin,
                json!({"name": name, "connection_id": service}),
            )
            .await
            .str("id")
            .to_owned();
        let m = app
            .post(
                "/api/v1/messages",
                &admin,
                json!({"contact_id": c, "text": "oi", "direction": "inbound"}),
            )
            .await;
        tickets.push((c, m.body["ticket_id"].as_str().expect("ticket").to_owned()));
    }
    app.post(
        &format!("/api/v1/tickets/{}/assign", tickets[0].1),
        &admin,
        json!({"user_id": agent_id}),
    )
    .await;
    app.post(
        "/api/v1/messages",
        &agent,
        json!({"contact_id": tickets[0].0, "text": "Olá!"}),
    )
    .await;
    app.post(&format!("/api/v1/tickets/{}/close", tickets[0].1), &admin, json!({}))
        .await;

    let (status, stats) = call(&app, Method::GET, "/api/v1/dashboard/general?startPeriod=2000-01-01T00:00:00.000Z&grouping=&departmentId=all&userId=all&periodType=openDate&departmentParticipation=last&userParticipation=last&status=all", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["tickets"], json!({"total": 3, "open": 2, "closed": 1}));
    assert_eq!(stats["messages"], json!({"sent": 1, "received": 3}));
    assert_eq!(
        stats["averageTicketTime"], 0,
        "one closed ticket, closed within a second"
    );
    assert!(stats["averageWaitingTime"].is_number());
    assert_eq!(stats["byDay"].as_array().map(Vec::len), Some(1));
    assert_eq!(stats["byDay"][0]["tickets"], 3);
    let (_, closed) = call(
        &app,
        Method::GET,
        "/api/v1/dashboard/general?startPeriod=2000-01-01&periodType=closeDate&status=closed",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(closed["tickets"]["total"], 1);
    let (_, nothing) = call(
        &app,
        Method::GET,
        "/api/v1/dashboard/general?startPeriod=2000-01-01&endPeriod=2000-12-31",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(nothing["tickets"]["total"], 0);
    assert!(nothing["averageWaitingTime"].is_null());
    let (status, _) = call(&app, Method::GET, "/api/v1/dashboard/general", Some(&agent), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, own) = call(
        &app,
        Method::GET,
        &format!("/api/v1/dashboard/general?startPeriod=2000-01-01&userId={agent_id}"),
        Some(&agent),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["tickets"]["total"], 1);
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v1/dashboard/general?startPeriod=2030-01-01&endPeriod=2020-01-01",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &app,
        Method::GET,
        "/api/v1/dashboard/general?periodType=someday",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn services_start_stop_and_the_number_check() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v1/services",
        Some(&admin),
        Some((
            "application/json",
            "{ \"name\":\"Site\", \"type\":\"webchat\", //tipo\n \"botId\": \"x\", \"defaultDepartmentId\": null}",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["type"], "webchat");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, refused) = call(
        &app,
        Method::POST,
        "/api/v1/services",
        Some(&admin),
        Some((
            "application/json",
            "{\"name\": \"WA\", \"type\": \"whatsapp-business\"}",
        )),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "WhatsApp needs its settings: {refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("phone_number_id")
    );
    let (_, renamed) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/services/{id}"),
        Some(&admin),
        Some(("application/json", "{\"name\": \"Site novo\"}")),
    )
    .await;
    assert_eq!(renamed["name"], "Site novo");
    let (status, start) = call(
        &app,
        Method::POST,
        &format!("/api/v1/services/{id}/start"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "webchat connections do not start yet: {start}"
    );
    let (_, stopped) = call(
        &app,
        Method::POST,
        &format!("/api/v1/services/{id}/shutdown"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(stopped["data"]["status"]["state"], "disconnected");
    let (_, archived) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/services/{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert!(archived["archivedAt"].is_string(), "deleting archives: {archived}");

    let site = app.connection(&admin, "Outro").await;
    app.post(
        "/api/v1/contacts",
        &admin,
        json!({"name": "Eli", "connection_id": site, "phone": "+55 11 93333-2222"}),
    )
    .await;
    let url = format!(
        "/api/v1/contacts/exists?numbers[]=(11)%2093333-2222&numbers[]=5511900000000&numbers[]=abc&serviceId={site}"
    );
    let (status, checked) = call(&app, Method::GET, &url, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    let rows = checked["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3, "{checked}");
    assert!(
        rows[0]["contactId"].is_string() && rows[0]["valid"] == true,
        "{checked}"
    );
    assert!(
        rows[0]["exists"].is_null(),
        "whether a number has WhatsApp is unknown, never a guess"
    );
    assert!(rows[1]["contactId"].is_null() && rows[1]["normalized"] == "5511900000000");
    assert_eq!(rows[2]["valid"], false);
    let (status, _) = call(&app, Method::GET, "/api/v1/contacts/exists", Some(&admin), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn custom_fields_organizations_people_and_quick_replies() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let dept = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let (status, field) = call(
        &app,
        Method::POST,
        "/api/v1/custom-fields",
        Some(&admin),
        Some((
            "application/json",
            "{ \"name\": \"Plano\", \"type\": \"text\", \"allowed\": \"contacts\"}",
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{field}");
    assert_eq!(
        (field["allowed"].clone(), field["type"].clone()),
        (json!("contacts"), json!("text"))
    );
    let field_id = field["id"].as_str().expect("id").to_owned();
    let (_, deleted) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/custom-fields/{field_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert!(
        deleted["archivedAt"].is_string(),
        "deleting a field archives it: {deleted}"
    );

    let (_, org) = call(
        &app,
        Method::POST,
        "/api/v1/organizations",
        Some(&admin),
        Some(("application/json", "{ \"name\":\"Padaria Pão Quente\"}")),
    )
    .await;
    let org_id = org["id"].as_str().expect("id").to_owned();
    let body = format!(
        "{{ \"name\": \"Rita\", \"document\": \"529.982.247-25\", //documento\n \"organizationIds\": [\"{org_id}\"] //id organizacao\n}}"
    );
    let (status, person) = call(
        &app,
        Method::POST,
        "/api/v1/people",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{person}");
    assert_eq!(person["organizationIds"], json!([org_id]));
    assert_eq!(person["document"], "52998224725");
    let (_, people) = call(&app, Method::GET, "/api/v1/people?perPage=40", Some(&admin), None).await;
    assert_eq!(people["total"], 1);
    let (status, bad) = call(
        &app,
        Method::POST,
        "/api/v1/people",
        Some(&admin),
        Some(("application/json", "{\"name\": \"X\", \"document\": \"123\"}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    let body =
        format!("{{ \"text\": \"Olá! Em que posso ajudar?\", \"departmentIds\": [\"{dept}\"] //id departamento\n}}");
    let (status, reply) = call(
        &app,
        Method::POST,
        "/api/v1/quick-replies",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["title"], "ola-em-que");
    assert_eq!(reply["departmentIds"], json!([dept]));
    let id = reply["id"].as_str().expect("id").to_owned();
    let (_, changed) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/quick-replies/{id}"),
        Some(&admin),
        Some(("application/json", "{\"text\": \"Oi! Como posso ajudar?\"}")),
    )
    .await;
    assert_eq!(changed["text"], "Oi! Como posso ajudar?");
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/quick-replies/{id}"),
        Some(&admin),
        None,
    )
    .await;
    let (_, replies) = call(&app, Method::GET, "/api/v1/quick-replies", Some(&admin), None).await;
    assert_eq!(replies["total"], 0);
}

#[tokio::test]
async fn templates_and_interactive_messages_through_the_face() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.whatsapp_connection(&admin, "WA").await;
    let body = format!(
        "{{ \"name\": \"pedido_enviado\", //Nome do template\n \"internalName\": \"Pedido enviado\",\n \"components\": [{{\"type\": \"BODY\", \"text\": \"Olá {{{{1}}}}, seu pedido saiu.\"}}],\n \"serviceId\": \"{wa}\", //ID da conexao\n \"messageType\": \"text_only\", \"language\": \"pt_BR\", \"category\": \"UTILITY\", \"namespace\": \"\", \"status\": \"\"}}"
    );
    let (status, t) = call(
        &app,
        Method::POST,
        "/api/v1/whatsapp-business-templates",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(
        (t["status"].clone(), t["category"].clone()),
        (json!("DRAFT"), json!("UTILITY"))
    );
    let (status, empty) = call(&app, Method::POST, "/api/v1/whatsapp-business-templates", Some(&admin), Some(("application/json", &format!("{{\"name\": \"vazio\", \"components\": [], \"serviceId\": \"{wa}\", \"language\": \"pt_BR\", \"category\": \"MARKETING\"}}")))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a template needs a body: {empty}");
    let (_, count) = call(
        &app,
        Method::GET,
        &format!("/api/v1/whatsapp-business-templates/count?serviceId={wa}&status=DRAFT"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(count["count"], 1);
    let (_, none) = call(
        &app,
        Method::GET,
        "/api/v1/whatsapp-business-templates/count?status=APPROVED",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(none["count"], 0);
    let id = t["id"].as_str().expect("id").to_owned();
    let (_, got) = call(
        &app,
        Method::GET,
        &format!("/api/v1/whatsapp-business-templates/{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(got["name"], "pedido_enviado");

    let dept = app
        .post("/api/v1/departments", &admin, json!({"name": "Vendas"}))
        .await
        .str("id")
        .to_owned();
    let body = format!(
        "{{ \"name\": \"Menu\", \"file\": null, \"interactive\": {{ \"type\": \"list\", //lista\n \"action\": {{ \"button\": \"Opções\", \"sections\": [ {{ \"title\": \"Pedidos\", \"rows\": [ {{ \"title\": \"Rastrear\" }}, {{ \"title\": \"Trocar\" }} ] }} ] }}, \"body\": //corpo\n {{ \"text\": \"Escolha\" }}, \"footer\": //rodape\n {{ \"text\": \"Loja\" }}, \"header\": //cabecalho\n {{ \"type\": \"text\", \"text\": \"Atendimento\" }} }}, \"departments\": //id departamento\n [ {{ \"id\": \"{dept}\" }} ]}}"
    );
    let (status, menu) = call(
        &app,
        Method::POST,
        "/api/v1/interactive-messages",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{menu}");
    assert_eq!(menu["interactive"]["action"]["sections"][0]["rows"][1]["id"], "1-2");
    assert_eq!(menu["interactive"]["header"]["text"], "Atendimento");
    let (_, listed) = call(&app, Method::GET, "/api/v1/interactive-messages", Some(&admin), None).await;
    assert_eq!(listed["total"], 1);
    let menu_id = menu["id"].as_str().expect("id").to_owned();
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/interactive-messages/{menu_id}"),
        Some(&admin),
        None,
    )
    .await;
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("/api/v1/interactive-messages/{menu_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/whatsapp-business-templates/{id}"),
        Some(&admin),
        None,
    )
    .await;
    let (_, after) = call(
        &app,
        Method::GET,
        "/api/v1/whatsapp-business-templates",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(after["total"], 0);
}

#[tokio::test]
async fn group_members_and_contact_sync_through_the_face() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.whatsapp_connection(&admin, "WhatsApp").await;
    let group = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"connection_id": wa, "name": "Equipe", "is_group": true}),
        )
        .await
        .str("id")
        .to_owned();
    let ana = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"connection_id": wa, "name": "Ana", "phone": "5511988880001"}),
        )
        .await
        .str("id")
        .to_owned();
    // "Adicionar participante": numbers join; one already there stays as it is.
    let body = "[{ \"number\": \"+55 11 98888-0001\" // Ana\n}, {\"number\": \"5511988880002\"}]";
    let (status, contact) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{group}/add-members"),
        Some(&admin),
        Some(("text/plain", body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{contact}");
    assert_eq!(contact["id"], json!(group));
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{group}/add-members"),
        Some(&admin),
        Some(("application/json", "[{\"number\": \"5511988880001\"}]")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let members = app.get(&format!("/api/v1/contacts/{group}/members"), &admin).await;
    assert_eq!(
        members.body["members"].as_array().map(Vec::len),
        Some(2),
        "{}",
        members.body
    );
    // Promote and demote name members by contact id.
    let promote = format!("[\"{ana}\" // Ana vira administradora\n]");
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{group}/promote-members"),
        Some(&admin),
        Some(("text/plain", &promote)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let members = app.get(&format!("/api/v1/contacts/{group}/members"), &admin).await;
    let admin_of = |phone: &str| {
        members.body["members"]
            .as_array()
            .and_then(|l| l.iter().find(|m| m["phone"] == phone))
            .map(|m| m["is_admin"].clone())
    };
    assert_eq!(
        (admin_of("5511988880001"), admin_of("5511988880002")),
        (Some(json!(true)), Some(json!(false)))
    );
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{group}/demote-members"),
        Some(&admin),
        Some(("application/json", &format!("[\"{ana}\"]"))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let members = app.get(&format!("/api/v1/contacts/{group}/members"), &admin).await;
    assert!(
        members.body["members"]
            .as_array()
            .is_some_and(|l| l.iter().all(|m| m["is_admin"] == false))
    );
    // Wrong input answers 4xx in Digisac's shape and changes nothing.
    let outsider = app
        .post(
            "/api/v1/contacts",
            &admin,
            json!({"connection_id": wa, "name": "Beto", "phone": "5511988880003"}),
        )
        .await
        .str("id")
        .to_owned();
    for (path, body, want) in [
        (
            format!("/api/v1/contacts/{group}/promote-members"),
            format!("[\"{outsider}\"]"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/contacts/{group}/promote-members"),
            "[\"not-an-id\"]".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/contacts/{group}/add-members"),
            "[{\"number\": \"12\"}]".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/contacts/{group}/add-members"),
            "[]".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/contacts/{group}/add-members"),
            "\"x\"".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/contacts/{ana}/add-members"),
            "[{\"number\": \"5511988880004\"}]".to_owned(),
            StatusCode::CONFLICT,
        ),
        (
            format!("/api/v1/contacts/{}/demote-members", uuid::Uuid::nil()),
            format!("[\"{ana}\"]"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, error) = call(
            &app,
            Method::POST,
            &path,
            Some(&admin),
            Some(("application/json", &body)),
        )
        .await;
        assert!(
            status == want && is_digisac_error(&error, status),
            "{path} {body}: {status} {error}"
        );
    }
    let members = app.get(&format!("/api/v1/contacts/{group}/members"), &admin).await;
    assert_eq!(members.body["members"].as_array().map(Vec::len), Some(2));
    // "Sincroniza contato" answers the contact as stored.
    let (status, synced) = call(
        &app,
        Method::POST,
        &format!("/api/v1/contacts/{ana}/sync"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (status, synced["id"].clone(), synced["name"].clone()),
        (StatusCode::OK, json!(ana), json!("Ana"))
    );
}

#[tokio::test]
async fn templates_go_to_review_and_sync_through_the_face() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let sim = balcao_sim::WhatsappSim::start(balcao_sim::SimConfig::default())
        .await
        .expect("simulator");
    let c = sim.config().clone();
    let service = app
        .post(
            "/api/v1/connections",
            &admin,
            json!({"type": "whatsapp_cloud", "name": "WhatsApp", "settings": {
                "phone_number_id": c.phone_number_id, "waba_id": c.waba_id, "access_token": c.access_token,
                "app_secret": c.app_secret, "graph_api_url": sim.base_url()}}),
        )
        .await
        .str("id")
        .to_owned();
    let body = format!(
        "{{\"name\": \"boas_vindas\", \"language\": \"pt_BR\", \"category\": \"MARKETING\", \"serviceId\": \"{service}\",
          \"components\": [{{\"type\": \"BODY\", \"text\": \"Bem-vindo, {{{{1}}}}!\"}}]}}"
    );
    let (status, t) = call(
        &app,
        Method::POST,
        "/api/v1/whatsapp-business-templates",
        Some(&admin),
        Some(("application/json", &body)),
    )
    .await;
    assert_eq!((status, t["status"].clone()), (StatusCode::OK, json!("DRAFT")), "{t}");
    let id = t["id"].as_str().expect("id").to_owned();
    let (status, edited) = call(
        &app,
        Method::PUT,
        &format!("/api/v1/whatsapp-business-templates/{id}"),
        Some(&admin),
        Some((
            "application/json",
            "{\"name\": \"boas_vindas_2\", \"category\": \"UTILITY\"}",
        )),
    )
    .await;
    assert_eq!(
        (status, edited["name"].clone(), edited["category"].clone()),
        (StatusCode::OK, json!("boas_vindas_2"), json!("UTILITY")),
        "{edited}"
    );
    let (status, sent) = call(
        &app,
        Method::POST,
        &format!("/api/v1/whatsapp-business-templates/{id}/send-to-review"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (status, sent["status"].clone()),
        (StatusCode::OK, json!("PENDING")),
        "{sent}"
    );
    assert!(sent["externalId"].is_string());
    assert!(
        sim.templates()
            .iter()
            .any(|t| t.name == "boas_vindas_2" && t.status == "PENDING")
    );
    sim.review_template("boas_vindas_2", "pt_BR", "REJECTED", Some("TAG_CONTENT_MISMATCH"))
        .expect("reviewed");
    let (status, missing) = call(
        &app,
        Method::POST,
        "/api/v1/whatsapp-business-templates/refresh-templates",
        Some(&admin),
        None,
    )
    .await;
    assert!(
        status == StatusCode::BAD_REQUEST && is_digisac_error(&missing, status),
        "{missing}"
    );
    let (status, list) = call(
        &app,
        Method::POST,
        "/api/v1/whatsapp-business-templates/refresh-templates",
        Some(&admin),
        Some(("application/json", &format!("{{\"serviceId\": \"{service}\"}}"))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let names: Vec<(&str, &str)> = list
        .as_array()
        .map(|l| {
            l.iter()
                .map(|t| (t["name"].as_str().unwrap_or(""), t["status"].as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    assert!(names.contains(&("boas_vindas_2", "REJECTED")), "{names:?}");
    assert!(
        names.contains(&("hello_world", "APPROVED")) && names.contains(&("order_update", "APPROVED")),
        "{names:?}"
    );
    let rejected = list
        .as_array()
        .and_then(|l| l.iter().find(|t| t["name"] == "boas_vindas_2"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(rejected["rejectedReason"], "TAG_CONTENT_MISMATCH");
}

#[tokio::test]
async fn included_models_filter_contacts_even_one_level_down() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let wa = app.whatsapp_connection(&admin, "WhatsApp").await;
    let field = app
        .post(
            "/api/v1/custom-fields",
            &admin,
            json!({"name": "Plano", "type": "text"}),
        )
        .await;
    let acme = app.post("/api/v1/people", &admin, json!({"name": "Acme"})).await;
    let mut ids = Vec::new();
    for (name, plan, person) in [
        ("Ana", Some("Ouro"), true),
        ("Beto", None, true),
        ("Caio", Some("Prata"), false),
    ] {
        let mut body = json!({"connection_id": wa, "name": name});
        if let Some(p) = plan {
            body["custom_fields"] = json!({field.str("id"): p});
        }
        if person {
            body["person_id"] = json!(acme.str("id"));
        }
        let r = app.post("/api/v1/contacts", &admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.str("id").to_owned());
    }
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v["data"]
            .as_array()
            .map(|l| l.iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        n.sort();
        n
    };
    let list = |query: Value| {
        let app = &app;
        let admin = &admin;
        async move {
            call(
                app,
                Method::GET,
                &format!("/api/v1/contacts?query={}", urlencode(&query.to_string())),
                Some(admin),
                None,
            )
            .await
        }
    };
    let (status, with_plan) = list(json!({"include": [{"model": "customFieldValues", "include": [
        {"model": "customField", "where": {"$or": [{"name": "Plano"}, {"name": "Outro"}]}}]}]}))
    .await;
    assert_eq!(status, StatusCode::OK, "{with_plan}");
    assert_eq!(names(&with_plan), ["Ana", "Caio"]);
    let (_, optional) = list(json!({"include": [{"model": "customFieldValues", "include": [
        {"model": "customField", "required": false, "where": {"name": "Plano"}}]}]}))
    .await;
    assert_eq!(
        names(&optional),
        ["Ana", "Beto", "Caio"],
        "required: false keeps every contact"
    );
    let (_, of_acme) =
        list(json!({"include": [{"model": "person", "required": "true", "where": {"id": acme.str("id")}}]})).await;
    assert_eq!(names(&of_acme), ["Ana", "Beto"]);
    let (_, by_name) = list(json!({"include": [{"model": "person", "where": {"name": {"$iLike": "ac%"}}}]})).await;
    assert_eq!(names(&by_name), ["Ana", "Beto"]);
    for (query, names_it) in [
        (
            json!({"include": [{"model": "tags", "include": [{"model": "account", "where": {"id": "x"}}]}]}),
            "account",
        ),
        (
            json!({"include": [{"model": "customFieldValues", "include": [{"model": "customField", "include": [
            {"model": "account", "where": {"id": 1}}]}]}]}),
            "three levels",
        ),
        (
            json!({"include": [{"model": "customFieldValues", "include": [{"model": "customField",
            "where": {"$or": [{"name": "a"}, {"id": "b"}]}}]}]}),
            "$or",
        ),
        (
            json!({"include": [{"model": "customFieldValues", "include": [{"model": "customField",
            "where": {"colour": "red"}}]}]}),
            "colour",
        ),
        (
            json!({"include": [{"model": "person", "where": {"name": {"$or": "'; DROP TABLE people; --"}}}]}),
            "$or",
        ),
    ] {
        let (status, error) = list(query.clone()).await;
        assert!(
            status == StatusCode::BAD_REQUEST
                && is_digisac_error(&error, status)
                && error["message"].as_str().is_some_and(|m| m.contains(names_it)),
            "{query}: {status} {error}"
        );
    }
}

#[tokio::test]
async fn ticket_lists_order_by_included_fields_and_bring_nested_records() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let site = app.connection(&admin, "Site").await;
    let vip = app.post("/api/v1/tags", &admin, json!({"label": "VIP"})).await;
    let acme = app.post("/api/v1/people", &admin, json!({"name": "Acme"})).await;
    let mut contacts = Vec::new();
    for name in ["Bia", "Caio", "Ana"] {
        let mut body = json!({"connection_id": site, "name": name});
        if name == "Ana" {
            body["tag_ids"] = json!([vip.str("id")]);
            body["person_id"] = json!(acme.str("id"));
        }
        let r = app.post("/api/v1/contacts", &admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.str("id").to_owned();
        for text in [format!("primeira para {name}"), format!("última para {name}")] {
            let body = json!({"contactId": id, "text": text}).to_string();
            let (status, sent) = call(
                &app,
                Method::POST,
                "/api/v1/messages",
                Some(&admin),
                Some(("application/json", &body)),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{sent}");
        }
        contacts.push(id);
    }
    let list = |query: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            call(
                app,
                Method::GET,
                &format!("/api/v1/tickets?query={}", urlencode(&query.to_string())),
                Some(admin),
                None,
            )
            .await
        }
    };
    let contact_names = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|t| t["contact"]["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (status, ascending) = list(json!({
        "order": [["contact", "name", "ASC"]],
        "include": [
            {"model": "contact", "include": [{"model": "tags"}, {"model": "service", "attributes": ["id", "name"]}, {"model": "person"}]},
            {"model": "firstMessage", "attributes": ["id", "text"]},
            {"model": "lastMessage"},
        ],
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{ascending}");
    assert_eq!(contact_names(&ascending), ["Ana", "Bia", "Caio"]);
    let ana = &ascending["data"][0];
    assert_eq!(ana["contact"]["tags"][0]["label"], "VIP", "{ana}");
    assert_eq!(ana["contact"]["person"]["name"], "Acme", "{ana}");
    assert_eq!(ana["contact"]["service"], json!({"id": site, "name": "Site"}));
    assert_eq!(ana["firstMessage"]["text"], "primeira para Ana", "{ana}");
    assert!(ana["firstMessage"].get("type").is_none(), "attributes apply: {ana}");
    assert_eq!(ana["lastMessage"]["text"], "última para Ana");
    assert_eq!(ascending["data"][1]["contact"]["tags"], json!([]));
    assert_eq!(ascending["data"][1]["contact"]["person"], Value::Null);

    let (_, descending) = list(json!({"order": [["contact", "name", "DESC"]], "include": ["contact"]})).await;
    assert_eq!(contact_names(&descending), ["Caio", "Bia", "Ana"]);
    // Bracket spelling, with a second key.
    let (status, brackets) = call(
        &app,
        Method::GET,
        "/api/v1/tickets?order[0][0]=contact&order[0][1]=name&order[0][2]=DESC&order[1][0]=createdAt&order[1][1]=ASC&include[0]=contact",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{brackets}");
    assert_eq!(contact_names(&brackets), ["Caio", "Bia", "Ana"]);

    // Contacts by their person's name: those without one sort as nulls do, the rest by name.
    let other = app.post("/api/v1/people", &admin, json!({"name": "Zeta"})).await;
    let patched = app
        .patch(
            &format!("/api/v1/contacts/{}", contacts[0]),
            &admin,
            json!({"person_id": other.str("id")}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let (status, by_person) = call(
        &app,
        Method::GET,
        &format!(
            "/api/v1/contacts?query={}",
            urlencode(
                &json!({"where": {"personId": {"$ne": null}}, "order": [["person", "name", "DESC"]]}).to_string()
            )
        ),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{by_person}");
    let names: Vec<&str> = by_person["data"]
        .as_array()
        .map(|l| l.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Bia", "Ana"]);

    for (query, names_it) in [
        (json!({"order": [["contact", "colour", "ASC"]]}), "colour"),
        (json!({"order": [["ticketTopics", "name", "ASC"]]}), "ticketTopics"),
        (
            json!({"order": [["contact", "name; DROP TABLE tickets", "ASC"]]}),
            "DROP",
        ),
        (json!({"order": [["contact", "name", "SIDEWAYS"]]}), "contact"),
    ] {
        let (status, error) = list(query.clone()).await;
        assert!(
            status == StatusCode::BAD_REQUEST
                && is_digisac_error(&error, status)
                && error["message"].as_str().is_some_and(|m| m.contains(names_it)),
            "{query}: {status} {error}"
        );
    }
}
