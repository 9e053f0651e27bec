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
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/now/resume", get(resume))
        .route("/api/v1/now/attendance-resume", get(attendance))
        .route("/api/v1/now/departments-resume", get(departments))
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
    Ok(axum::Json(json!({"data": data})))
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
    Ok(axum::Json(json!({"data": data})))
}
