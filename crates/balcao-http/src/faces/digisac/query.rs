//! Digisac's Sequelize-style query language, in both spellings (`?query=<JSON>` and bracket
//! parameters), parsed into `balcao_core::query` over a model's whitelisted fields. Anything
//! not on the whitelist — a field, a model, an operator — is refused by name (400); values are
//! coerced to their field's kind and always bound, never spliced into SQL.

use balcao_core::Timestamp;
use balcao_core::query::{Cond, Direction, FieldKind, Op, Query, Relation, Value as QValue};
use serde_json::{Map, Value};

use super::DigisacError;
use super::body::{brackets_to_json, strip_comments};

/// Default and largest page sizes.
pub const PER_PAGE_DEFAULT: u64 = 15;
pub const PER_PAGE_MAX: u64 = 100;
const MAX_DEPTH: usize = 10;
const MAX_NODES: usize = 500;
const MAX_LIST: usize = 1000;

/// A model's query surface.
pub struct Model<F: 'static> {
    pub name: &'static str,
    /// Digisac field names, the fields they are, and their kinds.
    pub fields: &'static [(&'static str, F, FieldKind)],
    /// Models that may be included, and for those that can filter (an `include` with a
    /// `where`), the relation's fields: (Digisac name, store name, kind).
    pub includes: &'static [(&'static str, Option<RelationSpec>)],
    /// The field `startPeriod` / `endPeriod` bound.
    pub period_field: Option<F>,
    /// Digisac fields that hold one value for every Balcão record (`isBroadcast` is always
    /// false): a condition on them is decided at once.
    pub constants: &'static [(&'static str, Constant)],
    /// Digisac fields whose values Balcão keeps differently (`isOpen: true` is a status other
    /// than resolved): the condition on them becomes one on Balcão's field.
    pub rewrite: fn(&str, &Value) -> Option<(&'static str, Value)>,
    /// Models included inside an included model that can filter the top records: (outer
    /// include, inner include, the inner relation's fields).
    pub nested: &'static [(&'static str, &'static str, RelationSpec)],
    /// Fields of included models the records can be ordered by: (include, Digisac field, the
    /// field it is).
    pub related_order: &'static [(&'static str, &'static str, F)],
}

/// For models without rewritten fields.
pub fn no_rewrite(_: &str, _: &Value) -> Option<(&'static str, Value)> {
    None
}

/// The fixed value of a constant field.
#[derive(Clone, Copy, Debug)]
pub enum Constant {
    Bool(bool),
    /// The caller's account id.
    Account,
}

/// A relation that filters: its store name and fields.
#[derive(Clone, Copy)]
pub struct RelationSpec {
    pub relation: &'static str,
    pub fields: &'static [(&'static str, &'static str, FieldKind)],
}

/// An `include` as asked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Include {
    pub model: String,
    pub attributes: Option<Vec<String>>,
    pub include: Vec<Include>,
}

/// A parsed list request.
#[derive(Clone, Debug)]
pub struct ListSpec<F> {
    pub query: Query<F>,
    pub includes: Vec<Include>,
    pub attributes: Option<Vec<String>>,
    pub page: u64,
    pub per_page: u64,
}

fn bad(message: impl Into<String>) -> DigisacError {
    DigisacError::bad_request(message)
}

/// The query parameters of a request as one JSON spec: bracket parameters, with `query=`'s
/// JSON laid over them.
pub fn spec_of(raw_query: Option<&str>) -> Result<Map<String, Value>, DigisacError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    if pairs.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(bad("a query parameter holds a NUL character"));
    }
    let (json, brackets): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| k == "query");
    let mut spec = match brackets_to_json(&brackets) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (_, text) in json {
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&strip_comments(&text)) {
            Ok(Value::Object(map)) => spec.extend(map),
            Ok(_) => return Err(bad("`query` must be a JSON object")),
            Err(e) => return Err(bad(format!("`query` is not valid JSON: {e}"))),
        }
    }
    Ok(spec)
}

/// Parses a list request for `model`.
pub fn parse_list<F: Copy>(
    model: &Model<F>,
    raw_query: Option<&str>,
    account: uuid::Uuid,
) -> Result<ListSpec<F>, DigisacError> {
    let spec = spec_of(raw_query)?;
    parse_spec(model, &spec, account)
}

/// Parses a request spec (from the query string or a body) for `model`.
pub fn parse_spec<F: Copy>(
    model: &Model<F>,
    spec: &Map<String, Value>,
    account: uuid::Uuid,
) -> Result<ListSpec<F>, DigisacError> {
    let mut budget = MAX_NODES;
    let mut cond = match spec.get("where") {
        None | Some(Value::Null) => Cond::True,
        Some(w) => parse_where(model, w, 0, &mut budget, account)?,
    };
    let includes = match spec.get("include") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => {
            let (includes, relation_conds) = parse_includes(model, v)?;
            for c in relation_conds {
                cond = cond.and(c);
            }
            includes
        }
    };
    if let Some(field) = model.period_field {
        for (key, op) in [("startPeriod", Op::Gte), ("endPeriod", Op::Lte)] {
            if let Some(v) = spec.get(key).filter(|v| !v.is_null() && v.as_str() != Some("")) {
                let value = coerce(key, FieldKind::Time, v)?;
                cond = cond.and(Cond::Cmp { field, op, value });
            }
        }
    }
    let order = match spec.get("order") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => parse_order(model, v)?,
    };
    let attributes = match spec.get("attributes") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()),
        Some(_) => return Err(bad("`attributes` must be a list of field names")),
    };
    let page = number(spec.get("page"), "page")?.unwrap_or(1).max(1);
    let per_page = number(spec.get("perPage"), "perPage")?
        .unwrap_or(PER_PAGE_DEFAULT)
        .clamp(1, PER_PAGE_MAX);
    let offset = (page - 1).saturating_mul(per_page);
    Ok(ListSpec {
        query: Query {
            cond,
            order,
            offset,
            limit: per_page,
        },
        includes,
        attributes,
        page,
        per_page,
    })
}

fn number(v: Option<&Value>, name: &str) -> Result<Option<u64>, DigisacError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad(format!("`{name}` must be a positive integer"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("`{name}` must be a positive integer"))),
        Some(_) => Err(bad(format!("`{name}` must be a positive integer"))),
    }
}

fn field_of<F: Copy>(model: &Model<F>, name: &str) -> Result<(F, FieldKind), DigisacError> {
    model
        .fields
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, f, k)| (*f, *k))
        .ok_or_else(|| bad(format!("unknown field `{name}` of {}", model.name)))
}

/// Whether a condition on a constant field holds.
fn decide(name: &str, constant: Constant, v: &Value, account: uuid::Uuid) -> Result<bool, DigisacError> {
    let actual = match constant {
        Constant::Bool(b) => Value::Bool(b),
        Constant::Account => Value::String(account.to_string()),
    };
    let same = |x: &Value| match (x, &actual) {
        (Value::String(s), Value::Bool(b)) => s == &b.to_string(),
        (x, a) => x == a,
    };
    match v {
        Value::Object(ops) => {
            let mut all = true;
            for (op, operand) in ops {
                all &= match op.as_str() {
                    "$eq" => same(operand),
                    "$ne" => !same(operand),
                    "$in" => operand.as_array().is_some_and(|a| a.iter().any(same)),
                    "$notIn" => operand.as_array().is_none_or(|a| !a.iter().any(same)),
                    other => return Err(bad(format!("operator `{other}` is not supported on `{name}`"))),
                };
            }
            Ok(all)
        }
        Value::Array(items) => Ok(items.iter().any(same)),
        scalar => Ok(same(scalar)),
    }
}

fn parse_where<F: Copy>(
    model: &Model<F>,
    v: &Value,
    depth: usize,
    budget: &mut usize,
    account: uuid::Uuid,
) -> Result<Cond<F>, DigisacError> {
    if depth > MAX_DEPTH {
        return Err(bad(format!("`where` nests deeper than {MAX_DEPTH} levels")));
    }
    let Value::Object(map) = v else {
        return Err(bad("`where` must be an object"));
    };
    let mut parts = Vec::new();
    for (key, value) in map {
        *budget = budget
            .checked_sub(1)
            .ok_or_else(|| bad("`where` has too many conditions"))?;
        let part = match key.as_str() {
            "$and" | "$or" => {
                let items: Vec<&Value> = match value {
                    Value::Array(a) => a.iter().collect(),
                    Value::Object(m) => m.iter().map(|(_, v)| v).collect(),
                    _ => return Err(bad(format!("`{key}` takes a list of conditions"))),
                };
                let conds = items
                    .into_iter()
                    .map(|c| parse_where(model, c, depth + 1, budget, account))
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "$and" {
                    Cond::All(conds)
                } else {
                    Cond::Any(conds)
                }
            }
            "$not" => Cond::Not(Box::new(parse_where(model, value, depth + 1, budget, account)?)),
            k if k.starts_with('$') => return Err(bad(format!("unknown operator `{k}`"))),
            k if model.constants.iter().any(|(n, _)| *n == k) => {
                let constant = model.constants.iter().find(|(n, _)| *n == k).map(|(_, c)| *c);
                let holds = match constant {
                    Some(c) => decide(k, c, value, account)?,
                    None => true,
                };
                if holds {
                    Cond::True
                } else {
                    Cond::Not(Box::new(Cond::True))
                }
            }
            field => match (model.rewrite)(field, value) {
                Some((target, rewritten)) => {
                    let (f, kind) = field_of(model, target)?;
                    parse_field(field, f, kind, &rewritten, depth, budget)?
                }
                None => {
                    let (f, kind) = field_of(model, field)?;
                    parse_field(field, f, kind, value, depth, budget)?
                }
            },
        };
        parts.push(part);
    }
    Ok(match parts.len() {
        0 => Cond::True,
        1 => parts.pop().unwrap_or(Cond::True),
        _ => Cond::All(parts),
    })
}

fn operator(name: &str) -> Option<Op> {
    Some(match name {
        "$eq" => Op::Eq,
        "$ne" => Op::Ne,
        "$in" => Op::In,
        "$notIn" => Op::NotIn,
        "$gt" => Op::Gt,
        "$gte" => Op::Gte,
        "$lt" => Op::Lt,
        "$lte" => Op::Lte,
        "$like" => Op::Like,
        "$notLike" => Op::NotLike,
        "$iLike" => Op::ILike,
        "$notILike" => Op::NotILike,
        "$between" => Op::Between,
        _ => return None,
    })
}

fn parse_field<F: Copy>(
    name: &str,
    field: F,
    kind: FieldKind,
    v: &Value,
    depth: usize,
    budget: &mut usize,
) -> Result<Cond<F>, DigisacError> {
    if depth > MAX_DEPTH {
        return Err(bad(format!("`where` nests deeper than {MAX_DEPTH} levels")));
    }
    match v {
        Value::Object(ops) => {
            let mut parts = Vec::new();
            for (op_name, operand) in ops {
                *budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| bad("`where` has too many conditions"))?;
                if op_name == "$not" {
                    let inner = parse_field(name, field, kind, operand, depth + 1, budget)?;
                    parts.push(Cond::Not(Box::new(inner)));
                    continue;
                }
                if op_name == "$or" || op_name == "$and" {
                    let items = operand
                        .as_array()
                        .ok_or_else(|| bad(format!("`{op_name}` takes a list")))?;
                    let conds = items
                        .iter()
                        .map(|i| parse_field(name, field, kind, i, depth + 1, budget))
                        .collect::<Result<Vec<_>, _>>()?;
                    parts.push(if op_name == "$or" {
                        Cond::Any(conds)
                    } else {
                        Cond::All(conds)
                    });
                    continue;
                }
                let op = operator(op_name).ok_or_else(|| bad(format!("unknown operator `{op_name}` on `{name}`")))?;
                let value = match op {
                    Op::In | Op::NotIn | Op::Between => {
                        let items = match operand {
                            Value::Array(a) => a.clone(),
                            Value::String(s) if op != Op::Between => {
                                s.split(',').map(|p| Value::String(p.trim().to_owned())).collect()
                            }
                            _ => return Err(bad(format!("`{op_name}` on `{name}` takes a list"))),
                        };
                        if items.len() > MAX_LIST {
                            return Err(bad(format!(
                                "`{op_name}` on `{name}` lists more than {MAX_LIST} values"
                            )));
                        }
                        if op == Op::Between && items.len() != 2 {
                            return Err(bad(format!("`$between` on `{name}` takes two values")));
                        }
                        QValue::List(items.iter().map(|i| coerce(name, kind, i)).collect::<Result<_, _>>()?)
                    }
                    Op::Like | Op::NotLike | Op::ILike | Op::NotILike => match operand {
                        Value::String(s) if s.contains('\0') => {
                            return Err(bad(format!("`{name}` holds a NUL character")));
                        }
                        Value::String(s) => QValue::Text(s.clone()),
                        Value::Number(n) => QValue::Text(n.to_string()),
                        _ => return Err(bad(format!("`{op_name}` on `{name}` takes a text pattern"))),
                    },
                    _ => coerce(name, kind, operand)?,
                };
                if matches!(op, Op::Like | Op::NotLike | Op::ILike | Op::NotILike) && kind != FieldKind::Text {
                    return Err(bad(format!("`{op_name}` applies to text fields; `{name}` is not one")));
                }
                parts.push(Cond::Cmp { field, op, value });
            }
            Ok(match parts.len() {
                1 => parts.pop().unwrap_or(Cond::True),
                _ => Cond::All(parts),
            })
        }
        Value::Array(items) => {
            if items.len() > MAX_LIST {
                return Err(bad(format!("`{name}` lists more than {MAX_LIST} values")));
            }
            let values = items.iter().map(|i| coerce(name, kind, i)).collect::<Result<_, _>>()?;
            Ok(Cond::Cmp {
                field,
                op: Op::In,
                value: QValue::List(values),
            })
        }
        scalar => Ok(Cond::Cmp {
            field,
            op: Op::Eq,
            value: coerce(name, kind, scalar)?,
        }),
    }
}

/// A JSON value as a value of `kind` (strings from bracket parameters included).
pub fn coerce(name: &str, kind: FieldKind, v: &Value) -> Result<QValue, DigisacError> {
    let wrong = |what: &str| bad(format!("`{name}` takes {what}"));
    if v.is_null() || v.as_str() == Some("null") && kind != FieldKind::Text {
        return Ok(QValue::Null);
    }
    if v.as_str().is_some_and(|s| s.contains('\0')) {
        return Err(bad(format!("`{name}` holds a NUL character")));
    }
    Ok(match kind {
        FieldKind::Id => match v.as_str().map(|s| uuid::Uuid::parse_str(s.trim())) {
            Some(Ok(id)) => QValue::Id(id),
            _ => return Err(wrong("an id (UUID)")),
        },
        FieldKind::Text => match v {
            Value::String(s) => QValue::Text(s.clone()),
            Value::Number(n) => QValue::Text(n.to_string()),
            Value::Bool(b) => QValue::Text(b.to_string()),
            _ => return Err(wrong("a text")),
        },
        FieldKind::Integer => match v {
            Value::Number(n) => QValue::Integer(n.as_i64().ok_or_else(|| wrong("an integer"))?),
            Value::String(s) => QValue::Integer(s.trim().parse().map_err(|_| wrong("an integer"))?),
            _ => return Err(wrong("an integer")),
        },
        FieldKind::Boolean => match v {
            Value::Bool(b) => QValue::Boolean(*b),
            Value::String(s) => match s.trim() {
                "true" | "1" => QValue::Boolean(true),
                "false" | "0" => QValue::Boolean(false),
                _ => return Err(wrong("true or false")),
            },
            Value::Number(n) => QValue::Boolean(n.as_i64() == Some(1)),
            _ => return Err(wrong("true or false")),
        },
        FieldKind::Time => match v {
            Value::String(s) => QValue::Time(
                Timestamp::parse_rfc3339(s.trim())
                    .or_else(|| parse_date(s.trim()))
                    .ok_or_else(|| wrong("a date-time (ISO 8601)"))?,
            ),
            Value::Number(n) => QValue::Time(Timestamp::from_micros(
                n.as_i64().ok_or_else(|| wrong("a date-time"))?.saturating_mul(1000),
            )),
            _ => return Err(wrong("a date-time (ISO 8601)")),
        },
    })
}

/// `YYYY-MM-DD` as the start of that day (UTC).
fn parse_date(s: &str) -> Option<Timestamp> {
    if s.len() == 10 {
        Timestamp::parse_rfc3339(&format!("{s}T00:00:00Z"))
    } else {
        None
    }
}

/// An `include` as a list: a list as it is, anything else as a list of one.
fn one_or_many(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    }
}

fn parse_includes<F: Copy>(model: &Model<F>, v: &Value) -> Result<(Vec<Include>, Vec<Cond<F>>), DigisacError> {
    let items = one_or_many(v);
    let mut includes = Vec::new();
    let mut conds = Vec::new();
    for item in items {
        let (name, obj) = match item {
            Value::String(s) => (s.as_str(), None),
            Value::Object(o) => (
                o.get("model")
                    .or(o.get("association"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("an `include` names its `model`"))?,
                Some(o),
            ),
            _ => return Err(bad("an `include` is a model name or an object")),
        };
        let Some((_, relation)) = model.includes.iter().find(|(m, _)| *m == name) else {
            return Err(bad(format!("unknown model `{name}` in `include` of {}", model.name)));
        };
        let mut include = Include {
            model: name.to_owned(),
            ..Include::default()
        };
        if let Some(o) = obj {
            if let Some(Value::Array(a)) = o.get("attributes") {
                include.attributes = Some(a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect());
            }
            if let Some(nested) = o.get("include") {
                include.include = nested_includes(nested)?;
                conds.extend(nested_conditions(model, name, nested)?);
            }
            if let Some(w) = o.get("where").filter(|w| w.as_object().is_some_and(|m| !m.is_empty())) {
                let spec = relation.ok_or_else(|| bad(format!("filtering on included `{name}` is not supported")))?;
                // Sequelize: an include with a `where` is required (an inner join) unless told otherwise.
                let required = o
                    .get("required")
                    .is_none_or(|r| r.as_bool() != Some(false) && r.as_str() != Some("false"));
                let relation_cond = relation_where(name, spec, w)?;
                if required {
                    conds.push(relation_cond);
                }
            } else if o
                .get("required")
                .is_some_and(|r| r.as_bool() == Some(true) || r.as_str() == Some("true"))
                && let Some(spec) = relation
            {
                conds.push(Cond::Has(Relation {
                    name: spec.relation,
                    conds: Vec::new(),
                }));
            }
        }
        includes.push(include);
    }
    Ok((includes, conds))
}

/// The conditions of `where`s inside the includes of the included `outer`: a nested include
/// the model lists in `nested` filters the top records (a `where` makes the chain of includes
/// required, unless the inner include says `required: false`); any other nested `where` is
/// refused rather than ignored.
fn nested_conditions<F>(model: &Model<F>, outer: &str, v: &Value) -> Result<Vec<Cond<F>>, DigisacError> {
    let items = one_or_many(v);
    let mut conds = Vec::new();
    for item in items {
        let Value::Object(o) = item else { continue };
        let inner = o.get("model").and_then(Value::as_str).unwrap_or_default();
        if let Some(deeper) = o.get("include")
            && has_where(deeper)
        {
            return Err(bad(format!(
                "filtering inside includes of `{inner}` (three levels deep) is not supported"
            )));
        }
        let Some(w) = o.get("where").filter(|w| w.as_object().is_some_and(|m| !m.is_empty())) else {
            continue;
        };
        let Some((_, _, spec)) = model.nested.iter().find(|(a, b, _)| *a == outer && *b == inner) else {
            return Err(bad(format!(
                "filtering on `{inner}` included in `{outer}` is not supported"
            )));
        };
        let optional = o
            .get("required")
            .is_some_and(|r| r.as_bool() == Some(false) || r.as_str() == Some("false"));
        if !optional {
            conds.push(relation_where(inner, *spec, w)?);
        }
    }
    Ok(conds)
}

/// Whether any include in `v` (at any depth) has a `where`.
fn has_where(v: &Value) -> bool {
    let items = one_or_many(v);
    items.iter().any(|i| {
        i.get("where")
            .is_some_and(|w| w.as_object().is_some_and(|m| !m.is_empty()))
            || i.get("include").is_some_and(has_where)
    })
}

/// Nested includes as asked, for rendering; their `where`s are read by [`nested_conditions`].
fn nested_includes(v: &Value) -> Result<Vec<Include>, DigisacError> {
    let items = one_or_many(v);
    items
        .iter()
        .map(|i| match i {
            Value::String(s) => Ok(Include {
                model: s.clone(),
                ..Include::default()
            }),
            Value::Object(o) => Ok(Include {
                model: o.get("model").and_then(Value::as_str).unwrap_or_default().to_owned(),
                attributes: o
                    .get("attributes")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()),
                include: match o.get("include") {
                    Some(n) => nested_includes(n)?,
                    None => Vec::new(),
                },
            }),
            _ => Err(bad("an `include` is a model name or an object")),
        })
        .collect()
}

fn relation_where<F>(name: &str, spec: RelationSpec, w: &Value) -> Result<Cond<F>, DigisacError> {
    let Value::Object(map) = w else {
        return Err(bad(format!("`where` of included `{name}` must be an object")));
    };
    let mut conds = Vec::new();
    for (field, value) in map {
        if field == "$or" {
            conds.push(alternatives(name, spec, value)?);
            continue;
        }
        let Some((_, store_name, kind)) = spec.fields.iter().find(|(n, _, _)| n == field) else {
            return Err(bad(format!("unknown field `{field}` of included `{name}`")));
        };
        let (op, operand) = match value {
            Value::Object(ops) if ops.len() == 1 => {
                let (op_name, operand) = ops.iter().next().ok_or_else(|| bad("empty condition"))?;
                (
                    operator(op_name).ok_or_else(|| bad(format!("unknown operator `{op_name}` on `{field}`")))?,
                    operand,
                )
            }
            Value::Array(_) => (Op::In, value),
            other => (Op::Eq, other),
        };
        let value = match (op, operand) {
            (Op::In | Op::NotIn, Value::Array(items)) if items.len() <= MAX_LIST => QValue::List(
                items
                    .iter()
                    .map(|i| coerce(field, *kind, i))
                    .collect::<Result<_, _>>()?,
            ),
            (Op::Like | Op::ILike | Op::NotLike | Op::NotILike, Value::String(s)) => QValue::Text(s.clone()),
            (_, v) => coerce(field, *kind, v)?,
        };
        conds.push((*store_name, op, value));
    }
    Ok(Cond::Has(Relation {
        name: spec.relation,
        conds,
    }))
}

/// `$or` inside an included model's `where`: alternatives that each set the same field
/// (`[{"name": "a"}, {"name": "b"}]`) are that field among those values.
fn alternatives(name: &str, spec: RelationSpec, v: &Value) -> Result<(&'static str, Op, QValue), DigisacError> {
    let unsupported = || {
        bad(format!(
            "`$or` in the `where` of included `{name}` lists alternatives of one field: [{{\"field\": value}}, ...]"
        ))
    };
    let Value::Array(items) = v else {
        return Err(unsupported());
    };
    if items.is_empty() || items.len() > MAX_LIST {
        return Err(unsupported());
    }
    let mut field: Option<&str> = None;
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        let Some((f, value)) = item.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) else {
            return Err(unsupported());
        };
        if field.is_some_and(|seen| seen != f) || value.is_object() || value.is_array() {
            return Err(unsupported());
        }
        field = Some(f);
        values.push(value);
    }
    let f = field.ok_or_else(unsupported)?;
    let Some((_, store_name, kind)) = spec.fields.iter().find(|(n, _, _)| *n == f) else {
        return Err(bad(format!("unknown field `{f}` of included `{name}`")));
    };
    let list = values
        .into_iter()
        .map(|v| coerce(f, *kind, v))
        .collect::<Result<_, _>>()?;
    Ok((store_name, Op::In, QValue::List(list)))
}

fn parse_order<F: Copy>(model: &Model<F>, v: &Value) -> Result<Vec<(F, Direction)>, DigisacError> {
    let items: Vec<Value> = match v {
        Value::Array(a) if a.iter().all(Value::is_string) && a.len() == 2 && is_direction(&a[1]) => vec![v.clone()],
        Value::Array(a) => a.clone(),
        Value::String(_) => vec![v.clone()],
        _ => return Err(bad("`order` is a list of [field, direction] pairs")),
    };
    let mut out = Vec::new();
    for item in items.iter().take(5) {
        let (name, dir) = match item {
            Value::String(s) => (s.as_str(), Direction::Asc),
            Value::Array(pair) => match pair.as_slice() {
                [Value::String(f)] => (f.as_str(), Direction::Asc),
                [Value::String(f), d] if is_direction(d) => (f.as_str(), direction(d)),
                [Value::String(m), Value::String(f), rest @ ..] if rest.len() <= 1 && rest.iter().all(is_direction) => {
                    let Some((_, _, field)) = model.related_order.iter().find(|(i, n, _)| i == m && n == f) else {
                        return Err(bad(format!(
                            "ordering by `{f}` of included `{m}` is not supported for {}",
                            model.name
                        )));
                    };
                    out.push((*field, rest.first().map_or(Direction::Asc, direction)));
                    continue;
                }
                [Value::String(m), ..] => {
                    return Err(bad(format!(
                        "`order` entry starting with `{m}` is not a [field, direction] pair"
                    )));
                }
                _ => return Err(bad("`order` is a list of [field, direction] pairs")),
            },
            _ => return Err(bad("`order` is a list of [field, direction] pairs")),
        };
        let (field, _) = field_of(model, name)?;
        out.push((field, dir));
    }
    Ok(out)
}

fn is_direction(v: &Value) -> bool {
    v.as_str().is_some_and(|d| {
        matches!(
            d.to_ascii_uppercase().as_str(),
            "ASC" | "DESC" | "ASC NULLS LAST" | "DESC NULLS LAST" | "ASC NULLS FIRST" | "DESC NULLS FIRST"
        )
    })
}

fn direction(v: &Value) -> Direction {
    if v.as_str().is_some_and(|d| d.to_ascii_uppercase().starts_with("DESC")) {
        Direction::Desc
    } else {
        Direction::Asc
    }
}
