//! A small typed query model: conditions over a resource's whitelisted fields, which faces
//! build from their vendors' filter languages and the store compiles to SQL with bound values.
//! Nothing a client sends becomes SQL text: fields are enums, values are bound.

use crate::Timestamp;

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    /// SQL `LIKE` pattern (`%`, `_`), case-sensitive.
    Like,
    NotLike,
    /// `LIKE`, ignoring case.
    ILike,
    NotILike,
    /// Inclusive range: a two-value list.
    Between,
}

/// What a field holds, which decides the values it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Id,
    Text,
    Integer,
    Boolean,
    Time,
}

/// A value of a condition, already of its field's kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Id(uuid::Uuid),
    Text(String),
    Integer(i64),
    Boolean(bool),
    Time(Timestamp),
    List(Vec<Value>),
}

/// A condition over the fields `F` of one resource.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond<F> {
    All(Vec<Cond<F>>),
    Any(Vec<Cond<F>>),
    Not(Box<Cond<F>>),
    Cmp {
        field: F,
        op: Op,
        value: Value,
    },
    /// Related rows exist (or, negated with `Not`, do not): a relation's own condition.
    Has(Relation),
    /// Always true (an empty filter).
    True,
}

/// A condition on rows related to the resource (tags of a contact, messages of a ticket, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Relation {
    /// The relation, named by the store's resource (`"tags"`, ...).
    pub name: &'static str,
    /// Conditions on the related rows' fields, as (field name, op, value) of that relation.
    pub conds: Vec<(&'static str, Op, Value)>,
}

/// Sort direction of an order key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// A query over a resource: which rows, in which order, which page (by offset).
#[derive(Clone, Debug, PartialEq)]
pub struct Query<F> {
    pub cond: Cond<F>,
    pub order: Vec<(F, Direction)>,
    pub offset: u64,
    pub limit: u64,
}

impl<F> Cond<F> {
    /// `self AND other`, flattening.
    pub fn and(self, other: Cond<F>) -> Cond<F> {
        match (self, other) {
            (Cond::True, c) | (c, Cond::True) => c,
            (Cond::All(mut a), Cond::All(b)) => {
                a.extend(b);
                Cond::All(a)
            }
            (Cond::All(mut a), c) | (c, Cond::All(mut a)) => {
                a.push(c);
                Cond::All(a)
            }
            (a, b) => Cond::All(vec![a, b]),
        }
    }
}
