//! Webhook deliveries per second, in two parts run by `bench/webhooks.sh`:
//!
//! ```sh
//! # post <messages> inbound messages (each one `message.created` event), <concurrency> at a time
//! bench_webhooks make <base url> <token> <contact id> [messages=20000] [concurrency=16]
//! # receive deliveries on 127.0.0.1:<port> until <expected> arrived; print the rate
//! bench_webhooks receive <port> <expected> [timeout_s=120]
//! ```
//! The script makes the events with the server's workers off, then starts the receiver and the
//! server with its workers on: the rate is that of dispatching and delivering a backlog.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::sync::Mutex;

async fn make(args: &[String]) {
    let (Some(base), Some(token), Some(contact)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: bench_webhooks make <base url> <token> <contact id> [messages] [concurrency]");
        std::process::exit(2);
    };
    let messages: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(16);
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (http, next) = (http.clone(), next.clone());
        let (base, token, contact) = (base.clone(), token.clone(), contact.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= messages {
                    return;
                }
                let text = format!("mensagem {i}");
                if let Err(e) = balcao::bench::post_inbound(&http, &base, &token, &contact, &text).await {
                    eprintln!("message {i}: {e}");
                    std::process::exit(1);
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("poster");
    }
    println!("made {messages} messages in {:.1} s", started.elapsed().as_secs_f64());
}

/// What the receiver saw: when the first and the latest delivery arrived, how many.
#[derive(Default)]
struct Seen {
    first: Option<Instant>,
    last: Option<Instant>,
    count: usize,
}

async fn receive(args: &[String]) {
    let (Some(port), Some(expected)) = (
        args.first().and_then(|a| a.parse::<u16>().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: bench_webhooks receive <port> <expected> [timeout_s]");
        std::process::exit(2);
    };
    let timeout = Duration::from_secs(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(120));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let done = Arc::new(tokio::sync::Notify::new());
    let app = {
        let (seen, done) = (seen.clone(), done.clone());
        Router::new().route(
            "/hook",
            post(move |body: Bytes| {
                let (seen, done) = (seen.clone(), done.clone());
                async move {
                    let now = Instant::now();
                    let mut s = seen.lock().await;
                    if body.starts_with(b"{") {
                        s.first.get_or_insert(now);
                        s.last = Some(now);
                        s.count += 1;
                        if s.count >= expected {
                            done.notify_one();
                        }
                    }
                    StatusCode::OK
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("listening on {port}: {e}");
            std::process::exit(1)
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("listening");
    let finished = tokio::time::timeout(timeout, done.notified()).await.is_ok();
    let s = seen.lock().await;
    let span = match (s.first, s.last) {
        (Some(a), Some(b)) => b.duration_since(a),
        _ => Duration::ZERO,
    };
    println!(
        "| {} of {expected} | {:.2} | {:.0} |{}",
        s.count,
        span.as_secs_f64(),
        s.count as f64 / span.as_secs_f64().max(1e-9),
        if finished { "" } else { " (timed out)" }
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("make") => make(&args[1..]).await,
        Some("receive") => receive(&args[1..]).await,
        _ => {
            eprintln!("usage: bench_webhooks make ... | bench_webhooks receive ...");
            std::process::exit(2);
        }
    }
}
