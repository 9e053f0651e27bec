//! Request counts and latency histograms by route, method and status, in Prometheus text.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    route: Arc<str>,
    method: Method,
    status: u16,
}

#[derive(Default)]
struct Series {
    /// Cumulative per bucket is computed when rendering; these count each bucket alone,
    /// the last slot holding observations above every bound.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    count: AtomicU64,
    /// Sum of durations in nanoseconds.
    sum_nanos: AtomicU64,
}

#[derive(Default)]
pub struct Metrics {
    series: RwLock<HashMap<SeriesKey, Arc<Series>>>,
}

/// Requests that matched no route share one label, so unknown paths cannot grow the map.
const UNMATCHED: &str = "unmatched";

impl Metrics {
    fn series(&self, key: SeriesKey) -> Arc<Series> {
        if let Some(s) = self.series.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return s.clone();
        }
        self.series
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }

    pub fn observe(&self, route: Arc<str>, method: Method, status: u16, seconds: f64) {
        let series = self.series(SeriesKey { route, method, status });
        let slot = BUCKETS.iter().position(|b| seconds <= *b).unwrap_or(BUCKETS.len());
        series.buckets[slot].fetch_add(1, Ordering::Relaxed);
        series.count.fetch_add(1, Ordering::Relaxed);
        series.sum_nanos.fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self) -> String {
        let map = self.series.read().unwrap_or_else(|p| p.into_inner());
        let mut entries: Vec<_> = map.iter().collect();
        entries.sort_by(|a, b| {
            (&a.0.route, a.0.method.as_str(), a.0.status).cmp(&(&b.0.route, b.0.method.as_str(), b.0.status))
        });
        let mut out = String::with_capacity(256 + entries.len() * 1200);
        out.push_str("# HELP balcao_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE balcao_http_requests_total counter\n");
        for (k, s) in &entries {
            let _ = writeln!(
                out,
                "balcao_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}",
                escape(&k.route),
                k.method,
                k.status,
                s.count.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP balcao_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE balcao_http_request_duration_seconds histogram\n");
        for (k, s) in &entries {
            let labels = format!(
                "route=\"{}\",method=\"{}\",status=\"{}\"",
                escape(&k.route),
                k.method,
                k.status
            );
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "balcao_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "balcao_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let sum = s.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(out, "balcao_http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "balcao_http_request_duration_seconds_count{{{labels}}} {count}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware: a tracing span per request carrying the matched route, and the metrics.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route: Arc<str> = match req.extensions().get::<MatchedPath>() {
        Some(p) => Arc::from(p.as_str()),
        None => Arc::from(UNMATCHED),
    };
    let method = req.method().clone();
    let span = tracing::info_span!("request", method = %method, route = %route, status = tracing::field::Empty);
    let started = Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.record("status", status);
    span.in_scope(|| tracing::debug!(elapsed_ms = elapsed.as_secs_f64() * 1e3, "answered"));
    state.metrics.observe(route, method, status, elapsed.as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        let route: Arc<str> = Arc::from("/api/v1/users");
        m.observe(route.clone(), Method::GET, 200, 0.002);
        m.observe(route.clone(), Method::GET, 200, 0.2);
        m.observe(route, Method::GET, 404, 20.0);
        let text = m.render();
        assert!(text.contains("balcao_http_requests_total{route=\"/api/v1/users\",method=\"GET\",status=\"200\"} 2"));
        assert!(text.contains("status=\"200\",le=\"0.0025\"} 1"));
        assert!(text.contains("status=\"200\",le=\"0.25\"} 2"));
        assert!(text.contains("status=\"404\",le=\"10\"} 0"));
        assert!(text.contains("status=\"404\",le=\"+Inf\"} 1"));
    }
}
