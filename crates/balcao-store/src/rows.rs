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

use std::io::Write as _;

use sea_query::{Iden, SimpleExpr, Value};
use sea_query_binder::SqlxValues;

use crate::BackendKind;
use crate::db::double_quoted;

/// How a column's values are carried in the JSON and turned back into the column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

    /// The PostgreSQL type `->>`'s text is cast to (text stays text).
    fn postgres_cast(self) -> Option<&'static str> {
        match self {
            Cell::Uuid => Some("uuid"),
            Cell::Text => None,
            Cell::Int => Some("integer"),
            Cell::BigInt => Some("bigint"),
            Cell::Bool => Some("boolean"),
        }
    }

    /// Element `index` of the row `j` as the column's type.
    fn sql(self, kind: BackendKind, index: usize) -> String {
        match (kind, self) {
            (BackendKind::Sqlite, Cell::Uuid) => format!("unhex(j.v->>{index})"),
            // ->> answers a JSON string as text, a number as an integer and true/false as 1/0,
            // as the columns hold them.
            (BackendKind::Sqlite, _) => format!("j.v->>{index}"),
            (BackendKind::Postgres, cell) => match cell.postgres_cast() {
                Some(cast) => format!("(j.e->>{index})::{cast}"),
                None => format!("j.e->>{index}"),
            },
        }
    }
}

/// Rows as one JSON array of arrays, and the type of each column.
#[derive(Clone)]
pub(crate) struct JsonRows {
    json: String,
    cells: Vec<Cell>,
    /// On SQLite, the columns whose text travels outside the JSON (see [`Long`]).
    long: Option<Long>,
}

/// Text columns carried beside the JSON on SQLite: long text (an event's whole subject as
/// JSON) cost more than anything else in the rows, escaped into the JSON here, then parsed,
/// written out again by `json_each` and unescaped by `->>` on SQLite's side. Instead the
/// texts of these columns are laid end to end in one bound blob (after a first byte of its
/// own); the row's element of such a column is where its text starts in the blob (1-based,
/// `null` for no text), and its length
/// is an element after the row's other values. SQLite cuts it out with `substr` (bytes, on a
/// blob) and reads the bytes as text.
#[derive(Clone)]
struct Long {
    /// The columns, by index, in order; the row's element `width + k` is column `columns[k]`'s
    /// length.
    columns: Vec<usize>,
    bytes: Vec<u8>,
}

impl JsonRows {
    /// Encodes `rows` (each the same number of plain values, in the same column order);
    /// `None` when a value is an expression or of a type this encoding does not carry, text
    /// holds a NUL character (SQLite's `->>` would cut it short there, PostgreSQL's `jsonb`
    /// refuses it), or a column's type differs between rows: the caller then writes the rows
    /// with a placeholder per value.
    pub(crate) fn encode<'a, R>(rows: impl IntoIterator<Item = R>) -> Option<JsonRows>
    where
        R: IntoIterator<Item = &'a SimpleExpr>,
    {
        Self::encode_beside(rows, &[])
    }

    /// [`JsonRows::encode`] for `kind`, the text of the columns `long` (indexes, in order)
    /// carried beside the JSON on SQLite ([`Long`]; PostgreSQL reads long text in place in its
    /// parsed `jsonb`, and ignores `long`). `None` also when such a column's values are not text.
    pub(crate) fn encode_with_long<'a, R>(
        kind: BackendKind,
        rows: impl IntoIterator<Item = R>,
        long: &[usize],
    ) -> Option<JsonRows>
    where
        R: IntoIterator<Item = &'a SimpleExpr>,
    {
        Self::encode_beside(rows, if kind == BackendKind::Sqlite { long } else { &[] })
    }

    /// The rows, the text of the columns `long` beside them.
    fn encode_beside<'a, R>(rows: impl IntoIterator<Item = R>, long: &[usize]) -> Option<JsonRows>
    where
        R: IntoIterator<Item = &'a SimpleExpr>,
    {
        let mut json: Vec<u8> = Vec::with_capacity(4096);
        let mut cells: Vec<Cell> = Vec::new();
        // One byte ahead of the texts: an empty blob would be bound as NULL (and its empty
        // texts read as none).
        let mut bytes: Vec<u8> = vec![0];
        let mut lengths: Vec<usize> = Vec::with_capacity(long.len());
        json.push(b'[');
        for (r, row) in rows.into_iter().enumerate() {
            if r > 0 {
                json.push(b',');
            }
            json.push(b'[');
            let mut width = 0;
            lengths.clear();
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
                    json.push(b',');
                }
                if long.contains(&c) {
                    let Value::String(text) = value else {
                        return None;
                    };
                    match text.as_deref() {
                        Some(t) => {
                            let t = carried(t)?;
                            let _ = write!(json, "{}", bytes.len() + 1);
                            bytes.extend_from_slice(t.as_bytes());
                            lengths.push(t.len());
                        }
                        None => {
                            json.extend_from_slice(b"null");
                            lengths.push(0);
                        }
                    }
                } else {
                    write_value(&mut json, value)?;
                }
                width += 1;
            }
            if width != cells.len() {
                return None;
            }
            for length in &lengths {
                let _ = write!(json, ",{length}");
            }
            json.push(b']');
        }
        json.push(b']');
        Some(JsonRows {
            json: String::from_utf8(json).ok()?,
            cells,
            long: (!long.is_empty()).then(|| Long {
                columns: long.to_vec(),
                bytes,
            }),
        })
    }

    /// The SQL of the row's value of column `index` as the column's type.
    fn cell_sql(&self, kind: BackendKind, index: usize) -> String {
        if let Some(long) = &self.long
            && let Some(k) = long.columns.iter().position(|c| *c == index)
        {
            return format!(
                "CAST(substr(j.b, j.v->>{index}, j.v->>{}) AS TEXT)",
                self.cells.len() + k
            );
        }
        self.cells[index].sql(kind, index)
    }

    /// The FROM clause unpacking the rows (see [`source`]).
    fn source(&self, kind: BackendKind) -> &'static str {
        source(kind, self.long.is_some())
    }

    /// `INSERT INTO table (columns) SELECT … FROM` the rows, and its one bound value; a
    /// `computed` column's value is its SQL made from the row's elements.
    pub(crate) fn into_insert<C: Iden>(
        self,
        kind: BackendKind,
        table: C,
        columns: &[C],
        computed: Option<crate::db::Computed<C>>,
    ) -> (std::sync::Arc<str>, SqlxValues) {
        let names = std::iter::once(&table)
            .chain(columns)
            .chain(computed.as_ref().map(|c| &c.0));
        let key = self.key(kind, "insert", names, computed.as_ref().map(|c| c.1 as usize));
        let sql = cached(key, || self.insert_sql(kind, table, columns, computed));
        (sql, self.bound(None))
    }

    fn insert_sql<C: Iden>(
        &self,
        kind: BackendKind,
        table: C,
        columns: &[C],
        computed: Option<crate::db::Computed<C>>,
    ) -> String {
        let mut names: Vec<String> = columns.iter().map(|c| double_quoted(&c.to_string())).collect();
        let mut cells: Vec<String> = (0..self.cells.len()).map(|i| self.cell_sql(kind, i)).collect();
        if let Some((column, expr)) = computed {
            names.push(double_quoted(&column.to_string()));
            cells.push(expr(&|i| self.cell_sql(kind, i)));
        }
        format!(
            "INSERT INTO {} ({}) SELECT {}{}",
            double_quoted(&table.to_string()),
            names.join(", "),
            cells.join(", "),
            self.source(kind)
        )
    }

    /// `UPDATE table SET column = … FROM` the rows `WHERE id =` the row's first element (a
    /// UUID) `AND account = account`, and its bound values; each row is its id then one value
    /// per column of `columns` (`None` when the rows are not that wide).
    pub(crate) fn into_update<C: Iden>(
        self,
        kind: BackendKind,
        (table, account_column, id_column): (C, C, C),
        account: uuid::Uuid,
        columns: &[C],
    ) -> Option<(std::sync::Arc<str>, SqlxValues)> {
        if self.width() != columns.len() + 1 {
            return None;
        }
        let names = [&table, &account_column, &id_column].into_iter().chain(columns);
        let key = self.key(kind, "update", names, None);
        let sql = cached(key, || {
            self.update_sql(kind, (table, account_column, id_column), columns)
        });
        Some((sql, self.bound(Some(account))))
    }

    fn update_sql<C: Iden>(
        &self,
        kind: BackendKind,
        (table, account_column, id_column): (C, C, C),
        columns: &[C],
    ) -> String {
        let table = double_quoted(&table.to_string());
        let (account_column, id) = (
            double_quoted(&account_column.to_string()),
            double_quoted(&id_column.to_string()),
        );
        let set: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = {}", double_quoted(&c.to_string()), self.cell_sql(kind, i + 1)))
            .collect();
        // The account filter must not look like a way in: with the account's index, SQLite
        // read every row of the account and searched the JSON for each (see
        // `crate::db::in_account`). PostgreSQL guesses a hundred rows for the JSON and joined
        // it by hash with every row of a table it had not analysed since it grew; the ids as
        // an array give it the key.
        let account_filter = match kind {
            BackendKind::Sqlite => format!("+{table}.{account_column} = ?"),
            BackendKind::Postgres => format!(
                "{table}.{id} = ANY(ARRAY(SELECT (k.e->>0)::uuid FROM jsonb_array_elements($1::jsonb) AS k(e))) \
                 AND {table}.{account_column} IS NOT DISTINCT FROM $2"
            ),
        };
        format!(
            "UPDATE {table} SET {}{} WHERE {table}.{id} = {} AND {account_filter}",
            set.join(", "),
            self.source(kind),
            self.cell_sql(kind, 0)
        )
    }

    /// What a statement's text depends on, hashed: the backend, the kind of statement, the
    /// names of its table and columns, the columns' types, the long columns, the computed
    /// column's SQL (its function).
    fn key<'c, C: Iden + 'c>(
        &self,
        kind: BackendKind,
        statement: &str,
        names: impl Iterator<Item = &'c C>,
        computed: Option<usize>,
    ) -> u64 {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::hash::DefaultHasher::new();
        (kind as u8, statement, &self.cells, computed).hash(&mut hasher);
        self.long.as_ref().map(|l| &l.columns).hash(&mut hasher);
        let mut writer = HashWriter(&mut hasher);
        for name in names {
            name.unquoted(&mut writer);
            writer.0.write_u8(0);
        }
        hasher.finish()
    }

    /// How many columns the rows have.
    fn width(&self) -> usize {
        self.cells.len()
    }

    /// The long columns' texts if any, the rows, then `second` if any: the statements' bound
    /// values, in order.
    fn bound(self, second: Option<uuid::Uuid>) -> SqlxValues {
        let mut values = Vec::with_capacity(3);
        values.extend(self.long.map(|l| Value::Bytes(Some(Box::new(l.bytes)))));
        values.push(Value::String(Some(Box::new(self.json))));
        values.extend(second.map(Value::from));
        SqlxValues(sea_query::Values(values))
    }
}

/// Feeds names written with `fmt::Write` to a hasher, without making strings of them.
struct HashWriter<'h>(&'h mut std::hash::DefaultHasher);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        std::hash::Hasher::write(self.0, s.as_bytes());
        Ok(())
    }
}

/// The texts of the statements made so far, by what they depend on ([`JsonRows::key`]): a
/// statement's text is written once per process, not at every group of rows (its names
/// quoted and joined, each column's SQL formatted).
fn cached(key: u64, make: impl FnOnce() -> String) -> std::sync::Arc<str> {
    static TEXTS: std::sync::LazyLock<std::sync::RwLock<std::collections::HashMap<u64, std::sync::Arc<str>>>> =
        std::sync::LazyLock::new(Default::default);
    if let Some(text) = TEXTS.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return text.clone();
    }
    let text: std::sync::Arc<str> = make().into();
    TEXTS
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_insert(text)
        .clone()
}

/// Each row once in the binary form of JSON, read in place by every `->>` of the row.
///
/// On SQLite `json_each` answers a row (an array) as text, anew at each use of its `value`:
/// with `->>` on `value` for each column, every row was written out as text once per column
/// and parsed again (found in SQLite's cache of parsed texts by comparing the whole text), the
/// greater part of the statement's time for rows with long text. The subquery answers each
/// row once as `jsonb`; its `LIMIT … OFFSET` keeps SQLite from folding it into the outer
/// query (which would bring back the `value` per column), so the rows stream through as they
/// are read rather than being stored first. (SQLite's `jsonb_each` is newer than the SQLite
/// sqlx builds.)
///
/// With long text beside the rows (SQLite only, [`Long`]), the subquery also answers its blob
/// as `j.b`, bound before the rows.
///
/// On PostgreSQL the rows are `jsonb`, parsed once: `->>` on `json` parses the element again
/// for every column.
fn source(kind: BackendKind, long_beside: bool) -> &'static str {
    match (kind, long_beside) {
        (BackendKind::Sqlite, false) => " FROM (SELECT jsonb(value) AS v FROM json_each(?) LIMIT -1 OFFSET 0) AS j",
        (BackendKind::Sqlite, true) => {
            " FROM (SELECT jsonb(value) AS v, ? AS b FROM json_each(?) LIMIT -1 OFFSET 0) AS j"
        }
        (BackendKind::Postgres, _) => " FROM jsonb_array_elements($1::jsonb) AS j(e)",
    }
}

/// `text` if the rows can carry it: not with a NUL character (SQLite's `->>` would cut it
/// short there, PostgreSQL's `jsonb` refuses it).
fn carried(text: &str) -> Option<&str> {
    (!text.contains('\0')).then_some(text)
}

/// Writes `value` as JSON; `None` for text holding a NUL character.
fn write_value(out: &mut Vec<u8>, value: &Value) -> Option<()> {
    // Writing to a Vec cannot fail.
    let _ = match value {
        Value::Uuid(Some(u)) => {
            let mut buf = uuid::Uuid::encode_buffer();
            write!(out, "\"{}\"", u.simple().encode_lower(&mut buf))
        }
        Value::String(Some(s)) => serde_json::to_writer(&mut *out, carried(s)?).map_err(std::io::Error::other),
        Value::Int(Some(n)) => write!(out, "{n}"),
        Value::BigInt(Some(n)) => write!(out, "{n}"),
        Value::Bool(Some(b)) => write!(out, "{b}"),
        _ => write!(out, "null"),
    };
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::Alias;

    fn names(list: &[&str]) -> Vec<Alias> {
        list.iter().map(|n| Alias::new(*n)).collect()
    }

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
            encoded
                .clone()
                .into_insert(
                    BackendKind::Sqlite,
                    Alias::new("t"),
                    &names(&["a", "b", "c", "d"]),
                    None
                )
                .0
                .as_ref(),
            "INSERT INTO \"t\" (\"a\", \"b\", \"c\", \"d\") SELECT unhex(j.v->>0), j.v->>1, j.v->>2, j.v->>3 \
             FROM (SELECT jsonb(value) AS v FROM json_each(?) LIMIT -1 OFFSET 0) AS j"
        );
        assert_eq!(
            encoded
                .into_update(
                    BackendKind::Postgres,
                    (Alias::new("t"), Alias::new("acc"), Alias::new("a")),
                    id,
                    &names(&["b", "c", "d"])
                )
                .expect("as wide as its columns")
                .0
                .as_ref(),
            "UPDATE \"t\" SET \"b\" = j.e->>1, \"c\" = (j.e->>2)::bigint, \"d\" = (j.e->>3)::boolean \
             FROM jsonb_array_elements($1::jsonb) AS j(e) WHERE \"t\".\"a\" = (j.e->>0)::uuid \
             AND \"t\".\"a\" = ANY(ARRAY(SELECT (k.e->>0)::uuid FROM jsonb_array_elements($1::jsonb) AS k(e))) \
             AND \"t\".\"acc\" IS NOT DISTINCT FROM $2"
        );
    }

    #[test]
    fn long_text_travels_beside_the_json_with_its_start_and_length() {
        let text = |t: Option<&str>| SimpleExpr::Value(Value::String(t.map(|t| Box::new(t.to_owned()))));
        let rows = [
            vec![SimpleExpr::Value(Value::BigInt(Some(1))), text(Some("aspas \" ç"))],
            vec![SimpleExpr::Value(Value::BigInt(Some(2))), text(None)],
            vec![SimpleExpr::Value(Value::BigInt(Some(3))), text(Some("fim"))],
        ];
        let encoded = JsonRows::encode_with_long(BackendKind::Sqlite, rows.iter(), &[1]).expect("plain values");
        // The long text's start in the blob (after its first byte), then its length last.
        assert_eq!(encoded.json, "[[1,2,10],[2,null,0],[3,12,3]]");
        let (sql, values) = encoded.into_insert(BackendKind::Sqlite, Alias::new("t"), &names(&["n", "l"]), None);
        assert_eq!(
            sql.as_ref(),
            "INSERT INTO \"t\" (\"n\", \"l\") SELECT j.v->>0, CAST(substr(j.b, j.v->>1, j.v->>2) AS TEXT) \
             FROM (SELECT jsonb(value) AS v, ? AS b FROM json_each(?) LIMIT -1 OFFSET 0) AS j"
        );
        let Some(Value::Bytes(Some(bytes))) = values.0.0.first() else {
            panic!("the texts are bound first, as a blob");
        };
        assert_eq!(bytes.as_slice(), "\0aspas \" çfim".as_bytes());
        let nul = [vec![text(Some("a\0b"))]];
        assert!(JsonRows::encode_with_long(BackendKind::Sqlite, nul.iter(), &[0]).is_none());
    }

    #[test]
    fn a_statement_text_is_made_once_and_told_apart_by_everything_it_depends_on() {
        let rows = [row(vec![
            Value::BigInt(Some(1)),
            Value::String(Some(Box::new("a".into()))),
        ])];
        let encoded = JsonRows::encode(rows.iter()).expect("plain values");
        let insert = |kind, table: &str, columns: &[&str]| {
            encoded
                .clone()
                .into_insert(kind, Alias::new(table), &names(columns), None)
                .0
        };
        let first = insert(BackendKind::Sqlite, "cache_probe", &["a", "b"]);
        let again = insert(BackendKind::Sqlite, "cache_probe", &["a", "b"]);
        assert!(std::sync::Arc::ptr_eq(&first, &again), "the text is made once");
        let others = [
            insert(BackendKind::Postgres, "cache_probe", &["a", "b"]),
            insert(BackendKind::Sqlite, "cache_probe_2", &["a", "b"]),
            insert(BackendKind::Sqlite, "cache_probe", &["a", "c"]),
            insert(BackendKind::Sqlite, "cache_probe", &["ab", ""]),
        ];
        for other in &others {
            assert_ne!(other.as_ref(), first.as_ref());
        }
        assert!(others[3].contains("(\"ab\", \"\")"), "{}", others[3]);
        let long = JsonRows::encode_with_long(BackendKind::Sqlite, rows.iter(), &[1]).expect("plain values");
        let with_long = long.into_insert(
            BackendKind::Sqlite,
            Alias::new("cache_probe"),
            &names(&["a", "b"]),
            None,
        );
        assert!(with_long.0.contains("substr"), "{}", with_long.0);
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
