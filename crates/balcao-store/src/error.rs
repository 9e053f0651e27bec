use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique key already holds this value; `field` names the key as the API knows it.
    #[error("duplicate value for `{field}`")]
    Duplicate { field: &'static str },
    /// A stored value could not be turned back into a domain value.
    #[error("corrupt row in `{table}`: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error("invalid database url: {0}")]
    BadUrl(String),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Maps a unique-key violation to [`StoreError::Duplicate`] for `field`, leaving other
    /// errors as they are.
    /// Like [`StoreError::unique_as`] for tables with several unique keys: the key whose index
    /// name (PostgreSQL) or column list (SQLite's message) holds `needle` names the field.
    pub(crate) fn unique_among(err: sqlx::Error, keys: &[(&str, &'static str)]) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            let text = db.constraint().map_or_else(|| db.message().to_owned(), str::to_owned);
            if let Some((_, field)) = keys.iter().find(|(needle, _)| text.contains(needle)) {
                return StoreError::Duplicate { field };
            }
        }
        StoreError::Database(err)
    }

    pub(crate) fn unique_as(err: sqlx::Error, field: &'static str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate { field },
            _ => StoreError::Database(err),
        }
    }
}
