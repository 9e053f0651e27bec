//! Digisac's live figures (`now/*`): the account's active tickets right now.
//!
//! Figures (all over active tickets: status open, pending or snoozed):
//! - `openTickets`: active tickets;
//! - `waitingTickets`: active tickets nobody of the company has answered yet;
//! - `inAttendanceTickets`: active tickets already answered;
//! - `unassignedTickets`: active tickets with no user.

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use serde_json::{Value, json};

use super::{Caller, DigisacError};
use crate::AppState;

pub const SERVED: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/now/resume"),
    (Method::GET, "/api/v1/now/attendance-resume"),
    (Method::GET, "/api/v1/now/departments-resume"),
    (Method::GET, "/api/v1/dashboard/general"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/now/resume", get(resume))
        .route("/api/v1/now/attendance-resume", get(attendance))
        .route("/api/v1/now/departments-resume", get(departments))
        .route("/api/v1/dashboard/general", get(general))
}

#[derive(Default, Clone, Copy)]
struct Figures {
    open: i64,
    waiting: i64,
    unassigned: i64,
}

impl Figures {
    fn add(&mut self, total: i64, waiting: i64, assigned: bool) {
        self.open += total;
        self.waiting += waiting;
        if !assigned {
            self.unassigned += total;
        }
    }

    fn json(self) -> Value {
        json!({
            "openTickets": self.open,
            "waitingTickets": self.waiting,
            "inAttendanceTickets": self.open - self.waiting,
            "unassignedTickets": self.unassigned,
        })
    }
}

async fn resume(State(state): State<AppState>, Caller(who): Caller) -> Result<axum::Json<Value>, DigisacError> {
    let s = state.service.now_summary(&who).await?;
    let mut all = Figures::default();
    for (_, user, total, waiting) in &s.rows {
        all.add(*total, *waiting, user.is_some());
    }
    let mut v = all.json();
    v["activeUsers"] = json!(s.users.len());
    Ok(axum::Json(v))
}

/// One line per active user (with zeros for users without tickets).
async fn attendance(State(state): State<AppState>, Caller(who): Caller) -> Result<axum::Json<Value>, DigisacError> {
    let s = state.service.now_summary(&who).await?;
    let mut by_user: HashMap<balcao_core::UserId, Figures> = HashMap::new();
    for (_, user, total, waiting) in &s.rows {
        if let Some(u) = user {
            by_user.entry(*u).or_default().add(*total, *waiting, true);
        }
    }
    let data: Vec<Value> = s
        .users
        .iter()
        .map(|u| {
            let mut v = by_user.get(&u.id).copied().unwrap_or_default().json();
            v["userId"] = json!(u.id);
            v["name"] = json!(u.name);
            v
        })
        .collect();
    Ok(axum::Json(super::data_only(data)))
}

/// One line per department (with zeros), and one for tickets in no department.
async fn departments(State(state): State<AppState>, Caller(who): Caller) -> Result<axum::Json<Value>, DigisacError> {
    let s = state.service.now_summary(&who).await?;
    let mut by_department: HashMap<Option<balcao_core::DepartmentId>, Figures> = HashMap::new();
    for (department, user, total, waiting) in &s.rows {
        by_department
            .entry(*department)
            .or_default()
            .add(*total, *waiting, user.is_some());
    }
    let mut data: Vec<Value> = s
        .departments
        .iter()
        .filter(|d| d.archived_at.is_none() || by_department.contains_key(&Some(d.id)))
        .map(|d| {
            let mut v = by_department.get(&Some(d.id)).copied().unwrap_or_default().json();
            v["departmentId"] = json!(d.id);
            v["name"] = json!(d.name);
            v
        })
        .collect();
    if let Some(none) = by_department.get(&None) {
        let mut v = none.json();
        v["departmentId"] = Value::Null;
        v["name"] = Value::Null;
        data.push(v);
    }
    Ok(axum::Json(super::data_only(data)))
}

/// `GET /dashboard/general`: statistics of a period (`startPeriod`, `endPeriod`; default the
/// last 30 days), for a department and a user (`all` or an id), of tickets opened or closed in
/// it (`periodType` `openDate` or `closeDate`), open, closed or all (`status`).
async fn general(
    State(state): State<AppState>,
    Caller(who): Caller,
    uri: axum::extract::OriginalUri,
) -> Result<axum::Json<Value>, DigisacError> {
    use balcao_core::query::{FieldKind, Value as QValue};
    let spec = super::query::spec_of(uri.query())?;
    let time = |key: &str| -> Result<Option<balcao_core::Timestamp>, DigisacError> {
        match spec
            .get(key)
            .filter(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()))
        {
            None => Ok(None),
            Some(v) => match super::query::coerce(key, FieldKind::Time, v)? {
                QValue::Time(t) => Ok(Some(t)),
                _ => Ok(None),
            },
        }
    };
    let id = |key: &str| -> Result<Option<uuid::Uuid>, DigisacError> {
        match spec.get(key).and_then(Value::as_str).map(str::trim) {
            None | Some("" | "all") => Ok(None),
            Some(s) => uuid::Uuid::parse_str(s)
                .map(Some)
                .map_err(|_| DigisacError::bad_request(format!("`{key}` is `all` or an id"))),
        }
    };
    let to = time("endPeriod")?.unwrap_or_else(balcao_core::Timestamp::now);
    let from = time("startPeriod")?
        .unwrap_or_else(|| balcao_core::Timestamp::from_micros(to.micros() - 30 * balcao_core::Timestamp::DAY_MICROS));
    let by_close = match spec.get("periodType").and_then(Value::as_str) {
        None | Some("" | "openDate") => false,
        Some("closeDate") => true,
        Some(other) => {
            return Err(DigisacError::bad_request(format!(
                "`periodType` is openDate or closeDate, not `{other}`"
            )));
        }
    };
    let open = match spec.get("status").and_then(Value::as_str) {
        None | Some("" | "all") => None,
        Some("open" | "opened") => Some(true),
        Some("closed" | "close") => Some(false),
        Some(other) => {
            return Err(DigisacError::bad_request(format!(
                "`status` is all, open or closed, not `{other}`"
            )));
        }
    };
    let q = balcao_service::StatsQuery {
        from,
        to,
        department: id("departmentId")?.map(balcao_core::DepartmentId),
        user: id("userId")?.map(balcao_core::UserId),
        by_close,
        open,
    };
    let s = state.service.statistics(&who, q).await?;
    let average = |(sum, n): (i64, i64)| {
        if n == 0 {
            Value::Null
        } else {
            json!(sum / n / 1_000_000)
        }
    };
    let by_day: Vec<Value> = s
        .per_day
        .iter()
        .map(|(day, n)| {
            let date = balcao_core::Timestamp::from_micros(day * balcao_core::Timestamp::DAY_MICROS)
                .to_datetime()
                .format("%Y-%m-%d")
                .to_string();
            json!({"date": date, "tickets": n})
        })
        .collect();
    Ok(axum::Json(json!({
        "period": {"start": from, "end": to, "type": if by_close { "closeDate" } else { "openDate" }},
        "tickets": {"total": s.tickets.total, "open": s.tickets.open, "closed": s.tickets.closed},
        "averageWaitingTime": average(s.tickets.waiting),
        "averageTicketTime": average(s.tickets.duration),
        "averageMessagingTime": average(s.tickets.messaging),
        "messages": {"sent": s.messages.0, "received": s.messages.1},
        "byDay": by_day,
    })))
}
