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

pub mod accounts;
pub mod api_tokens;
pub mod connections;
pub mod contacts;
pub mod custom_fields;
pub mod departments;
pub mod directory;
pub mod group_members;
pub mod media;
pub mod messages;
pub mod meta;
pub mod outbox;
pub mod reusable;
pub mod sessions;
pub mod tags;
pub mod ticket_topics;
pub mod tickets;
pub mod users;

pub use db::{BackendKind, Exec, Pool, Store, StoreOptions, Tx, redact_url};
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One page of a keyset-paginated list, ordered by id (ids are time-ordered UUID v7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Id of the last item when more items follow.
    pub next_after: Option<uuid::Uuid>,
}

/// Which rows of an archivable resource a list returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArchivedFilter {
    #[default]
    Active,
    Archived,
    All,
}

/// Keyset page request: at most `limit` items with ids after `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<uuid::Uuid>,
    pub limit: u32,
}
