//! Many rows written by one statement whose text never changes: the rows travel as a single
//! bound value, a JSON array of arrays, which the statement unpacks (`json_each` on SQLite,
//! `jsonb_array_elements` on PostgreSQL).
//!
//! A statement with a placeholder per value has a different text for every number of rows,
//! so each group of inbound messages prepared (and PostgreSQL planned) its inserts and
//! updates anew, and their text and values were built expression by expression; an update of
//! many rows also needed a `CASE` with a branch per row, which both databases test branch by
//! branch for every row (quadratic in the rows). Here the text depends only on the table and
//! its columns, so the statement stays prepared, and the values are written straight into
//! one string.

use sea_query::{SimpleExpr, Value};
use std::fmt::Write as _;

use crate::BackendKind;

/// How a column's values are carried in the JSON and turned back into the column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    /// A UUID as 32 hexadecimal digits (a 16-byte blob on SQLite, `uuid` on PostgreSQL).
    Uuid,
    Text,
    Int,
    BigInt,
    Bool,
}

impl Cell {
    fn of(value: &Value) -> Option<Cell> {
        Some(match value {
            Value::Uuid(_) => Cell::Uuid,
            Value::String(_) => Cell::Text,
            Value::Int(_) => Cell::Int,
            Value::BigInt(_) => Cell::BigInt,
            Value::Bool(_) => Cell::Bool,
            _ => return None,
        })
    }

    /// Element `index` of the row `j` as the column's type.
    fn sql(self, kind: BackendKind, index: usize, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match (kind, self) {
            (BackendKind::Sqlite, Cell::Uuid) => write!(out, "unhex(j.value->>{index})"),
            // ->> answers a JSON string as text, a number as an integer and true/false as 1/0,
            // as the columns hold them.
            (BackendKind::Sqlite, _) => write!(out, "j.value->>{index}"),
            (BackendKind::Postgres, Cell::Text) => write!(out, "j.e->>{index}"),
            (BackendKind::Postgres, cell) => {
                let cast = match cell {
                    Cell::Uuid => "uuid",
                    Cell::Int => "integer",
                    Cell::BigInt => "bigint",
                    _ => "boolean",
                };
                write!(out, "(j.e->>{index})::{cast}")
            }
        };
    }
}

/// Rows as one JSON array of arrays, and the type of each column.
pub(crate) struct JsonRows {
    pub(crate) json: String,
    cells: Vec<Cell>,
}

impl JsonRows {
    /// Encodes `rows` (each the same number of plain values, in the same column order);
    /// `None` when a value is an expression or of a type this encoding does not carry, or a
    /// column's type differs between rows (the caller then writes the rows another way).
    pub(crate) fn encode<'a, R>(rows: impl IntoIterator<Item = R>) -> Option<JsonRows>
    where
        R: IntoIterator<Item = &'a SimpleExpr>,
    {
        let mut json = String::with_capacity(4096);
        let mut cells: Vec<Cell> = Vec::new();
        json.push('[');
        for (r, row) in rows.into_iter().enumerate() {
            if r > 0 {
                json.push(',');
            }
            json.push('[');
            let mut width = 0;
            for (c, expr) in row.into_iter().enumerate() {
                let SimpleExpr::Value(value) = expr else {
                    return None;
                };
                let cell = Cell::of(value)?;
                if r == 0 {
                    cells.push(cell);
                } else if cells.get(c) != Some(&cell) {
                    return None;
                }
                if c > 0 {
                    json.push(',');
                }
                if !write_value(&mut json, value) {
                    return None;
                }
                width += 1;
            }
            if width != cells.len() {
                return None;
            }
            json.push(']');
        }
        json.push(']');
        Some(JsonRows { json, cells })
    }

    /// `INSERT INTO table (columns) SELECT … FROM` the rows (bound as the first value).
    pub(crate) fn insert_sql(&self, kind: BackendKind, table: &str, columns: &[String]) -> String {
        let mut sql = format!("INSERT INTO {} (", quoted(table));
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&quoted(c));
        }
        sql.push_str(") SELECT ");
        for (i, cell) in self.cells.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            cell.sql(kind, i, &mut sql);
        }
        sql.push_str(source(kind));
        sql
    }

    /// `UPDATE table SET column = … FROM` the rows (bound as the first value) `WHERE id =` the
    /// row's first element (a UUID) `AND account = ` the second bound value. Each row is its
    /// id then one value per column of `columns`.
    pub(crate) fn update_sql(
        &self,
        kind: BackendKind,
        table: &str,
        (account, id): (&str, &str),
        columns: &[String],
    ) -> String {
        let table = quoted(table);
        let mut sql = format!("UPDATE {table} SET ");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&quoted(c));
            sql.push_str(" = ");
            self.cells[i + 1].sql(kind, i + 1, &mut sql);
        }
        sql.push_str(source(kind));
        let _ = write!(sql, " WHERE {table}.{} = ", quoted(id));
        self.cells[0].sql(kind, 0, &mut sql);
        // The account filter must not look like a way in: with the account's index, SQLite
        // read every row of the account and searched the JSON for each (see
        // `crate::db::in_account`).
        // PostgreSQL guesses a hundred rows for the JSON and joined it by hash with every row
        // of a table it had not analysed since it grew; the ids as an array give it the key.
        let account = quoted(account);
        let _ = match kind {
            BackendKind::Sqlite => write!(sql, " AND +{table}.{account} = ?"),
            BackendKind::Postgres => write!(
                sql,
                " AND {table}.{id} = ANY(ARRAY(SELECT (k.e->>0)::uuid FROM jsonb_array_elements($1::jsonb) AS k(e))) \
                 AND {table}.{account} IS NOT DISTINCT FROM $2",
                id = quoted(id)
            ),
        };
        sql
    }

    /// Whether the rows' columns are `width` wide (an id and the updated columns, say).
    pub(crate) fn width(&self) -> usize {
        self.cells.len()
    }
}

/// On PostgreSQL as `jsonb`, parsed once: `->>` on `json` parses the element again for every
/// column.
fn source(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Sqlite => " FROM json_each(?) AS j",
        BackendKind::Postgres => " FROM jsonb_array_elements($1::jsonb) AS j(e)",
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Writes `value` as JSON; `false` for text holding a NUL character, which SQLite's `->>`
/// would cut short there and PostgreSQL's `jsonb` refuses (such rows keep the statements with a
/// placeholder per value).
fn write_value(out: &mut String, value: &Value) -> bool {
    let _ = match value {
        Value::Uuid(Some(u)) => {
            let mut buf = uuid::Uuid::encode_buffer();
            write!(out, "\"{}\"", u.simple().encode_lower(&mut buf))
        }
        Value::String(Some(s)) => return json_string(out, s),
        Value::Int(Some(n)) => write!(out, "{n}"),
        Value::BigInt(Some(n)) => write!(out, "{n}"),
        Value::Bool(Some(b)) => write!(out, "{b}"),
        _ => write!(out, "null"),
    };
    true
}

/// `s` as a JSON string; `false` (and nothing meaningful written) when it holds a NUL.
fn json_string(out: &mut String, s: &str) -> bool {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0 => return false,
            1..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: Vec<Value>) -> Vec<SimpleExpr> {
        values.into_iter().map(SimpleExpr::Value).collect()
    }

    #[test]
    fn rows_become_one_json_array_that_parses_back_to_the_values() {
        let id = uuid::Uuid::now_v7();
        let text = "aspas \" barra \\ linha\nfim\u{1} e ção";
        let rows = [
            row(vec![
                Value::Uuid(Some(Box::new(id))),
                Value::String(Some(Box::new(text.into()))),
                Value::BigInt(Some(-5)),
                Value::Bool(Some(true)),
            ]),
            row(vec![
                Value::Uuid(None),
                Value::String(None),
                Value::BigInt(None),
                Value::Bool(Some(false)),
            ]),
        ];
        let encoded = JsonRows::encode(rows.iter()).expect("plain values");
        let parsed: serde_json::Value = serde_json::from_str(&encoded.json).expect("valid JSON");
        assert_eq!(
            parsed,
            serde_json::json!([[id.simple().to_string(), text, -5, true], [null, null, null, false]])
        );
        assert_eq!(encoded.width(), 4);
        assert_eq!(
            encoded.insert_sql(
                BackendKind::Sqlite,
                "t",
                &["a".into(), "b".into(), "c".into(), "d".into()]
            ),
            "INSERT INTO \"t\" (\"a\", \"b\", \"c\", \"d\") SELECT unhex(j.value->>0), j.value->>1, j.value->>2, \
             j.value->>3 FROM json_each(?) AS j"
        );
        assert_eq!(
            encoded.update_sql(
                BackendKind::Postgres,
                "t",
                ("acc", "a"),
                &["b".into(), "c".into(), "d".into()]
            ),
            "UPDATE \"t\" SET \"b\" = j.e->>1, \"c\" = (j.e->>2)::bigint, \"d\" = (j.e->>3)::boolean \
             FROM jsonb_array_elements($1::jsonb) AS j(e) WHERE \"t\".\"a\" = (j.e->>0)::uuid \
             AND \"t\".\"a\" = ANY(ARRAY(SELECT (k.e->>0)::uuid FROM jsonb_array_elements($1::jsonb) AS k(e))) \
             AND \"t\".\"acc\" IS NOT DISTINCT FROM $2"
        );
    }

    #[test]
    fn expressions_text_with_nul_and_columns_that_change_type_are_not_encoded() {
        let expr = [vec![SimpleExpr::Custom("now()".into())]];
        assert!(JsonRows::encode(expr.iter()).is_none());
        let mixed = [row(vec![Value::BigInt(Some(1))]), row(vec![Value::Int(Some(1))])];
        assert!(JsonRows::encode(mixed.iter()).is_none());
        let ragged = [row(vec![Value::BigInt(Some(1))]), row(vec![])];
        assert!(JsonRows::encode(ragged.iter()).is_none());
        let nul = [row(vec![Value::String(Some(Box::new("a\0b".into())))])];
        assert!(JsonRows::encode(nul.iter()).is_none());
    }
}
