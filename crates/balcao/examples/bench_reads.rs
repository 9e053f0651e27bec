//! Read latencies on a large account (made by `balcao seed`): each query asked many times over
//! HTTP, as the web app and integrations ask it, with p50 / p99 per query.
//!
//! ```sh
//! cargo run --release --example bench_reads -- <base url> <token> [requests=1000] [concurrency=1]
//! ```
//! Used by `bench/reads.sh`, which seeds the account and starts the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use balcao::seed::Rng;
use serde_json::Value;

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn get(&self, path: &str) -> Result<Value, String> {
        let body = self.get_raw(path).await?;
        serde_json::from_slice(body.as_ref()).map_err(|e| format!("GET {path}: {e}"))
    }

    /// The body of a successful answer, unparsed.
    async fn get_raw(&self, path: &str) -> Result<impl AsRef<[u8]> + use<>, String> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| format!("GET {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "GET {path} answered {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        Ok(body)
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_str().map(str::to_owned))
        .collect()
}

struct Outcome {
    latencies: Vec<Duration>,
    items: usize,
    elapsed: Duration,
}

/// Asks `requests` of `paths` in turn with `concurrency` clients; the length of the answers'
/// lists (`data`) is averaged.
async fn run(client: &Arc<Client>, requests: usize, concurrency: usize, paths: Arc<Vec<String>>) -> Outcome {
    // Warm-up: the first requests of each query pay for cold caches and prepared statements.
    for path in paths.iter().take(20) {
        if let Err(e) = client.get(path).await {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
    let next = Arc::new(AtomicUsize::new(0));
    let items = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, next, items, paths) = (client.clone(), next.clone(), items.clone(), paths.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return latencies;
                }
                let path = &paths[i % paths.len()];
                let t = Instant::now();
                // A request's latency ends when its whole answer has arrived; reading the
                // answer (to count its items) is the client's work, not the server's.
                match client.get_raw(path).await {
                    Ok(raw) => {
                        latencies.push(t.elapsed());
                        let body: Value = serde_json::from_slice(raw.as_ref()).unwrap_or_default();
                        let n = body["data"].as_array().map_or(1, Vec::len);
                        items.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        std::process::exit(1);
                    }
                }
            }
        }));
    }
    let mut latencies = Vec::with_capacity(requests);
    for t in tasks {
        latencies.extend(t.await.expect("worker"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Outcome {
        items: items.load(Ordering::Relaxed) / requests.max(1),
        latencies,
        elapsed,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(base), Some(token)) = (args.first().cloned(), args.get(1).cloned()) else {
        eprintln!("usage: bench_reads <base url> <token> [requests] [concurrency]");
        std::process::exit(2);
    };
    let arg = |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (requests, concurrency) = (arg(2, 1000), arg(3, 1));
    let only: Option<String> = std::env::var("BENCH_ONLY").ok().filter(|s| !s.is_empty());
    let client = Arc::new(Client {
        http: reqwest::Client::builder().no_proxy().build().expect("client"),
        base,
        token,
    });
    let fail = |e: String| -> ! {
        eprintln!("{e}");
        std::process::exit(1)
    };
    let mut rng = Rng(7);

    // What to ask about: departments, a sample of tickets (open and closed), contacts' phones.
    let departments = ids(
        &client.get("/api/v1/departments").await.unwrap_or_else(|e| fail(e)),
        "data",
    );
    let mut tickets = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?limit=100&sort=-created&cursor={}", encode(c)),
            None => "/api/v1/tickets?limit=100&sort=-created".to_owned(),
        };
        let page = client.get(&path).await.unwrap_or_else(|e| fail(e));
        tickets.extend(ids(&page, "data"));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    // And some from early in the year.
    let oldest = client
        .get("/api/v1/tickets?limit=100&sort=created")
        .await
        .unwrap_or_else(|e| fail(e));
    tickets.extend(ids(&oldest, "data"));
    let contacts = client
        .get("/api/v1/contacts?limit=100&sort=-last_message_at")
        .await
        .unwrap_or_else(|e| fail(e));
    let phones: Vec<String> = contacts["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["phone"].as_str().map(str::to_owned))
        .collect();
    if departments.is_empty() || tickets.is_empty() || phones.is_empty() {
        fail("the account has no departments, tickets or contacts: seed it first (balcao seed)".into());
    }

    let mut scenarios: Vec<(&str, Vec<String>)> = Vec::new();
    let mut paths = |make: &mut dyn FnMut(&mut Rng) -> String| (0..256).map(|_| make(&mut rng)).collect::<Vec<_>>();
    scenarios.push((
        "open tickets of a department (contact, agent, last message; 50)",
        paths(&mut |r| {
            format!(
                "/api/v1/tickets?department_id={}&status=open,pending&include=contact,user,last_message&limit=50&sort=-updated_at",
                r.pick(&departments)
            )
        }),
    ));
    scenarios.push((
        "conversation page (50 messages of a ticket)",
        paths(&mut |r| format!("/api/v1/tickets/{}/messages?limit=50", r.pick(&tickets))),
    ));
    scenarios.push((
        "contact search by phone fragment (5 digits)",
        paths(&mut |r| {
            let phone = r.pick(&phones);
            let start = 4 + r.below(phone.len().saturating_sub(9) as u64) as usize;
            format!(
                "/api/v1/contacts?q={}&limit=20",
                &phone[start..(start + 5).min(phone.len())]
            )
        }),
    ));
    scenarios.push((
        "Digisac ticket list, query= (open, department, includes; 40)",
        paths(&mut |r| {
            let query = format!(
                r#"{{"where":{{"isOpen":true,"departmentId":"{}"}},"include":["contact","user","lastMessage"],"order":[["updatedAt","DESC"]],"perPage":40}}"#,
                r.pick(&departments)
            );
            format!("/digisac/api/v1/tickets?query={}", encode(&query))
        }),
    ));
    scenarios.push((
        "message text search (words; 20 hits with ticket and contact)",
        paths(&mut |r| {
            // Common words and phrases of the conversations, order numbers (found a few times
            // or never) and words that never occur together.
            const COMMON: &[&str] = &[
                "boleto",
                "pedido",
                "entrega atrasada",
                "reembolso",
                "pix",
                "nota fiscal",
                "cartão cobrado",
                "obrigada",
                "NAO chegou",
                "troca aprovada",
            ];
            const ABSENT: &[&str] = &["camiseta azul", "boleto reembolso pix", "geladeira"];
            let q = match r.below(10) {
                0..=3 => (*r.pick(COMMON)).to_owned(),
                4..=7 => (100_000 + r.below(900_000)).to_string(),
                _ => (*r.pick(ABSENT)).to_owned(),
            };
            format!("/api/v1/messages/search?q={}&limit=20", encode(&q))
        }),
    ));
    let year_ago = balcao_core::Timestamp::from_micros(
        balcao_core::Timestamp::now().micros() - 365 * balcao_core::Timestamp::DAY_MICROS,
    )
    .to_rfc3339();
    scenarios.push((
        "Digisac dashboard/general over a year",
        paths(&mut |r| {
            let department = if r.chance(50) {
                "all".to_owned()
            } else {
                r.pick(&departments).clone()
            };
            format!("/digisac/api/v1/dashboard/general?startPeriod={year_ago}&departmentId={department}")
        }),
    ));

    println!("| query | p50 (ms) | p99 (ms) | max (ms) | requests/s | items per answer |");
    println!("|---|---|---|---|---|---|");
    for (name, list) in scenarios {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let out = run(&client, requests, concurrency, Arc::new(list)).await;
        let at = |q: f64| balcao::bench::quantile(&out.latencies, q);
        println!(
            "| {name} | {} | {} | {} | {:.0} | {} |",
            ms(at(0.50)),
            ms(at(0.99)),
            ms(*out.latencies.last().expect("requests")),
            requests as f64 / out.elapsed.as_secs_f64(),
            out.items
        );
    }
}
