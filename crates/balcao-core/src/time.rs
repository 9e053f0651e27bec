//! Timestamps: stored as microseconds since the Unix epoch (the same `BIGINT` on SQLite and
//! PostgreSQL, compact and fast to compare), shown as RFC 3339 UTC.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// A day, in the microseconds timestamps count.
    pub const DAY_MICROS: i64 = 86_400_000_000;

    pub fn now() -> Self {
        Self(Utc::now().timestamp_micros())
    }

    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Milliseconds since the Unix epoch (zero before it), as UUID v7 ids count time.
    pub fn unix_ms(self) -> u64 {
        u64::try_from(self.0 / 1000).unwrap_or(0)
    }

    /// This instant plus a number of seconds (saturating).
    pub fn plus_secs(self, secs: u64) -> Self {
        let delta = i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1_000_000);
        Self(self.0.saturating_add(delta))
    }

    /// This instant plus a duration (saturating).
    pub fn plus(self, d: std::time::Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)))
    }

    /// Whole seconds from `self` until `later` (zero when `later` is not later).
    pub fn secs_until(self, later: Timestamp) -> u64 {
        u64::try_from(later.0.saturating_sub(self.0) / 1_000_000).unwrap_or(0)
    }

    /// Parses an RFC 3339 date-time (any offset) into UTC.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|d| Self(d.with_timezone(&Utc).timestamp_micros()))
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-21T10:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_datetime().to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an RFC 3339 time")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc3339_utc() {
        let t = Timestamp::from_micros(1_700_000_000_123_456);
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.123Z");
        assert_eq!(serde_json_like(t), "\"2023-11-14T22:13:20.123Z\"");
    }

    #[test]
    fn parses_rfc3339_with_offsets() {
        let t = Timestamp::parse_rfc3339("2026-01-01T00:00:00-03:00").expect("valid");
        assert_eq!(t.to_rfc3339(), "2026-01-01T03:00:00.000Z");
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_micros(5_000_000);
        assert_eq!(t.plus_secs(2).micros(), 7_000_000);
        assert_eq!(t.secs_until(Timestamp::from_micros(1)), 0);
        assert_eq!(Timestamp::from_micros(0).secs_until(t), 5);
        assert_eq!(Timestamp::from_micros(i64::MAX - 1).plus_secs(10).micros(), i64::MAX);
    }

    fn serde_json_like(t: Timestamp) -> String {
        format!("\"{t}\"")
    }
}
