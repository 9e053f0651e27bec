//! One `Settings` struct with every default in one place. Sources, later ones winning:
//! defaults, an optional TOML file (`--config` or `BALCAO_CONFIG`), environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Folder for the SQLite database and other local files.
    pub data_dir: PathBuf,
    /// `postgres://...` or `sqlite://...`; empty means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Most database connections per pool.
    pub database_max_connections: u32,
    /// First start: name of the first account.
    pub account_name: String,
    /// First start: the first admin's e-mail.
    pub admin_email: String,
    /// First start: the first admin's password (generated and logged once when unset).
    pub admin_password: Option<String>,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// Failed logins allowed per account and client address within the window.
    pub login_max_failures: u32,
    pub login_failure_window_secs: u64,
    /// Take client addresses from `X-Forwarded-For` (behind a trusted reverse proxy only).
    pub trust_forwarded_for: bool,
    /// How long in-flight requests may take to finish after SIGTERM / Ctrl-C.
    pub shutdown_grace_secs: u64,
    pub log_format: LogFormat,
    /// Run the background job runner (channel sends, media fetches) in this process.
    pub workers: bool,
    /// Jobs the runner runs at once.
    pub worker_concurrency: usize,
    /// Webhook deliveries in flight at once.
    pub delivery_concurrency: usize,
    /// Delay before the first retry of a failed job (doubling with each try, with jitter).
    pub job_retry_base_ms: u64,
    /// Tries of a job before it fails for good.
    pub job_max_attempts: u32,
    /// How long a call to a channel's API (Meta's Graph API) may take.
    pub channel_timeout_secs: u64,
    /// How long a webhook receiver may take to answer.
    pub webhook_timeout_secs: u64,
    /// First retry delay of a failed webhook delivery (doubling, capped at an hour, with jitter).
    pub webhook_retry_base_ms: u64,
    /// How long a failing delivery is retried before it is dead-lettered.
    pub webhook_max_age_secs: u64,
    /// A subscription failing this long without a success is disabled.
    pub webhook_disable_after_secs: u64,
    /// Networks (CIDR) webhook targets may not be in.
    pub webhook_deny_networks: Vec<String>,
    /// Seconds between heartbeats of an idle realtime stream.
    pub stream_heartbeat_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_max_connections: 8,
            account_name: "Balcão".to_owned(),
            admin_email: "admin@balcao.local".to_owned(),
            admin_password: None,
            body_limit_bytes: 1024 * 1024,
            access_token_ttl_secs: 24 * 3600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            login_max_failures: 10,
            login_failure_window_secs: 15 * 60,
            trust_forwarded_for: false,
            shutdown_grace_secs: 30,
            log_format: LogFormat::Text,
            workers: true,
            worker_concurrency: 32,
            delivery_concurrency: 64,
            job_retry_base_ms: 2000,
            job_max_attempts: 10,
            channel_timeout_secs: 20,
            webhook_timeout_secs: 10,
            webhook_retry_base_ms: 10_000,
            webhook_max_age_secs: 24 * 3600,
            webhook_disable_after_secs: 3 * 24 * 3600,
            webhook_deny_networks: vec!["169.254.0.0/16".into(), "fe80::/10".into()],
            stream_heartbeat_secs: 15,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(balcao_store_redact))
            .field("database_max_connections", &self.database_max_connections)
            .field("account_name", &self.account_name)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "***"))
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("access_token_ttl_secs", &self.access_token_ttl_secs)
            .field("refresh_token_ttl_secs", &self.refresh_token_ttl_secs)
            .field("login_max_failures", &self.login_max_failures)
            .field("login_failure_window_secs", &self.login_failure_window_secs)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field("log_format", &self.log_format)
            .field("workers", &self.workers)
            .field("worker_concurrency", &self.worker_concurrency)
            .field("delivery_concurrency", &self.delivery_concurrency)
            .field("job_retry_base_ms", &self.job_retry_base_ms)
            .field("job_max_attempts", &self.job_max_attempts)
            .field("channel_timeout_secs", &self.channel_timeout_secs)
            .field("webhook_timeout_secs", &self.webhook_timeout_secs)
            .field("webhook_retry_base_ms", &self.webhook_retry_base_ms)
            .field("webhook_max_age_secs", &self.webhook_max_age_secs)
            .field("webhook_disable_after_secs", &self.webhook_disable_after_secs)
            .field("webhook_deny_networks", &self.webhook_deny_networks)
            .field("stream_heartbeat_secs", &self.stream_heartbeat_secs)
            .finish()
    }
}

fn balcao_store_redact(url: &str) -> String {
    balcao_store::redact_url(url)
}

/// Environment variables and the settings they set (`DATABASE_URL` is also read without the
/// prefix, as most tools spell it).
pub const ENV_VARS: &[&str] = &[
    "BALCAO_LISTEN",
    "BALCAO_DATA_DIR",
    "BALCAO_DATABASE_URL",
    "DATABASE_URL",
    "BALCAO_DATABASE_MAX_CONNECTIONS",
    "BALCAO_ACCOUNT_NAME",
    "BALCAO_ADMIN_EMAIL",
    "BALCAO_ADMIN_PASSWORD",
    "BALCAO_BODY_LIMIT_BYTES",
    "BALCAO_ACCESS_TOKEN_TTL_SECS",
    "BALCAO_REFRESH_TOKEN_TTL_SECS",
    "BALCAO_LOGIN_MAX_FAILURES",
    "BALCAO_LOGIN_FAILURE_WINDOW_SECS",
    "BALCAO_TRUST_FORWARDED_FOR",
    "BALCAO_SHUTDOWN_GRACE_SECS",
    "BALCAO_LOG_FORMAT",
    "BALCAO_WORKERS",
    "BALCAO_WORKER_CONCURRENCY",
    "BALCAO_JOB_RETRY_BASE_MS",
    "BALCAO_JOB_MAX_ATTEMPTS",
    "BALCAO_CHANNEL_TIMEOUT_SECS",
    "BALCAO_WEBHOOK_TIMEOUT_SECS",
    "BALCAO_WEBHOOK_RETRY_BASE_MS",
    "BALCAO_WEBHOOK_MAX_AGE_SECS",
    "BALCAO_WEBHOOK_DISABLE_AFTER_SECS",
    "BALCAO_WEBHOOK_DENY_NETWORKS",
    "BALCAO_STREAM_HEARTBEAT_SECS",
];

fn parse<T: FromStr>(name: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("environment variable {name}={value:?} is invalid: {e}"))
}

fn parse_bool(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => bail!("environment variable {name}={value:?} is invalid: expected true or false"),
    }
}

impl Settings {
    /// Defaults, then the TOML file (if any), then the process environment.
    pub fn load(config_file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut settings = match config_file {
            Some(path) => Self::from_toml_file(path)?,
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn from_toml_file(path: &Path) -> anyhow::Result<Settings> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    /// Applies environment variables, read through `get` (so tests need not touch the
    /// process environment).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let var = |name: &str| get(name).filter(|v| !v.is_empty());
        if let Some(v) = var("BALCAO_LISTEN") {
            self.listen = parse("BALCAO_LISTEN", &v)?;
        }
        if let Some(v) = var("BALCAO_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("BALCAO_DATABASE_URL").or_else(|| var("DATABASE_URL")) {
            self.database_url = Some(v);
        }
        if let Some(v) = var("BALCAO_DATABASE_MAX_CONNECTIONS") {
            self.database_max_connections = parse("BALCAO_DATABASE_MAX_CONNECTIONS", &v)?;
        }
        if let Some(v) = var("BALCAO_ACCOUNT_NAME") {
            self.account_name = v;
        }
        if let Some(v) = var("BALCAO_ADMIN_EMAIL") {
            self.admin_email = v;
        }
        if let Some(v) = var("BALCAO_ADMIN_PASSWORD") {
            self.admin_password = Some(v);
        }
        if let Some(v) = var("BALCAO_BODY_LIMIT_BYTES") {
            self.body_limit_bytes = parse("BALCAO_BODY_LIMIT_BYTES", &v)?;
        }
        if let Some(v) = var("BALCAO_ACCESS_TOKEN_TTL_SECS") {
            self.access_token_ttl_secs = parse("BALCAO_ACCESS_TOKEN_TTL_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_REFRESH_TOKEN_TTL_SECS") {
            self.refresh_token_ttl_secs = parse("BALCAO_REFRESH_TOKEN_TTL_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_LOGIN_MAX_FAILURES") {
            self.login_max_failures = parse("BALCAO_LOGIN_MAX_FAILURES", &v)?;
        }
        if let Some(v) = var("BALCAO_LOGIN_FAILURE_WINDOW_SECS") {
            self.login_failure_window_secs = parse("BALCAO_LOGIN_FAILURE_WINDOW_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = parse_bool("BALCAO_TRUST_FORWARDED_FOR", &v)?;
        }
        if let Some(v) = var("BALCAO_SHUTDOWN_GRACE_SECS") {
            self.shutdown_grace_secs = parse("BALCAO_SHUTDOWN_GRACE_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_WORKERS") {
            self.workers = parse_bool("BALCAO_WORKERS", &v)?;
        }
        if let Some(v) = var("BALCAO_WORKER_CONCURRENCY") {
            self.worker_concurrency = parse("BALCAO_WORKER_CONCURRENCY", &v)?;
        }
        if let Some(v) = var("BALCAO_DELIVERY_CONCURRENCY") {
            self.delivery_concurrency = parse("BALCAO_DELIVERY_CONCURRENCY", &v)?;
        }
        if let Some(v) = var("BALCAO_JOB_RETRY_BASE_MS") {
            self.job_retry_base_ms = parse("BALCAO_JOB_RETRY_BASE_MS", &v)?;
        }
        if let Some(v) = var("BALCAO_JOB_MAX_ATTEMPTS") {
            self.job_max_attempts = parse("BALCAO_JOB_MAX_ATTEMPTS", &v)?;
        }
        if let Some(v) = var("BALCAO_CHANNEL_TIMEOUT_SECS") {
            self.channel_timeout_secs = parse("BALCAO_CHANNEL_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_WEBHOOK_TIMEOUT_SECS") {
            self.webhook_timeout_secs = parse("BALCAO_WEBHOOK_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_WEBHOOK_RETRY_BASE_MS") {
            self.webhook_retry_base_ms = parse("BALCAO_WEBHOOK_RETRY_BASE_MS", &v)?;
        }
        if let Some(v) = var("BALCAO_WEBHOOK_MAX_AGE_SECS") {
            self.webhook_max_age_secs = parse("BALCAO_WEBHOOK_MAX_AGE_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_WEBHOOK_DISABLE_AFTER_SECS") {
            self.webhook_disable_after_secs = parse("BALCAO_WEBHOOK_DISABLE_AFTER_SECS", &v)?;
        }
        if let Some(v) = get("BALCAO_WEBHOOK_DENY_NETWORKS") {
            // Set and empty means: deny nothing.
            self.webhook_deny_networks = v
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = var("BALCAO_STREAM_HEARTBEAT_SECS") {
            self.stream_heartbeat_secs = parse("BALCAO_STREAM_HEARTBEAT_SECS", &v)?;
        }
        if let Some(v) = var("BALCAO_LOG_FORMAT") {
            self.log_format = match v.trim().to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => bail!("environment variable BALCAO_LOG_FORMAT={v:?} is invalid: expected text or json"),
            };
        }
        Ok(())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.body_limit_bytes == 0 {
            bail!("body_limit_bytes must be greater than 0");
        }
        if self.worker_concurrency == 0
            || self.delivery_concurrency == 0
            || self.job_max_attempts == 0
            || self.channel_timeout_secs == 0
        {
            bail!(
                "worker_concurrency, delivery_concurrency, job_max_attempts and channel_timeout_secs must be greater than 0"
            );
        }
        for net in &self.webhook_deny_networks {
            net.parse::<balcao_core::net::IpNet>()
                .map_err(|e| anyhow::anyhow!("webhook_deny_networks: {e}"))?;
        }
        if self.webhook_timeout_secs == 0 {
            bail!("webhook_timeout_secs must be greater than 0");
        }
        if self.database_max_connections == 0 {
            bail!("database_max_connections must be greater than 0");
        }
        if self.refresh_token_ttl_secs < self.access_token_ttl_secs {
            bail!("refresh_token_ttl_secs must not be shorter than access_token_ttl_secs");
        }
        Ok(())
    }

    /// The database to use: the configured URL, or SQLite at `data_dir/balcao.db`.
    pub fn resolved_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("balcao.db").display()),
        }
    }

    pub fn service_settings(&self) -> balcao_service::ServiceSettings {
        balcao_service::ServiceSettings {
            access_token_ttl: Duration::from_secs(self.access_token_ttl_secs),
            refresh_token_ttl: Duration::from_secs(self.refresh_token_ttl_secs),
            login_max_failures: self.login_max_failures,
            login_failure_window: Duration::from_secs(self.login_failure_window_secs),
            media_root: self.data_dir.join("media"),
            channel_timeout: Duration::from_secs(self.channel_timeout_secs),
            job_retry_base: Duration::from_millis(self.job_retry_base_ms),
            job_max_attempts: self.job_max_attempts,
            webhook_timeout: Duration::from_secs(self.webhook_timeout_secs),
            webhook_retry_base: Duration::from_millis(self.webhook_retry_base_ms),
            webhook_max_age: Duration::from_secs(self.webhook_max_age_secs),
            webhook_disable_after: Duration::from_secs(self.webhook_disable_after_secs),
            webhook_deny_networks: self
                .webhook_deny_networks
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect(),
        }
    }

    pub fn worker_settings(&self) -> balcao_workers::WorkerSettings {
        balcao_workers::WorkerSettings {
            concurrency: self.worker_concurrency,
            delivery_concurrency: self.delivery_concurrency,
            ..balcao_workers::WorkerSettings::default()
        }
    }

    pub fn http_settings(&self) -> balcao_http::HttpSettings {
        balcao_http::HttpSettings {
            body_limit: self.body_limit_bytes,
            trust_forwarded_for: self.trust_forwarded_for,
            stream_heartbeat: Duration::from_secs(self.stream_heartbeat_secs.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn defaults_file_then_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("balcao.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\nbody_limit_bytes = 2048\naccount_name = \"Loja\"\n",
        )
        .expect("write");
        let mut s = Settings::from_toml_file(&file).expect("valid file");
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.body_limit_bytes, 2048);
        assert_eq!(s.data_dir, PathBuf::from("data"), "unset keys keep defaults");
        let env: HashMap<&str, &str> = [
            ("BALCAO_LISTEN", "0.0.0.0:7000"),
            ("BALCAO_DATA_DIR", "/var/lib/balcao"),
            ("DATABASE_URL", "postgres://u:pw@db/balcao"),
            ("BALCAO_ADMIN_PASSWORD", "s3cret-pass"),
        ]
        .into_iter()
        .collect();
        s.apply_env(|k| env.get(k).map(|v| v.to_string())).expect("valid env");
        assert_eq!(s.listen.port(), 7000);
        assert_eq!(
            s.account_name, "Loja",
            "the file's value stays when the environment is silent"
        );
        assert_eq!(s.resolved_database_url(), "postgres://u:pw@db/balcao");
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("pw@") && !debug.contains("s3cret"),
            "secrets are redacted: {debug}"
        );
    }

    #[test]
    fn sqlite_under_the_data_dir_by_default() {
        let s = Settings::default();
        assert_eq!(s.resolved_database_url(), "sqlite://data/balcao.db");
    }

    #[test]
    fn bad_values_are_named() {
        let mut s = Settings::default();
        let err = s
            .apply_env(|k| (k == "BALCAO_LISTEN").then(|| "nowhere".to_owned()))
            .expect_err("invalid listen");
        assert!(err.to_string().contains("BALCAO_LISTEN"));
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "lissen = \"x\"\n").expect("write");
        let err = Settings::from_toml_file(&file).expect_err("unknown key");
        assert!(format!("{err:#}").contains("lissen"));
    }
}
