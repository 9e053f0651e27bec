//! Load generator for the WhatsApp webhook: posts signed notifications, each carrying new
//! messages from a pool of customers, and reports messages stored per second and latency.
//!
//! ```sh
//! cargo run --release --example inbound_load -- <webhook url> <app secret> \
//!     [messages=20000] [concurrency=32] [per_notification=1] [customers=2000] [rate=0]
//! ```
//! With `rate` 0 it is closed-loop: `concurrency` clients each send the next notification as
//! soon as the previous one is answered (the highest rate the server keeps up with). With a
//! rate, it is open-loop: notifications are due at that many per second whatever the server
//! does, at most `concurrency` in flight, and latency counts from when each was due (so a
//! server falling behind shows in p99 instead of slowing the load down).
//! Used by `bench/whatsapp_inbound.sh`, which starts the server and creates the connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The run (`INBOUND_RUN`, default 0): runs against one server use different message ids, and
/// run k writes as customers k·c/2 to k·c/2 + c (c = `customers`): half of them wrote in the
/// previous run, half are new.
fn run() -> u64 {
    std::env::var("INBOUND_RUN")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn notification(seq: usize, per: usize, customers: usize) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let run = run();
    let customer = 5_511_900_000_000_u64 + run * (customers as u64 / 2) + (seq % customers) as u64;
    let messages: Vec<String> = (0..per)
        .map(|i| {
            format!(
                r#"{{"from":"{customer}","id":"wamid.load.{run}.{seq}.{i}","timestamp":"{now}","type":"text","text":{{"body":"mensagem {seq}.{i}"}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"200000000000002","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"551140000000","phone_number_id":"100000000000001"}},"contacts":[{{"profile":{{"name":"Cliente {customer}"}},"wa_id":"{customer}"}}],"messages":[{}]}}}}]}}]}}"#,
        messages.join(",")
    )
}

/// What every request of a run shares.
struct Load {
    client: reqwest::Client,
    url: String,
    secret: String,
    per: usize,
    customers: usize,
    /// Why notifications failed: an HTTP status, or what went wrong with the connection.
    failed: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
}

impl Load {
    /// Posts notification `seq`, noting why when it was not answered with success.
    async fn post(&self, seq: usize) {
        let body = notification(seq, self.per, self.customers);
        let signature = sign(&self.secret, body.as_bytes());
        let why = match self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => format!("HTTP {}", r.status().as_u16()),
            Err(e) if e.is_connect() => "connect".to_owned(),
            Err(e) if e.is_timeout() => "timeout".to_owned(),
            Err(_) => "request".to_owned(),
        };
        *self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(why)
            .or_default() += 1;
    }

    /// How many notifications failed, and why, as ` (HTTP 500: 3, connect: 1)` (empty without
    /// failures).
    fn failures(&self) -> (usize, String) {
        let failed = self.failed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failed.is_empty() {
            return (0, String::new());
        }
        let list: Vec<String> = failed.iter().map(|(why, n)| format!("{why}: {n}")).collect();
        (failed.values().sum(), format!(" ({})", list.join(", ")))
    }
}

/// Prints a run's figures: `what`, then `counted` messages over `elapsed`, latency, the
/// failures `load` noted.
fn report(what: String, counted: usize, elapsed: Duration, mut latencies: Vec<Duration>, load: &Load) {
    latencies.sort();
    let ms = |q: f64| balcao::bench::quantile(&latencies, q).as_secs_f64() * 1e3;
    let (failures, causes) = load.failures();
    println!(
        "{what}: {:.2} s, {:.0} messages/s; latency p50 {:.2} ms, p99 {:.2} ms; failures {failures}{causes}",
        elapsed.as_secs_f64(),
        counted as f64 / elapsed.as_secs_f64(),
        ms(0.5),
        ms(0.99),
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(secret)) = (args.first().cloned(), args.get(1).cloned()) else {
        eprintln!(
            "usage: inbound_load <webhook url> <app secret> [messages] [concurrency] [per_notification] [customers] [rate]"
        );
        std::process::exit(2);
    };
    let arg = |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (messages, concurrency, per, customers) = (arg(2, 20_000), arg(3, 32), arg(4, 1).max(1), arg(5, 2_000));
    let rate = arg(6, 0);
    let notifications = messages.div_ceil(per);
    let load = Arc::new(Load {
        client: reqwest::Client::builder().no_proxy().build().expect("client"),
        url,
        secret,
        per,
        customers,
        failed: Default::default(),
    });
    if rate > 0 {
        open_loop(load, notifications, concurrency, rate).await;
        return;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (load, next) = (load.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                if seq >= notifications {
                    break;
                }
                let t = Instant::now();
                load.post(seq).await;
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    report(
        format!(
            "{} messages in {notifications} notifications of {per}, {concurrency} concurrent",
            notifications * per
        ),
        notifications * per,
        started.elapsed(),
        all,
        &load,
    );
}

/// Sends `notifications` at `rate` per second whatever the answers, with at most `in_flight`
/// waiting; latency counts from when each notification was due.
async fn open_loop(load: Arc<Load>, notifications: usize, in_flight: usize, rate: usize) {
    let slots = Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Duration>();
    let started = tokio::time::Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    for seq in 0..notifications {
        let due = started + interval.mul_f64(seq as f64);
        tokio::time::sleep_until(due).await;
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let (load, tx) = (load.clone(), tx.clone());
        tokio::spawn(async move {
            load.post(seq).await;
            let _ = tx.send(due.elapsed());
            drop(slot);
        });
    }
    drop(tx);
    let mut all = Vec::with_capacity(notifications);
    while let Some(latency) = rx.recv().await {
        all.push(latency);
    }
    let (per, (failures, _)) = (load.per, load.failures());
    report(
        format!(
            "offered {rate} notifications/s of {per}, {} messages",
            notifications * per
        ),
        (notifications - failures) * per,
        started.elapsed(),
        all,
        &load,
    );
}
