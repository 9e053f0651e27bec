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
//! Every request is built and signed before the run, and sent over kept-alive HTTP/1.1
//! connections written and read directly, so the generator's own CPU (on the server's cores)
//! stays small. Used by `bench/whatsapp_inbound.sh`, which starts the server and creates the
//! connection.

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

/// The URL's host and port, and its path.
fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap_or_else(|| {
        eprintln!("only http:// URLs are supported: {url}");
        std::process::exit(2);
    });
    match rest.find('/') {
        Some(slash) => (rest[..slash].to_owned(), rest[slash..].to_owned()),
        None => (rest.to_owned(), "/".to_owned()),
    }
}

/// Every request of a run as the bytes sent on the wire (request line, headers, signed body),
/// built before the run so that the timed part of the load generator only writes and reads.
fn requests(url: &str, secret: &str, notifications: usize, per: usize, customers: usize) -> Vec<Vec<u8>> {
    let (host, path) = split_url(url);
    (0..notifications)
        .map(|seq| {
            let body = notification(seq, per, customers);
            let signature = sign(secret, body.as_bytes());
            let mut request = format!(
                "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
                 x-hub-signature-256: {signature}\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            request.extend_from_slice(body.as_bytes());
            request
        })
        .collect()
}

/// A kept-alive HTTP/1.1 connection to the server: a request is one write, its answer read
/// until the end of its body.
struct Connection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(host: &str) -> std::io::Result<Connection> {
        let stream = tokio::net::TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: Vec::with_capacity(1024),
        })
    }

    /// Sends `request` and answers the status of its response (after reading all of it).
    async fn send(&mut self, request: &[u8]) -> std::io::Result<u16> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        self.stream.write_all(request).await?;
        self.buffer.clear();
        loop {
            if let Some(done) = complete(&self.buffer)? {
                return Ok(done);
            }
            let mut chunk = [0_u8; 4096];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The status of the response in `buffer` once all of it has arrived (its body sized by
/// `content-length` or sent in chunks).
fn complete(buffer: &[u8]) -> std::io::Result<Option<u16>> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buffer[..end]).map_err(|_| invalid("response head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let body = &buffer[end + 4..];
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            let length: usize = value.trim().parse().map_err(|_| invalid("bad content-length"))?;
            return Ok((body.len() >= length).then_some(status));
        }
        if name.eq_ignore_ascii_case("transfer-encoding") && value.trim().eq_ignore_ascii_case("chunked") {
            return Ok(body.ends_with(b"0\r\n\r\n").then_some(status));
        }
    }
    Ok(Some(status))
}

/// What every request of a run shares.
struct Load {
    host: String,
    requests: Vec<Vec<u8>>,
    per: usize,
    /// Open connections not in use (the open loop takes one per request in flight).
    idle: std::sync::Mutex<Vec<Connection>>,
    /// Why notifications failed: an HTTP status, or what went wrong with the connection.
    failed: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
}

impl Load {
    /// Posts notification `seq` on `connection` (opened when `None`, dropped after an error),
    /// noting why when it was not answered with success.
    async fn post(&self, seq: usize, connection: &mut Option<Connection>) {
        let why = match self.try_post(seq, connection).await {
            Ok(status) if (200..300).contains(&status) => return,
            Ok(status) => format!("HTTP {status}"),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => "connect".to_owned(),
            Err(_) => "connection".to_owned(),
        };
        *self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(why)
            .or_default() += 1;
    }

    async fn try_post(&self, seq: usize, connection: &mut Option<Connection>) -> std::io::Result<u16> {
        let open = match connection {
            Some(open) => open,
            None => connection.insert(Connection::open(&self.host).await?),
        };
        let sent = open.send(&self.requests[seq]).await;
        if sent.is_err() {
            *connection = None;
        }
        sent
    }

    /// Posts notification `seq` on an idle connection, or a new one.
    async fn post_pooled(&self, seq: usize) {
        let idle = || self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut connection = idle().pop();
        self.post(seq, &mut connection).await;
        if let Some(connection) = connection {
            idle().push(connection);
        }
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
        host: split_url(&url).0,
        requests: requests(&url, &secret, notifications, per, customers),
        per,
        idle: Default::default(),
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
            let mut connection = None;
            loop {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                if seq >= notifications {
                    break;
                }
                let t = Instant::now();
                load.post(seq, &mut connection).await;
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
            load.post_pooled(seq).await;
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
