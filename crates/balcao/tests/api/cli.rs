//! The `balcao` binary itself: first start, restarts, accounts, migrations, SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use balcao_testkit::serde_json::json;
use balcao_testkit::{Response, TestApp, TestDatabase};
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_balcao");

/// A `balcao` command with a clean environment pointing at `db`.
fn balcao(db: &TestDatabase) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("RUST_LOG", "info")
        .envs(db.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// A `balcao serve` process and its log lines.
struct Process {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    log: Vec<String>,
}

impl Process {
    fn spawn(mut cmd: Command) -> Process {
        let mut child = cmd.spawn().expect("balcao starts");
        let (tx, lines) = mpsc::unbounded_channel();
        let stderr = child.stderr.take().expect("stderr");
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Process {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// Reads log lines until one contains `needle`; answers that line.
    async fn wait_for(&mut self, needle: &str) -> String {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                self.log.push(line.clone());
                if line.contains(needle) {
                    return line;
                }
            }
            panic!("balcao exited before logging {needle:?}: {:#?}", self.log);
        };
        tokio::time::timeout(Duration::from_secs(60), wait)
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in the log"))
    }

    /// Sends SIGTERM and answers whether the process exited successfully.
    async fn terminate(mut self) -> bool {
        let pid = self.child.id().expect("running").to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().await.expect("kill");
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .expect("exit status");
        exit.success()
    }
}

/// `key=value` of a structured log line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let start = line
        .find(&format!("{key}="))
        .map(|i| i + key.len() + 1)
        .unwrap_or_else(|| panic!("{key} in {line}"));
    line[start..].split_whitespace().next().unwrap_or_default()
}

async fn login(client: &reqwest::Client, addr: &str, email: &str, password: &str) -> Response {
    let body = json!({"grant_type": "password", "client_id": "api", "client_secret": "secret",
                      "username": email, "password": password});
    let r = client
        .post(format!("http://{addr}/api/v1/oauth/token"))
        .json(&body)
        .send()
        .await
        .expect("sent");
    Response::read(r).await
}

#[tokio::test]
async fn first_start_generates_an_admin_and_later_starts_keep_it() {
    let db = TestDatabase::new().await;
    let client = reqwest::Client::builder().no_proxy().build().expect("client");

    let mut cmd = balcao(&db);
    cmd.arg("serve").env("BALCAO_LISTEN", "127.0.0.1:0");
    let mut first = Process::spawn(cmd);
    let created = first.wait_for("first start").await;
    assert_eq!(field(&created, "admin_email"), "admin@balcao.local");
    let password = field(&created, "admin_password").to_owned();
    assert_eq!(password.len(), 20);
    let listening = first.wait_for("listening").await;
    let addr = field(&listening, "addr").to_owned();
    let r = login(&client, &addr, "admin@balcao.local", &password).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(first.terminate().await, "SIGTERM ends the server cleanly");

    // A later start with other admin settings changes nothing.
    let mut cmd = balcao(&db);
    cmd.env("BALCAO_LISTEN", "127.0.0.1:0")
        .env("BALCAO_ADMIN_EMAIL", "admin@balcao.local")
        .env("BALCAO_ADMIN_PASSWORD", "another-password");
    let mut second = Process::spawn(cmd);
    let listening = second.wait_for("listening").await;
    assert!(
        !second.log.iter().any(|l| l.contains("first start")),
        "{:#?}",
        second.log
    );
    let addr = field(&listening, "addr").to_owned();
    assert_eq!(
        login(&client, &addr, "admin@balcao.local", &password).await.status,
        StatusCode::OK
    );
    login(&client, &addr, "admin@balcao.local", "another-password")
        .await
        .assert_problem(400, "invalid_grant");
    assert!(second.terminate().await);
}

#[tokio::test]
async fn accounts_create_works_while_the_server_runs() {
    let app = TestApp::spawn().await;
    let out = balcao(&app.database)
        .args([
            "accounts",
            "create",
            "--name",
            "Loja B",
            "--admin-email",
            "dona@lojab.com.br",
        ])
        .args(["--admin-password", "senha-da-loja"])
        .output()
        .await
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().expect("output");
    let account_id = uuid::Uuid::parse_str(last).expect("the last line is the account id");

    // The running server serves the new account at once.
    let token = app.token_for("dona@lojab.com.br", "senha-da-loja").await;
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.body["account"]["id"], account_id.to_string());
    assert_eq!(me.body["account"]["name"], "Loja B");
    assert_eq!(me.body["role"], "admin");
    // ... and keeps it apart from the first account.
    let users = app.get("/api/v1/users", &token).await;
    assert_eq!(users.body["data"].as_array().map(Vec::len), Some(1));

    let list = balcao(&app.database)
        .args(["accounts", "list"])
        .output()
        .await
        .expect("runs");
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains(&account_id.to_string()) && listed.contains("Test account"),
        "{listed}"
    );
}

#[tokio::test]
async fn accounts_create_rejects_bad_input_clearly() {
    let app = TestApp::spawn().await;
    let run = |email: &'static str, password: &'static str| {
        let mut cmd = balcao(&app.database);
        cmd.args([
            "accounts",
            "create",
            "--name",
            "X",
            "--admin-email",
            email,
            "--admin-password",
            password,
        ]);
        async move { cmd.output().await.expect("runs") }
    };
    let taken = run(balcao_testkit::ADMIN_EMAIL, "password-123").await;
    assert_eq!(taken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&taken.stderr).contains("email"));
    let invalid = run("not-an-email", "short").await;
    assert_eq!(invalid.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(
        stderr.contains("admin-email") && stderr.contains("admin-password"),
        "{stderr}"
    );
    let accounts = app.service().list_accounts().await.expect("accounts");
    assert_eq!(accounts.len(), 1, "nothing was created");
}

#[tokio::test]
async fn migrate_applies_migrations_and_is_idempotent() {
    let db = TestDatabase::new().await;
    for _ in 0..2 {
        let out = balcao(&db).arg("migrate").output().await.expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    }
}

#[tokio::test]
async fn bad_configuration_is_reported_not_guessed() {
    let db = TestDatabase::new().await;
    let out = balcao(&db)
        .arg("migrate")
        .env("BALCAO_LISTEN", "nowhere")
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BALCAO_LISTEN"));
    let out = balcao(&db)
        .arg("migrate")
        .env("DATABASE_URL", "mysql://localhost/x")
        .output()
        .await
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported scheme"));
}

/// `balcao demo`: a fresh server, the simulator and simulated customers; its printed login
/// works and conversations arrive.
#[tokio::test]
async fn the_demo_starts_with_customers_writing_in() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("demo");
    let mut child = Command::new(BIN)
        .env_clear()
        .env("RUST_LOG", "warn")
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--every",
            "1",
            "--customers",
            "2",
            "--data-dir",
        ])
        .arg(&data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("demo starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let (mut base, mut password) = (String::new(), String::new());
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("Balcão demo is running on ") {
                base = url.trim().to_owned();
            }
            if let Some(login) = line.trim().strip_prefix("log in") {
                password = login.rsplit(' ').next().unwrap_or_default().to_owned();
                break;
            }
        }
    })
    .await
    .expect("the demo prints how to log in");
    assert!(
        base.starts_with("http://127.0.0.1:") && !password.is_empty(),
        "{base} {password}"
    );
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let token: balcao_testkit::serde_json::Value = client
        .post(format!("{base}/api/v1/oauth/token"))
        .json(&json!({"grant_type": "password", "username": "admin@demo.local", "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = token["access_token"].as_str().expect("token").to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let tickets: balcao_testkit::serde_json::Value = client
            .get(format!("{base}/api/v1/tickets"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("tickets")
            .json()
            .await
            .expect("json");
        if tickets["data"].as_array().is_some_and(|t| !t.is_empty()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no conversation arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill().await;
    // A data folder that is not empty is refused.
    let refused = Command::new(BIN)
        .env_clear()
        .args(["demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .output()
        .await
        .expect("runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("fresh data folder"));
}

/// `balcao serve` on `db` on a free port, with a known first admin.
fn serve(db: &TestDatabase) -> Command {
    let mut cmd = balcao(db);
    cmd.arg("serve")
        .env("BALCAO_LISTEN", "127.0.0.1:0")
        .env("BALCAO_ADMIN_EMAIL", "admin@example.com")
        .env("BALCAO_ADMIN_PASSWORD", "admin-password-1");
    cmd
}

/// The first admin's access token on the server at `addr`.
async fn admin_token(client: &reqwest::Client, addr: &str) -> String {
    login(client, addr, "admin@example.com", "admin-password-1").await.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// SIGKILL in the middle of a burst of events: after a restart every event is delivered at
/// least once, and repeats carry the same `X-Balcao-Delivery`.
#[tokio::test]
async fn events_survive_a_sigkill_in_the_middle_of_a_burst() {
    let db = TestDatabase::new().await;
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let receiver = crate::webhooks::Receiver::start().await;
    let start = || {
        let mut cmd = serve(&db);
        cmd.env("BALCAO_WEBHOOK_RETRY_BASE_MS", "50")
            // A delivery in flight at the kill comes due again when its lease (timeout + 5 s) ends.
            .env("BALCAO_WEBHOOK_TIMEOUT_SECS", "2");
        Process::spawn(cmd)
    };
    let mut first = start();
    let addr = field(&first.wait_for("listening").await, "addr").to_owned();
    let token = admin_token(&client, &addr).await;
    let post = |path: &str, body: balcao_testkit::serde_json::Value| {
        client
            .post(format!("http://{addr}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let connection: balcao_testkit::serde_json::Value =
        post("/api/v1/connections", json!({"type": "webchat", "name": "Site"}))
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
    let connection = connection["id"].as_str().expect("id").to_owned();
    let subscribed = post(
        "/api/v1/webhooks",
        json!({"url": receiver.url(), "events": ["contact.created"]}),
    )
    .await
    .expect("sent");
    assert_eq!(subscribed.status(), StatusCode::CREATED);

    let burst = {
        let (client, addr, token, connection) = (client.clone(), addr.clone(), token.clone(), connection.clone());
        tokio::spawn(async move {
            for i in 0..400 {
                let sent = client
                    .post(format!("http://{addr}/api/v1/contacts"))
                    .bearer_auth(&token)
                    .json(&json!({"name": format!("Cliente {i}"), "connection_id": connection}))
                    .send()
                    .await;
                if sent.is_err() {
                    break;
                }
            }
        })
    };
    receiver.wait("the first deliveries", |g| g.len() >= 30).await;
    first.child.kill().await.expect("SIGKILL");
    let _ = burst.await;
    let delivered_before = receiver.got().len();

    let mut second = start();
    let addr = field(&second.wait_for("listening").await, "addr").to_owned();
    let token = admin_token(&client, &addr).await;
    let mut stored = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("http://{addr}/api/v1/contacts?limit=100");
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let page: balcao_testkit::serde_json::Value = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        for c in page["data"].as_array().expect("data") {
            stored.push(c["id"].as_str().expect("id").to_owned());
        }
        match page["next_after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => break,
        }
    }
    // 30 deliveries came before the kill, so at least 30 contacts were stored; deliveries can
    // keep pace with the burst, so the kill may land right after the 30th.
    assert!(
        stored.len() >= 30 && stored.len() < 400,
        "the kill landed mid-burst: {} contacts",
        stored.len()
    );
    let got = receiver
        .wait("every stored contact's event", |g| {
            stored
                .iter()
                .all(|id| g.iter().any(|r| r.json["data"]["id"] == id.as_str()))
        })
        .await;
    // Whether events were still waiting at the kill depends on timing; that every stored
    // contact's event arrives, once, is what must hold.
    eprintln!(
        "{} contacts stored before the kill; {} deliveries received ({} before the restart)",
        stored.len(),
        got.len(),
        delivered_before
    );
    for id in &stored {
        let mut deliveries: Vec<&str> = got
            .iter()
            .filter(|r| r.json["data"]["id"] == id.as_str())
            .map(|r| r.headers["x-balcao-delivery"].as_str())
            .collect();
        deliveries.sort_unstable();
        deliveries.dedup();
        assert_eq!(
            deliveries.len(),
            1,
            "repeats of one event share their delivery id: {deliveries:?}"
        );
    }
    assert!(second.terminate().await);
}

/// Two `balcao serve` processes on one database: each webhook event is delivered once by the
/// pair, and an event written through one reaches a stream held on the other.
#[tokio::test]
async fn two_processes_share_the_work_and_the_events() {
    let db = TestDatabase::new().await;
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let receiver = crate::webhooks::Receiver::start().await;
    let start = || Process::spawn(serve(&db));
    let mut a = start();
    let addr_a = field(&a.wait_for("listening").await, "addr").to_owned();
    let mut b = start();
    let addr_b = field(&b.wait_for("listening").await, "addr").to_owned();
    let token = admin_token(&client, &addr_a).await;
    let post = |addr: &str, path: &str, body: balcao_testkit::serde_json::Value| {
        client
            .post(format!("http://{addr}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let connection: balcao_testkit::serde_json::Value = post(
        &addr_a,
        "/api/v1/connections",
        json!({"type": "webchat", "name": "Site"}),
    )
    .await
    .expect("sent")
    .json()
    .await
    .expect("json");
    let connection = connection["id"].as_str().expect("id").to_owned();
    let subscribed = post(
        &addr_b,
        "/api/v1/webhooks",
        json!({"url": receiver.url(), "events": ["contact.created"]}),
    )
    .await
    .expect("sent");
    assert_eq!(subscribed.status(), StatusCode::CREATED);

    // A stream held on B.
    let mut stream = client
        .get(format!("http://{addr_b}/api/v1/events/stream"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    let created = post(&addr_a, "/api/v1/tags", json!({"label": "Escrita em A"}))
        .await
        .expect("sent");
    assert_eq!(created.status(), StatusCode::CREATED);
    let written = std::time::Instant::now();
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(1), async {
        while !text.contains("Escrita em A") {
            match stream.chunk().await {
                Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
                _ => break,
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("B's stream did not relay A's event within a second: {text}"));
    assert!(text.contains("event: tag.created"), "{text}");
    assert!(written.elapsed() < Duration::from_secs(1));

    for i in 0..30 {
        let addr = if i % 2 == 0 { &addr_a } else { &addr_b };
        let r = post(
            addr,
            "/api/v1/contacts",
            json!({"name": format!("Cliente {i}"), "connection_id": connection}),
        )
        .await
        .expect("sent");
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    receiver.wait("30 events", |g| g.len() >= 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    let mut ids: Vec<&str> = got.iter().map(|r| r.json["id"].as_str().unwrap_or_default()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (30, 30), "each event once by the pair");
    assert!(a.terminate().await && b.terminate().await);
}
