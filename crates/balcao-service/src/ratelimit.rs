//! Counting failed attempts per key in a fixed window (failed logins per account and client
//! address). In memory: each server process counts its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    /// The account's id when the login names a known user, else the login as typed.
    pub subject: String,
    pub client: Option<IpAddr>,
}

struct Window {
    started: Instant,
    failures: u32,
}

pub(crate) struct FailureLimiter {
    max: u32,
    window: Duration,
    entries: Mutex<HashMap<Key, Window>>,
}

/// Entries kept before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

impl FailureLimiter {
    pub(crate) fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds)` to wait when `key` has used up its failures.
    pub(crate) fn blocked(&self, key: &Key) -> Option<u64> {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let w = entries.get(key)?;
        let elapsed = now.duration_since(w.started);
        (elapsed < self.window && w.failures >= self.max).then(|| (self.window - elapsed).as_secs().max(1))
    }

    pub(crate) fn failed(&self, key: Key) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > SWEEP_ABOVE {
            let window = self.window;
            entries.retain(|_, w| now.duration_since(w.started) < window);
        }
        let w = entries.entry(key).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(w.started) >= self.window {
            w.started = now;
            w.failures = 0;
        }
        w.failures += 1;
    }

    pub(crate) fn succeeded(&self, key: &Key) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(subject: &str, ip: &str) -> Key {
        Key {
            subject: subject.into(),
            client: ip.parse().ok(),
        }
    }

    #[test]
    fn blocks_after_max_failures_per_key() {
        let l = FailureLimiter::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            l.failed(key("a", "10.0.0.1"));
        }
        assert_eq!(l.blocked(&key("a", "10.0.0.1")), None);
        l.failed(key("a", "10.0.0.1"));
        assert!(l.blocked(&key("a", "10.0.0.1")).is_some_and(|s| (1..=60).contains(&s)));
        assert_eq!(l.blocked(&key("a", "10.0.0.2")), None, "another address is not blocked");
        assert_eq!(l.blocked(&key("b", "10.0.0.1")), None, "another account is not blocked");
        l.succeeded(&key("a", "10.0.0.1"));
        assert_eq!(l.blocked(&key("a", "10.0.0.1")), None);
    }

    #[test]
    fn window_expires() {
        let l = FailureLimiter::new(1, Duration::ZERO);
        l.failed(key("a", "10.0.0.1"));
        assert_eq!(l.blocked(&key("a", "10.0.0.1")), None);
    }
}
