//! `balcao sim whatsapp` and `balcao demo`: the Graph API simulator on its own, and Balcão
//! with the simulator and a few simulated customers writing in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use balcao_sim::{SimConfig, WhatsappSim};
use serde_json::{Value, json};

use crate::Settings;
use crate::server::{shutdown_signal, start};

/// Runs the WhatsApp Cloud API simulator until Ctrl-C / SIGTERM.
pub async fn simulate_whatsapp(listen: SocketAddr, webhook_url: Option<String>) -> anyhow::Result<()> {
    let sim = WhatsappSim::start(SimConfig {
        listen,
        webhook_url,
        ..SimConfig::default()
    })
    .await?;
    let c = sim.config();
    println!("WhatsApp Cloud API simulator on http://{}", sim.addr());
    println!();
    println!("Settings of a whatsapp_cloud connection that uses it:");
    println!("  graph_api_url    {}", sim.base_url());
    println!("  phone_number_id  {}", c.phone_number_id);
    println!("  waba_id          {}", c.waba_id);
    println!("  access_token     {}", c.access_token);
    println!("  app_secret       {}", c.app_secret);
    println!();
    println!("Control (no auth, local use only):");
    println!(
        "  curl -X PUT http://{}/_sim/webhook -d '{{\"url\":\"http://127.0.0.1:8080/webhooks/whatsapp/<connection id>\"}}' -H 'content-type: application/json'",
        sim.addr()
    );
    println!(
        "  curl -X POST http://{}/_sim/customers/5511999990000/messages -d '{{\"name\":\"Maria\",\"type\":\"text\",\"text\":\"Oi!\"}}' -H 'content-type: application/json'",
        sim.addr()
    );
    println!("  curl http://{}/_sim/sent", sim.addr());
    shutdown_signal().await;
    sim.shutdown().await;
    Ok(())
}

/// What `balcao demo` starts.
pub struct DemoOptions {
    pub listen: SocketAddr,
    pub data_dir: Option<PathBuf>,
    pub customers: usize,
    pub interval: Duration,
}

/// Starts Balcão on a fresh data folder with the simulator and simulated customers, prints how
/// to log in and watch, and runs until Ctrl-C / SIGTERM.
pub async fn demo(base: Settings, options: DemoOptions) -> anyhow::Result<()> {
    let data_dir = match options.data_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("balcao-demo-{}", uuid_like())),
    };
    if data_dir.exists()
        && std::fs::read_dir(&data_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} is not empty: the demo starts on a fresh data folder",
            data_dir.display()
        );
    }
    let password = format!("demo-{}", &uuid_like()[..8]);
    let settings = Settings {
        listen: options.listen,
        data_dir: data_dir.clone(),
        database_url: None,
        account_name: "Loja Demo".into(),
        admin_email: "admin@demo.local".into(),
        admin_password: Some(password.clone()),
        ..base
    };
    let sim = WhatsappSim::start(SimConfig::default()).await?;
    let server = start(settings).await?;
    let base_url = format!("http://{}", server.addr);
    let http = reqwest::Client::builder().no_proxy().build()?;

    let token = call(
        &http,
        &base_url,
        "/api/v1/oauth/token",
        None,
        json!({
        "grant_type": "password", "client_id": "api", "client_secret": "secret",
        "username": "admin@demo.local", "password": password}),
    )
    .await?["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned();
    let c = sim.config().clone();
    let connection = call(
        &http,
        &base_url,
        "/api/v1/connections",
        Some(&token),
        json!({
        "type": "whatsapp_cloud", "name": "WhatsApp (simulated)",
        "settings": {"phone_number_id": c.phone_number_id, "waba_id": c.waba_id, "access_token": c.access_token,
                     "app_secret": c.app_secret, "verify_token": "demo", "graph_api_url": sim.base_url()}}),
    )
    .await?["id"]
        .as_str()
        .context("no connection id")?
        .to_owned();
    call(
        &http,
        &base_url,
        &format!("/api/v1/connections/{connection}/start"),
        Some(&token),
        json!({}),
    )
    .await?;
    sim.set_webhook_url(format!("{base_url}/webhooks/whatsapp/{connection}"));
    let names = [
        "Maria Souza",
        "João Lima",
        "Ana Costa",
        "Pedro Alves",
        "Carla Dias",
        "Rafael Melo",
    ];
    let customers = (0..options.customers.max(1))
        .map(|i| sim.customer(&format!("55119{:08}", 70_000_000 + i * 1_111), names[i % names.len()]))
        .collect();
    let chatter = sim.spawn_chatter(customers, options.interval);

    println!("Balcão demo is running on {base_url}");
    println!("  data folder   {}", data_dir.display());
    println!("  log in        admin@demo.local / {password}");
    println!("  API docs      {base_url}/api/docs");
    println!("  simulator     http://{} (WhatsApp Cloud API)", sim.addr());
    println!();
    println!(
        "Simulated customers write in every {:?}. Watch them arrive:",
        options.interval
    );
    println!("  TOKEN=$(curl -s {base_url}/api/v1/oauth/token -H 'content-type: application/json' \\");
    println!(
        "    -d '{{\"grant_type\":\"password\",\"username\":\"admin@demo.local\",\"password\":\"{password}\"}}' | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')"
    );
    println!("  curl -s {base_url}/api/v1/tickets -H \"authorization: Bearer $TOKEN\"");
    println!("  curl -s '{base_url}/api/v1/contacts/<contact id>/messages' -H \"authorization: Bearer $TOKEN\"");
    println!("Answer one (the simulated customer reads it and the status moves to read):");
    println!(
        "  curl -s {base_url}/api/v1/messages -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' \\"
    );
    println!("    -d '{{\"contact_id\":\"<contact id>\",\"text\":\"Olá! Como posso ajudar?\"}}'");
    println!();
    println!("Ctrl-C stops the demo (the data folder stays).");

    server.run_until(shutdown_signal()).await?;
    chatter.abort();
    sim.shutdown().await;
    Ok(())
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = http.post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let response = req.send().await.with_context(|| format!("POST {path}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("POST {path} answered {status}: {body}");
    }
    Ok(body)
}

/// A short random-looking token from the clock and the process id (names only, not secrets
/// of any strength beyond a local demo).
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", nanos, std::process::id())
}
