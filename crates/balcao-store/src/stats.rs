//! Statistics over a period: aggregate queries over tickets and messages, each one statement.
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

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn sum_micros(expr: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(expr), Alias::new("BIGINT")).into()
}

fn scope_filter(stmt: &mut sea_query::SelectStatement, account: AccountId, s: &TicketScope) {
    let time = if s.by_close { "ended_at" } else { "started_at" };
    stmt.and_where(col("account_id").eq(account.0))
        .and_where(col(time).gte(s.from.micros()))
        .and_where(col(time).lte(s.to.micros()));
    if let Some(d) = s.department {
        stmt.and_where(col("department_id").eq(d.0));
    }
    if let Some(u) = s.user {
        stmt.and_where(col("user_id").eq(u.0));
    }
    match s.open {
        Some(true) => {
            stmt.and_where(col("status").ne("resolved"));
        }
        Some(false) => {
            stmt.and_where(col("status").eq("resolved"));
        }
        None => {}
    }
}

/// Ticket figures of a period, in one statement.
pub async fn tickets(db: &mut impl Exec, account: AccountId, s: &TicketScope) -> Result<TicketFigures> {
    let resolved = Expr::case(col("status").eq("resolved"), 1).finally(0);
    let answered = col("first_reply_at").is_not_null();
    let closed = col("ended_at").is_not_null();
    let mut stmt = Query::select();
    stmt.expr(col("id").count())
        .expr(Func::cast_as(Func::sum(resolved), Alias::new("BIGINT")))
        .expr(sum_micros(
            Expr::case(
                answered.clone(),
                Expr::col(Alias::new("first_reply_at")).sub(Expr::col(Alias::new("started_at"))),
            )
            .finally(0)
            .into(),
        ))
        .expr(Func::cast_as(
            Func::sum(Expr::case(answered.clone(), 1).finally(0)),
            Alias::new("BIGINT"),
        ))
        .expr(sum_micros(
            Expr::case(
                closed.clone(),
                Expr::col(Alias::new("ended_at")).sub(Expr::col(Alias::new("started_at"))),
            )
            .finally(0)
            .into(),
        ))
        .expr(Func::cast_as(
            Func::sum(Expr::case(closed.clone(), 1).finally(0)),
            Alias::new("BIGINT"),
        ))
        .expr(sum_micros(
            Expr::case(
                closed.clone().and(answered.clone()),
                Expr::col(Alias::new("ended_at")).sub(Expr::col(Alias::new("first_reply_at"))),
            )
            .finally(0)
            .into(),
        ))
        .expr(Func::cast_as(
            Func::sum(Expr::case(closed.and(answered), 1).finally(0)),
            Alias::new("BIGINT"),
        ))
        .from(Alias::new("tickets"));
    scope_filter(&mut stmt, account, s);
    type Row = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let row: Option<Row> = fetch_optional(db, &stmt).await?;
    let Some((total, closed, w, wn, d, dn, m, mn)) = row else {
        return Ok(TicketFigures::default());
    };
    let closed = closed.unwrap_or(0);
    Ok(TicketFigures {
        total,
        open: total - closed,
        closed,
        waiting: (w.unwrap_or(0), wn.unwrap_or(0)),
        duration: (d.unwrap_or(0), dn.unwrap_or(0)),
        messaging: (m.unwrap_or(0), mn.unwrap_or(0)),
    })
}

/// Tickets of a period per UTC day (days since the Unix epoch), in one statement.
pub async fn tickets_per_day(db: &mut impl Exec, account: AccountId, s: &TicketScope) -> Result<Vec<(i64, i64)>> {
    let time = if s.by_close { "ended_at" } else { "started_at" };
    let day: SimpleExpr = Expr::col(Alias::new(time)).div(86_400_000_000i64);
    let mut stmt = Query::select();
    stmt.expr_as(day.clone(), Alias::new("day"))
        .expr(col("id").count())
        .from(Alias::new("tickets"))
        .group_by_col(Alias::new("day"))
        .order_by(Alias::new("day"), sea_query::Order::Asc);
    scope_filter(&mut stmt, account, s);
    Ok(fetch_all(db, &stmt).await?)
}

/// Messages exchanged with contacts in a period: (sent by the company, received), optionally
/// only those written by one user (sent) or in tickets of one department.
pub async fn messages(
    db: &mut impl Exec,
    account: AccountId,
    from: Timestamp,
    to: Timestamp,
    user: Option<UserId>,
) -> Result<(i64, i64)> {
    let mut stmt = Query::select();
    stmt.column(Alias::new("direction"))
        .expr(col("id").count())
        .from(Alias::new("messages"))
        .and_where(col("account_id").eq(account.0))
        .and_where(col("created_at").gte(from.micros()))
        .and_where(col("created_at").lte(to.micros()))
        .and_where(col("type").is_not_in(["note", "ticket_event"]))
        .group_by_col(Alias::new("direction"));
    if let Some(u) = user {
        stmt.and_where(col("user_id").eq(u.0).or(col("direction").eq("inbound")));
    }
    let rows: Vec<(String, i64)> = fetch_all(db, &stmt).await?;
    let count = |d: &str| rows.iter().find(|(x, _)| x == d).map_or(0, |(_, n)| *n);
    Ok((count("outbound"), count("inbound")))
}
