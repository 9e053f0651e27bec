//! Realtime fan-out: N clients hold the event stream (`GET /api/v1/events/stream`) open while
//! inbound messages arrive one after another; every client times each message from the moment
//! it was posted to the moment its `message.created` event reached it. Rising N, a table of
//! p50 / p99 / max per N.
//!
//! ```sh
//! cargo run --release --example bench_realtime -- <base url> <token> <contact id> \
//!     [clients=1,100,500,1000,2000] [messages=40] [gap_ms=50]
//! ```
//! Used by `bench/realtime.sh`, which starts the server and makes the contact.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
}

/// The text of a probe message: when it was posted.
const PROBE: &str = "sse-probe-";

/// Reads one stream until it ends, sending the latency of every probe's `message.created`.
async fn listen(response: reqwest::Response, out: mpsc::UnboundedSender<u64>) {
    let mut response = response;
    let mut buffer: Vec<u8> = Vec::with_capacity(8192);
    while let Ok(Some(chunk)) = response.chunk().await {
        let arrived = now_micros();
        buffer.extend_from_slice(&chunk);
        // Whole events end with a blank line.
        let mut consumed = 0;
        while let Some(end) = find(&buffer[consumed..], b"\n\n") {
            let event = &buffer[consumed..consumed + end];
            if find(event, b"event: message.created").is_some()
                && let Some(at) = find(event, PROBE.as_bytes())
            {
                let digits: Vec<u8> = event[at + PROBE.len()..]
                    .iter()
                    .copied()
                    .take_while(u8::is_ascii_digit)
                    .collect();
                if let Some(sent) = std::str::from_utf8(&digits).ok().and_then(|d| d.parse::<u64>().ok()) {
                    let _ = out.send(arrived.saturating_sub(sent));
                }
            }
            consumed += end + 2;
        }
        buffer.drain(..consumed);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1000.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(base), Some(token), Some(contact)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: bench_realtime <base url> <token> <contact id> [clients,...] [messages] [gap_ms]");
        std::process::exit(2);
    };
    let levels: Vec<usize> = args
        .get(3)
        .map_or("1,100,500,1000,2000", String::as_str)
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let messages: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(40);
    let gap = Duration::from_millis(args.get(5).and_then(|a| a.parse().ok()).unwrap_or(50));
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(4)
        .build()
        .expect("client");
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    let mut open = 0usize;

    println!("| clients | messages | deliveries | p50 (ms) | p99 (ms) | max (ms) |");
    println!("|---|---|---|---|---|---|");
    for &clients in &levels {
        // Open streams up to this level (the earlier ones stay open).
        while open < clients {
            let response = http
                .get(format!("{base}/api/v1/events/stream"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap_or_else(|e| {
                    eprintln!("opening stream {open}: {e}");
                    std::process::exit(1)
                });
            if !response.status().is_success() {
                eprintln!("opening stream {open}: {}", response.status());
                std::process::exit(1);
            }
            tokio::spawn(listen(response, tx.clone()));
            open += 1;
        }
        // Let the streams settle, then forget anything they got so far.
        tokio::time::sleep(Duration::from_millis(500)).await;
        while rx.try_recv().is_ok() {}

        for i in 0..messages {
            let text = format!("{PROBE}{}", now_micros());
            if let Err(e) = balcao::bench::post_inbound(&http, base, token, contact, &text).await {
                eprintln!("message {i}: {e}");
                std::process::exit(1);
            }
            tokio::time::sleep(gap).await;
        }
        let expected = clients * messages;
        let mut latencies = Vec::with_capacity(expected);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while latencies.len() < expected {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(l)) => latencies.push(l),
                _ => break,
            }
        }
        latencies.sort_unstable();
        let at = |q: f64| balcao::bench::quantile(&latencies, q);
        if latencies.is_empty() {
            println!("| {clients} | {messages} | 0 of {expected} | - | - | - |");
            continue;
        }
        println!(
            "| {clients} | {messages} | {} of {expected} | {} | {} | {} |",
            latencies.len(),
            ms(at(0.50)),
            ms(at(0.99)),
            ms(*latencies.last().unwrap_or(&0)),
        );
    }
}
