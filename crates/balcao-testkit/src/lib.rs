//! Test kit: spawns a real Balcão server on `127.0.0.1:0` against a fresh database, and
//! talks to it over real HTTP.
//!
//! The backend comes from `BALCAO_TEST_DATABASE_URL`: unset, each test gets a fresh SQLite
//! file in a temporary folder; set to a PostgreSQL URL (for example
//! `postgres://postgres@127.0.0.1:5432/postgres`), each test gets a fresh database created
//! through that connection and dropped afterwards. When PostgreSQL cannot be reached, the test
//! fails: it never skips.

use std::net::SocketAddr;
use std::str::FromStr;

use balcao::{Server, Settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tempfile::TempDir;

pub use reqwest;
pub use serde_json;

pub const ENV_DATABASE: &str = "BALCAO_TEST_DATABASE_URL";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A throwaway PostgreSQL database, dropped with the value.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Where the test's database lives.
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var(ENV_DATABASE) {
        Ok(url) if !url.trim().is_empty() => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// The value of the unlabelled counter `name` in Prometheus text (`/metrics`).
pub fn counter(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// `postgres://user@host:port/anything?opts` with the database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// A fresh, empty database for one test: an SQLite file in a temporary folder, or a new
/// PostgreSQL database (dropped with this value) when `BALCAO_TEST_DATABASE_URL` is set.
pub struct TestDatabase {
    /// `None` for SQLite: the server's default file under `data_dir` is used.
    pub url: Option<String>,
    pub data_dir: std::path::PathBuf,
    _pg: Option<PgDatabase>,
    _dir: TempDir,
}

impl TestDatabase {
    pub async fn new() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary folder");
        let data_dir = dir.path().join("data");
        match std::env::var(ENV_DATABASE) {
            Ok(url) if !url.trim().is_empty() => {
                let name = format!("balcao_test_{}", uuid::Uuid::now_v7().simple());
                let options =
                    PgConnectOptions::from_str(&url).expect("BALCAO_TEST_DATABASE_URL is a valid PostgreSQL URL");
                let mut conn = PgConnection::connect_with(&options)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {ENV_DATABASE}: {e}"));
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                TestDatabase {
                    url: Some(with_database(&url, &name)),
                    data_dir,
                    _pg: Some(PgDatabase { admin_url: url, name }),
                    _dir: dir,
                }
            }
            _ => TestDatabase {
                url: None,
                data_dir,
                _pg: None,
                _dir: dir,
            },
        }
    }

    /// A handle on the same database that does not own it (dropping it drops nothing).
    fn shared(of: &TestDatabase) -> TestDatabase {
        TestDatabase {
            url: of.url.clone(),
            data_dir: of.data_dir.clone(),
            _pg: None,
            _dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    /// Environment for a `balcao` process using this database.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("BALCAO_DATA_DIR", self.data_dir.display().to_string())];
        if let Some(url) = &self.url {
            env.push(("DATABASE_URL", url.clone()));
        }
        env
    }
}

/// A running server with its own database, and a client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub settings: Settings,
    // Declared before the database so the server goes first when a test ends.
    server: Option<Server>,
    pub database: TestDatabase,
}

impl TestApp {
    /// A server with the test defaults: first admin `ADMIN_EMAIL` / `ADMIN_PASSWORD`.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose settings `configure` adjusts first.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let database = TestDatabase::new().await;
        let mut settings = Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: database.data_dir.clone(),
            database_url: database.url.clone(),
            admin_email: ADMIN_EMAIL.to_owned(),
            admin_password: Some(ADMIN_PASSWORD.to_owned()),
            account_name: "Test account".to_owned(),
            database_max_connections: 4,
            shutdown_grace_secs: 5,
            // Retries and channel timeouts at test speed.
            job_retry_base_ms: 50,
            webhook_retry_base_ms: 50,
            channel_timeout_secs: 2,
            ..Settings::default()
        };
        configure(&mut settings);
        let server = balcao::start(settings.clone()).await.expect("server starts");
        let client = reqwest::Client::builder().no_proxy().build().expect("HTTP client");
        TestApp {
            addr: server.addr,
            client,
            settings,
            server: Some(server),
            database,
        }
    }

    /// The running server's service layer (to reach state no HTTP route exposes).
    pub fn service(&self) -> &balcao_service::Service {
        &self.server.as_ref().expect("server running").service
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The URL of the test's database (for running the CLI against it).
    pub fn database_url(&self) -> String {
        self.settings.resolved_database_url()
    }

    /// Stops the server gracefully.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    /// Stops the server gracefully and starts it again on the same database and data folder
    /// (on a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        let server = balcao::start(self.settings.clone()).await.expect("server restarts");
        self.addr = server.addr;
        self.server = Some(server);
    }

    /// Another server on the same database and data folder (a second instance), on its own
    /// port. The database stays this app's: stop the sibling first.
    pub async fn spawn_sibling(&self) -> TestApp {
        let server = balcao::start(self.settings.clone())
            .await
            .expect("second instance starts");
        let client = reqwest::Client::builder().no_proxy().build().expect("HTTP client");
        TestApp {
            addr: server.addr,
            client,
            settings: self.settings.clone(),
            server: Some(server),
            database: TestDatabase::shared(&self.database),
        }
    }

    /// Starts a graceful shutdown and answers at once; the task ends when the server has.
    pub fn stop_in_background(&mut self) -> tokio::task::JoinHandle<()> {
        let server = self.server.take().expect("server running");
        tokio::spawn(async move { server.shutdown().await.expect("clean shutdown") })
    }

    /// Sends a request; `body` goes as JSON. Answers the status and the parsed body
    /// (`Value::Null` when empty, a string when not JSON).
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        Response::read(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Password grant; answers the whole token response.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        let body = json!({
            "grant_type": "password",
            "client_id": "api",
            "client_secret": "secret",
            "username": email,
            "password": password,
        });
        self.call(Method::POST, "/api/v1/oauth/token", None, Some(body)).await
    }

    /// An access token for `email`, asserting the login works.
    pub async fn token_for(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password).await;
        assert_eq!(r.status, StatusCode::OK, "login of {email}: {}", r.body);
        r.str("access_token").to_owned()
    }

    /// An access token of the first account's admin.
    pub async fn admin_token(&self) -> String {
        self.token_for(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Creates a user with `role` in the caller's account and answers (id, access token).
    pub async fn user_with_role(&self, admin_token: &str, email: &str, role: &str) -> (String, String) {
        let password = "user-password-1";
        let r = self
            .post(
                "/api/v1/users",
                admin_token,
                json!({"name": email, "email": email, "password": password, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "create {email}: {}", r.body);
        let id = r.str("id").to_owned();
        (id, self.token_for(email, password).await)
    }

    /// Creates a connection for tests of rules that hold on every channel (a webchat one: no
    /// channel rule of its own, nothing sent anywhere) and answers its id.
    pub async fn connection(&self, admin_token: &str, name: &str) -> String {
        let body = json!({"type": "webchat", "name": name});
        let r = self.post("/api/v1/connections", admin_token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "create connection: {}", r.body);
        r.str("id").to_owned()
    }

    /// Creates a WhatsApp Cloud connection that is never started (for templates and the
    /// like) and answers its id.
    pub async fn whatsapp_connection(&self, admin_token: &str, name: &str) -> String {
        let body = json!({"type": "whatsapp_cloud", "name": name,
                          "settings": {"phone_number_id": "1000", "access_token": "test-access-token"}});
        let r = self.post("/api/v1/connections", admin_token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "create connection: {}", r.body);
        r.str("id").to_owned()
    }

    /// The account of the token's user.
    pub async fn account_of(&self, token: &str) -> uuid::Uuid {
        let me = self.get("/api/v1/me", token).await;
        uuid::Uuid::parse_str(me.body["account"]["id"].as_str().expect("account id")).expect("uuid")
    }

    /// Events in the outbox of the token's account (about `subject` when given), oldest first.
    pub async fn events(&self, token: &str, subject: Option<&str>) -> Vec<balcao_store::outbox::StoredEvent> {
        let account = balcao_core::AccountId(self.account_of(token).await);
        let subject = subject.map(|s| uuid::Uuid::parse_str(s).expect("subject id"));
        balcao_store::outbox::list(&mut self.service().store().read(), account, subject)
            .await
            .expect("outbox")
    }

    /// Names of the outbox events about `subject`, oldest first.
    pub async fn event_names(&self, token: &str, subject: &str) -> Vec<String> {
        self.events(token, Some(subject))
            .await
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    /// Creates a second account with its admin, through the service (as the CLI does), and
    /// answers its admin's access token.
    pub async fn second_account(&self, admin_email: &str) -> String {
        self.service()
            .create_account(balcao_service_new_account(admin_email))
            .await
            .expect("second account");
        self.token_for(admin_email, ADMIN_PASSWORD).await
    }
}

fn balcao_service_new_account(admin_email: &str) -> balcao_service::NewAccount {
    balcao_service::NewAccount {
        name: Some(format!("Account of {admin_email}")),
        admin_name: Some("Other admin".to_owned()),
        admin_email: Some(admin_email.to_owned()),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
    }
}

/// An answer: status, headers and body.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Response {
    pub async fn read(r: reqwest::Response) -> Response {
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("response body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Response { status, headers, body }
    }

    /// A string member of the body (panics with the body when absent).
    pub fn str(&self, key: &str) -> &str {
        self.body[key]
            .as_str()
            .unwrap_or_else(|| panic!("`{key}` missing in {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem document with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "status of {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["code"], code, "code of {}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert!(
            self.body["detail"].is_string() && self.body["title"].is_string(),
            "{}",
            self.body
        );
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(with_database("postgres://u@h:5432", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
