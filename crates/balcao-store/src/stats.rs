//! Statistics over a period: whole days read from the per-day counts the database keeps
//! (`ticket_days`, `message_days`), the hours at the edges of a period from the rows themselves.
//! Durations are summed in microseconds (cast to a 64-bit integer on every backend) and
//! averaged by the caller.

use balcao_core::{AccountId, DepartmentId, Timestamp, UserId};
use sea_query::{Alias, Expr, Func, Query, SimpleExpr};

use crate::db::{fetch_all, fetch_optional};
use crate::{Exec, Result};

/// Which tickets a statistic covers.
#[derive(Clone, Copy, Debug)]
pub struct TicketScope {
    pub from: Timestamp,
    pub to: Timestamp,
    pub department: Option<DepartmentId>,
    pub user: Option<UserId>,
    /// Tickets closed in the period (else: opened in it).
    pub by_close: bool,
    /// Only open (`Some(true)`) or only closed (`Some(false)`) tickets.
    pub open: Option<bool>,
}

/// Ticket figures of a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TicketFigures {
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    /// Sum and count of start → first reply.
    pub waiting: (i64, i64),
    /// Sum and count of start → end (closed tickets).
    pub duration: (i64, i64),
    /// Sum and count of first reply → end (closed and answered tickets).
    pub messaging: (i64, i64),
}

/// A UTC day in microseconds.
const DAY: i64 = Timestamp::DAY_MICROS;

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn sum_bigint(expr: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(expr), Alias::new("BIGINT")).into()
}

/// A stretch of time in microseconds, both ends included.
type Span = (i64, i64);

/// The whole UTC days inside `[from, to]` (first ..= last, if any) and the stretches of time at
/// its edges, outside whole days (or all of the period when it holds no whole day).
fn split_days(from: i64, to: i64) -> (Option<(i64, i64)>, Vec<Span>) {
    let first_day = from.div_euclid(DAY) + i64::from(from.rem_euclid(DAY) != 0);
    let last_day = (to + 1).div_euclid(DAY) - 1;
    if first_day <= last_day {
        let edges = [(from, first_day * DAY - 1), ((last_day + 1) * DAY, to)];
        (
            Some((first_day, last_day)),
            edges.into_iter().filter(|(a, b)| a <= b).collect(),
        )
    } else {
        (None, if from <= to { vec![(from, to)] } else { Vec::new() })
    }
}

/// One UTC day's ticket figures as read: (day, tickets, resolved, waiting sum, waiting count,
/// duration sum, duration count, messaging sum, messaging count).
type DayRow = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Ticket figures of a period and the tickets per UTC day (days since the Unix epoch): whole
/// days are read from the per-day counts kept by the database (`ticket_days`, a few rows a
/// day), the hours at the edges of the period from the tickets (a covering index).
pub async fn tickets(
    db: &mut impl Exec,
    account: AccountId,
    s: &TicketScope,
) -> Result<(TicketFigures, Vec<(i64, i64)>)> {
    let (whole, edges) = split_days(s.from.micros(), s.to.micros());
    let mut rows: Vec<DayRow> = Vec::new();
    if let Some((first, last)) = whole {
        rows.extend(fetch_all::<DayRow>(db, &whole_days(account, s, first, last)).await?);
    }
    if !edges.is_empty() {
        rows.extend(fetch_all::<DayRow>(db, &edge_hours(account, s, &edges)).await?);
    }
    // Whole days and edge days are distinct days, each one row.
    rows.sort_unstable_by_key(|r| r.0);
    let mut f = TicketFigures::default();
    let mut per_day: Vec<(i64, i64)> = Vec::with_capacity(rows.len());
    let add = |acc: &mut (i64, i64), sum: Option<i64>, n: Option<i64>| {
        acc.0 += sum.unwrap_or(0);
        acc.1 += n.unwrap_or(0);
    };
    for (day, total, closed, w, wn, d, dn, m, mn) in rows {
        // A day's counts may have gone back to zero (its tickets deleted or moved).
        if total != 0 {
            per_day.push((day, total));
        }
        f.total += total;
        f.closed += closed.unwrap_or(0);
        add(&mut f.waiting, w, wn);
        add(&mut f.duration, d, dn);
        add(&mut f.messaging, m, mn);
    }
    f.open = f.total - f.closed;
    Ok((f, per_day))
}

/// Only the tickets of the scope's department and agent, if it names them.
fn routed(stmt: &mut sea_query::SelectStatement, s: &TicketScope) {
    if let Some(d) = s.department {
        stmt.and_where(col("department_id").eq(d.0));
    }
    if let Some(u) = s.user {
        stmt.and_where(col("user_id").eq(u.0));
    }
}

/// Whole days `first ..= last` from `ticket_days`, grouped by day.
fn whole_days(account: AccountId, s: &TicketScope, first: i64, last: i64) -> sea_query::SelectStatement {
    let mut stmt = Query::select();
    stmt.column(Alias::new("day"))
        .expr(sum_bigint(col("tickets").into()))
        .expr(sum_bigint(
            Expr::case(col("resolved").eq(true), col("tickets")).finally(0).into(),
        ));
    for c in [
        "waiting_sum",
        "waiting_n",
        "duration_sum",
        "duration_n",
        "messaging_sum",
        "messaging_n",
    ] {
        stmt.expr(sum_bigint(col(c).into()));
    }
    stmt.from(Alias::new("ticket_days"))
        .and_where(col("account_id").eq(account.0))
        .and_where(col("basis").eq(i32::from(s.by_close)))
        .and_where(col("day").gte(first))
        .and_where(col("day").lte(last))
        .group_by_col(Alias::new("day"));
    routed(&mut stmt, s);
    if let Some(open) = s.open {
        stmt.and_where(col("resolved").eq(!open));
    }
    stmt
}

/// The tickets opened (or closed) in the hours at the edges of the period, grouped by day.
fn edge_hours(account: AccountId, s: &TicketScope, edges: &[(i64, i64)]) -> sea_query::SelectStatement {
    let time = if s.by_close { "ended_at" } else { "started_at" };
    let day: SimpleExpr = Expr::col(Alias::new(time)).div(DAY);
    let answered = col("first_reply_at").is_not_null();
    let closed = col("ended_at").is_not_null();
    let count_when = |cond: SimpleExpr| -> SimpleExpr { sum_bigint(Expr::case(cond, 1).finally(0).into()) };
    let span = |cond: SimpleExpr, from: &str, to: &str| -> SimpleExpr {
        sum_bigint(
            Expr::case(cond, Expr::col(Alias::new(to)).sub(Expr::col(Alias::new(from))))
                .finally(0)
                .into(),
        )
    };
    let mut period = sea_query::Condition::any();
    for &(a, b) in edges {
        period = period.add(col(time).gte(a).and(col(time).lte(b)));
    }
    let mut stmt = Query::select();
    stmt.expr_as(day, Alias::new("day"))
        .expr(Expr::cust("COUNT(*)"))
        .expr(count_when(col("status").eq("resolved")))
        .expr(span(answered.clone(), "started_at", "first_reply_at"))
        .expr(count_when(answered.clone()))
        .expr(span(closed.clone(), "started_at", "ended_at"))
        .expr(count_when(closed.clone()))
        .expr(span(closed.clone().and(answered.clone()), "first_reply_at", "ended_at"))
        .expr(count_when(closed.and(answered)))
        .from(Alias::new("tickets"))
        .and_where(col("account_id").eq(account.0))
        .cond_where(period)
        .group_by_col(Alias::new("day"));
    routed(&mut stmt, s);
    match s.open {
        Some(true) => {
            stmt.and_where(col("status").ne("resolved"));
        }
        Some(false) => {
            stmt.and_where(col("status").eq("resolved"));
        }
        None => {}
    }
    stmt
}

/// Messages exchanged with contacts in a period: (sent by the company, received), optionally
/// only those written by one user (sent). Whole UTC days are read from the per-day counts kept
/// by the database (`message_days`); the hours at the edges of the period from the messages.
pub async fn messages(
    db: &mut impl Exec,
    account: AccountId,
    from: Timestamp,
    to: Timestamp,
    user: Option<UserId>,
) -> Result<(i64, i64)> {
    let (whole, edges) = split_days(from.micros(), to.micros());
    let mut sent = 0;
    let mut received = 0;
    if let Some((first_day, last_day)) = whole {
        let nobody = uuid::Uuid::nil();
        let sent_expr: SimpleExpr = match user {
            Some(u) => Expr::case(col("user_id").eq(u.0), col("sent")).finally(0).into(),
            None => col("sent").into(),
        };
        let mut stmt = Query::select();
        stmt.expr(Func::cast_as(Func::sum(sent_expr), Alias::new("BIGINT")))
            .expr(Func::cast_as(Func::sum(col("received")), Alias::new("BIGINT")))
            .from(Alias::new("message_days"))
            .and_where(col("account_id").eq(account.0))
            .and_where(col("day").gte(first_day))
            .and_where(col("day").lte(last_day));
        if let Some(u) = user {
            stmt.and_where(col("user_id").is_in([u.0, nobody]));
        }
        let row: Option<(Option<i64>, Option<i64>)> = fetch_optional(db, &stmt).await?;
        if let Some((s, r)) = row {
            sent += s.unwrap_or(0);
            received += r.unwrap_or(0);
        }
    }
    let mut period = sea_query::Condition::any();
    for (a, b) in edges {
        period = period.add(col("created_at").gte(a).and(col("created_at").lte(b)));
    }
    if !period.is_empty() {
        let mut stmt = Query::select();
        stmt.column(Alias::new("direction"))
            .expr(Expr::cust("COUNT(*)"))
            .from(Alias::new("messages"))
            .and_where(col("account_id").eq(account.0))
            .cond_where(period)
            .and_where(col("type").is_not_in(["note", "ticket_event"]))
            .group_by_col(Alias::new("direction"));
        if let Some(u) = user {
            stmt.and_where(col("user_id").eq(u.0).or(col("direction").eq("inbound")));
        }
        let rows: Vec<(String, i64)> = fetch_all(db, &stmt).await?;
        for (direction, n) in rows {
            match direction.as_str() {
                "outbound" => sent += n,
                _ => received += n,
            }
        }
    }
    Ok((sent, received))
}
