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
    pub(crate) fn unique_as(err: sqlx::Error, field: &'static str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate { field }
            }
            _ => StoreError::Database(err),
        }
    }
}
