//! Facts about the installation itself (not about any account).

use sea_query::{Expr, Iden, OnConflict, Query};

use crate::db::{execute, fetch_optional};
use crate::{Exec, Result};

#[derive(Iden)]
enum InstanceMeta {
    Table,
    Key,
    Value,
}

/// Records `key = value` unless the key is already set; answers whether this call set it.
/// Used as a once-only latch (e.g. bootstrap) that holds across processes.
pub async fn claim(db: &mut impl Exec, key: &str, value: &str) -> Result<bool> {
    let stmt = Query::insert()
        .into_table(InstanceMeta::Table)
        .columns([InstanceMeta::Key, InstanceMeta::Value])
        .values_panic([key.into(), value.into()])
        .on_conflict(OnConflict::column(InstanceMeta::Key).do_nothing().to_owned())
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// The value of `key`, if set.
pub async fn get(db: &mut impl Exec, key: &str) -> Result<Option<String>> {
    let stmt = Query::select()
        .column(InstanceMeta::Value)
        .from(InstanceMeta::Table)
        .and_where(Expr::col(InstanceMeta::Key).eq(key))
        .to_owned();
    let row: Option<(String,)> = fetch_optional(db, &stmt).await?;
    Ok(row.map(|(v,)| v))
}
