//! Compiles `balcao_core::query` conditions to SQL expressions with bound values. Field names
//! come from each resource's static whitelist, values are always bound.

use balcao_core::query::{Cond, FieldKind, Op, Relation, Value};
use sea_query::{Alias, Expr, Func, LikeExpr, SimpleExpr};

/// The fields of a resource a query may name, and their columns.
pub trait Fields: Copy {
    /// The column and what it holds; for a field of a related record (the name of a ticket's
    /// contact), the related table's column.
    fn column(self) -> (&'static str, FieldKind);

    /// The SQL that reads the field on a row of `table`: its column, or for a related
    /// record's field a correlated subquery (one row by primary key).
    fn expr(self, table: &'static str) -> SimpleExpr {
        own_column(table, self)
    }
}

/// `<table>.<column>` of a field kept on the row itself.
pub fn own_column<F: Fields>(table: &'static str, field: F) -> SimpleExpr {
    Expr::col((Alias::new(table), Alias::new(field.column().0))).into()
}

/// `(SELECT <column> FROM <related> WHERE <related>.id = <table>.<key>)`: a field of the
/// record a row refers to, for ordering or filtering by it.
pub fn related_column(
    table: &'static str,
    key: &'static str,
    related: &'static str,
    column: &'static str,
) -> SimpleExpr {
    let r = Alias::new(related);
    let sub = sea_query::Query::select()
        .column((r.clone(), Alias::new(column)))
        .from(r.clone())
        .and_where(Expr::col((r, Alias::new("id"))).equals((Alias::new(table), Alias::new(key))))
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(sub.into_sub_query_statement()))
}

fn bound(v: &Value) -> sea_query::Value {
    match v {
        Value::Null => sea_query::Value::String(None),
        Value::Id(u) => (*u).into(),
        Value::Text(t) => t.clone().into(),
        Value::Integer(i) => (*i).into(),
        Value::Boolean(b) => (*b).into(),
        Value::Time(t) => t.micros().into(),
        Value::List(_) => sea_query::Value::String(None),
    }
}

fn list(v: &Value) -> Vec<sea_query::Value> {
    match v {
        Value::List(items) => items.iter().map(bound).collect(),
        other => vec![bound(other)],
    }
}

/// `column op value` for one comparison.
pub fn compare(column: SimpleExpr, op: Op, value: &Value) -> SimpleExpr {
    let col = Expr::expr(column.clone());
    match (op, value) {
        (Op::Eq, Value::Null) => col.is_null(),
        (Op::Ne, Value::Null) => col.is_not_null(),
        (Op::Eq, v) => col.eq(bound(v)),
        (Op::Ne, v) => col.ne(bound(v)),
        (Op::In, v) => {
            let values = list(v);
            if values.is_empty() {
                Expr::cust("1 = 0")
            } else {
                col.is_in(values)
            }
        }
        (Op::NotIn, v) => {
            let values = list(v);
            if values.is_empty() {
                Expr::cust("1 = 1")
            } else {
                col.is_not_in(values)
            }
        }
        (Op::Gt, v) => col.gt(bound(v)),
        (Op::Gte, v) => col.gte(bound(v)),
        (Op::Lt, v) => col.lt(bound(v)),
        (Op::Lte, v) => col.lte(bound(v)),
        (Op::Between, Value::List(pair)) if pair.len() == 2 => col.between(bound(&pair[0]), bound(&pair[1])),
        (Op::Between, _) => Expr::cust("1 = 0"),
        (Op::Like | Op::NotLike | Op::ILike | Op::NotILike, v) => {
            let pattern = match v {
                Value::Text(t) => t.clone(),
                _ => String::new(),
            };
            let insensitive = matches!(op, Op::ILike | Op::NotILike);
            let (target, pattern) = if insensitive {
                (Expr::expr(Func::lower(column)), pattern.to_lowercase())
            } else {
                (col, pattern)
            };
            let like = LikeExpr::new(pattern);
            if matches!(op, Op::Like | Op::ILike) {
                target.like(like)
            } else {
                target.not_like(like)
            }
        }
    }
}

/// The SQL of a condition over `table`'s fields; `relation` compiles a condition on related
/// rows (an `EXISTS` subquery the resource knows how to write).
pub fn condition<F: Fields>(
    table: &'static str,
    cond: &Cond<F>,
    relation: &dyn Fn(&Relation) -> SimpleExpr,
) -> SimpleExpr {
    match cond {
        Cond::True => Expr::cust("1 = 1"),
        Cond::All(parts) => parts
            .iter()
            .map(|c| condition(table, c, relation))
            .reduce(SimpleExpr::and)
            .unwrap_or_else(|| Expr::cust("1 = 1")),
        Cond::Any(parts) => parts
            .iter()
            .map(|c| condition(table, c, relation))
            .reduce(SimpleExpr::or)
            .unwrap_or_else(|| Expr::cust("1 = 0")),
        Cond::Not(inner) => condition(table, inner, relation).not(),
        Cond::Cmp { field, op, value } => compare(field.expr(table), *op, value),
        Cond::Has(r) => relation(r),
    }
}

/// Runs a typed query on `table` (its `account_id` column scoping it): the page of rows (all
/// of `columns`, ordered by the query's keys then `id`) and how many rows match in all.
pub async fn page<F: Fields, C: sea_query::Iden + Copy + 'static, R: crate::db::AnyRow>(
    db: &mut impl crate::Exec,
    table: &'static str,
    columns: &[C],
    account: balcao_core::AccountId,
    q: &balcao_core::query::Query<F>,
    relation: &(dyn Fn(&Relation) -> SimpleExpr + Sync),
) -> crate::Result<(Vec<R>, u64)> {
    use sea_query::{Order, Query as Q};
    let t = Alias::new(table);
    let filter = condition(table, &q.cond, relation);
    // Every row has an id: counting rows lets a covering index answer alone.
    let count = Q::select()
        .expr(Expr::col(sea_query::Asterisk).count())
        .from(t.clone())
        .and_where(Expr::col((t.clone(), Alias::new("account_id"))).eq(account.0))
        .and_where(filter.clone())
        .to_owned();
    let total: Option<(i64,)> = crate::db::fetch_optional(db, &count).await?;
    let id = (t.clone(), Alias::new("id"));
    let order = |stmt: &mut sea_query::SelectStatement| {
        for (field, dir) in &q.order {
            let order = match dir {
                balcao_core::query::Direction::Asc => Order::Asc,
                balcao_core::query::Direction::Desc => Order::Desc,
            };
            stmt.order_by_expr(field.expr(table), order);
        }
        stmt.order_by(id.clone(), Order::Asc);
    };
    let mut page = Q::select();
    page.column(id.clone())
        .from(t.clone())
        .and_where(Expr::col((t.clone(), Alias::new("account_id"))).eq(account.0))
        .and_where(filter)
        .offset(q.offset)
        .limit(q.limit);
    let stmt = crate::db::page_rows(
        (t.clone(), id.clone()),
        columns.iter().map(|c| (t.clone(), *c)),
        page,
        order,
    );
    let rows: Vec<R> = crate::db::fetch_all(db, &stmt).await?;
    Ok((rows, total.map_or(0, |(n,)| u64::try_from(n).unwrap_or(0))))
}

/// A resource without relations to filter on.
pub fn no_relation(_: &Relation) -> SimpleExpr {
    Expr::cust("1 = 0")
}
