//! Balcão's store: the only place that holds SQL.
//!
//! One code path serves SQLite (the embedded default) and PostgreSQL: statements are built once
//! with sea-query, rendered for the connected backend and executed by sqlx with bound values.
//! Every function that reads or changes tenant data takes the caller's [`AccountId`]; the only
//! lookups that cross accounts are the authentication ones (by login e-mail and by token hash),
//! which run before an account is known.
//!
//! [`AccountId`]: balcao_core::AccountId

mod db;
mod error;
mod rows;

pub mod accounts;
pub mod api_tokens;
pub mod connections;
pub mod contacts;
pub mod custom_fields;
pub mod departments;
pub mod directory;
pub mod group_members;
pub mod jobs;
pub mod media;
pub mod messages;
pub mod meta;
pub mod outbox;
pub mod query;
pub mod reusable;
pub mod sessions;
pub mod stats;
pub mod tags;
pub mod ticket_topics;
pub mod tickets;
pub mod users;
pub mod webhooks;

pub use db::{BackendKind, Exec, Pool, Store, StoreOptions, Tx, lookup_plans, redact_url, sqlite_plan_uses};
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One page of a keyset-paginated list, ordered by id (ids are time-ordered UUID v7) unless a
/// sort says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Id of the last item when more items follow (id-ordered lists).
    pub next_after: Option<uuid::Uuid>,
    /// Opaque position after the last item when more items follow (sorted lists).
    pub next_cursor: Option<String>,
}

/// A position in a sorted list: the sort value of the last row seen and its id (the tie-breaker).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub v: CursorValue,
    pub id: uuid::Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum CursorValue {
    Int(i64),
    Text(String),
}

impl Cursor {
    /// The cursor as an opaque URL-safe token.
    pub fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// A token made by [`Cursor::encode`]; `None` for anything else.
    pub fn decode(token: &str) -> Option<Cursor> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// Which rows of an archivable resource a list returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArchivedFilter {
    #[default]
    Active,
    Archived,
    All,
}

impl ArchivedFilter {
    /// Narrows `stmt` to the rows this filter keeps, by their `archived_at` column.
    pub(crate) fn apply(self, stmt: &mut sea_query::SelectStatement, archived_at: impl sea_query::IntoIden + 'static) {
        let column = sea_query::Expr::col(archived_at);
        match self {
            ArchivedFilter::Active => stmt.and_where(column.is_null()),
            ArchivedFilter::Archived => stmt.and_where(column.is_not_null()),
            ArchivedFilter::All => stmt,
        };
    }
}

/// Keyset page request: at most `limit` items with ids after `after` (id-ordered lists), or
/// past `cursor` (sorted lists).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<uuid::Uuid>,
    pub cursor: Option<Cursor>,
    pub limit: u32,
}
