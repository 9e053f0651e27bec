//! Custom field definitions and their values (kept as normalised JSON text, so equal values
//! compare equal in searches).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use balcao_core::{AccountId, CustomField, CustomFieldId, CustomFieldType, FieldTarget, Timestamp};
use sea_query::{Expr, Iden, OnConflict, Order, Query};
use serde_json::Value;
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::{ArchivedFilter, Exec, Result, StoreError};

#[derive(Iden, Clone, Copy)]
pub(crate) enum CustomFields {
    Table,
    Id,
    AccountId,
    Name,
    Type,
    AppliesTo,
    Options,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum CustomFieldValues {
    Table,
    AccountId,
    FieldId,
    SubjectId,
    Value,
}

const COLUMNS: [CustomFields; 9] = [
    CustomFields::Id,
    CustomFields::AccountId,
    CustomFields::Name,
    CustomFields::Type,
    CustomFields::AppliesTo,
    CustomFields::Options,
    CustomFields::ArchivedAt,
    CustomFields::CreatedAt,
    CustomFields::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    #[sqlx(rename = "type")]
    kind: String,
    applies_to: String,
    options: String,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn corrupt(detail: String) -> StoreError {
    StoreError::Corrupt {
        table: "custom_fields",
        detail,
    }
}

impl TryFrom<FieldRow> for CustomField {
    type Error = StoreError;

    fn try_from(r: FieldRow) -> Result<Self> {
        Ok(CustomField {
            id: CustomFieldId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            kind: CustomFieldType::from_str(&r.kind).map_err(|()| corrupt(format!("type {}", r.kind)))?,
            applies_to: FieldTarget::from_str(&r.applies_to)
                .map_err(|()| corrupt(format!("applies_to {}", r.applies_to)))?,
            options: serde_json::from_str(&r.options).map_err(|e| corrupt(e.to_string()))?,
            archived_at: r.archived_at.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        })
    }
}

fn options_text(f: &CustomField) -> String {
    serde_json::to_string(&f.options).unwrap_or_else(|_| "[]".into())
}

pub async fn insert(db: &mut impl Exec, f: &CustomField) -> Result<()> {
    let stmt = Query::insert()
        .into_table(CustomFields::Table)
        .columns(COLUMNS)
        .values_panic([
            f.id.0.into(),
            f.account_id.0.into(),
            f.name.clone().into(),
            f.kind.as_str().into(),
            f.applies_to.as_str().into(),
            options_text(f).into(),
            f.archived_at.map(Timestamp::micros).into(),
            f.created_at.micros().into(),
            f.updated_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))?;
    Ok(())
}

pub async fn update(db: &mut impl Exec, f: &CustomField) -> Result<bool> {
    let stmt = Query::update()
        .table(CustomFields::Table)
        .values([
            (CustomFields::Name, f.name.clone().into()),
            (CustomFields::Options, options_text(f).into()),
            (CustomFields::ArchivedAt, f.archived_at.map(Timestamp::micros).into()),
            (CustomFields::UpdatedAt, f.updated_at.micros().into()),
        ])
        .and_where(Expr::col(CustomFields::AccountId).eq(f.account_id.0))
        .and_where(Expr::col(CustomFields::Id).eq(f.id.0))
        .to_owned();
    Ok(execute(db, &stmt).await.map_err(|e| StoreError::unique_as(e, "name"))? == 1)
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: CustomFieldId) -> Result<Option<CustomField>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(CustomFields::Table)
        .and_where(Expr::col(CustomFields::AccountId).eq(account.0))
        .and_where(Expr::col(CustomFields::Id).eq(id.0))
        .to_owned();
    let row: Option<FieldRow> = fetch_optional(db, &stmt).await?;
    row.map(CustomField::try_from).transpose()
}

/// The account's fields (few per account: no paging), oldest first.
pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    target: Option<FieldTarget>,
    archived: ArchivedFilter,
) -> Result<Vec<CustomField>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(CustomFields::Table)
        .and_where(Expr::col(CustomFields::AccountId).eq(account.0))
        .order_by(CustomFields::Id, Order::Asc);
    if let Some(target) = target {
        stmt.and_where(Expr::col(CustomFields::AppliesTo).eq(target.as_str()));
    }
    archived.apply(&mut stmt, CustomFields::ArchivedAt);
    let rows: Vec<FieldRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(CustomField::try_from).collect()
}

/// Sets (`Some`) or removes (`None`) values of one subject.
pub async fn set_values(
    db: &mut impl Exec,
    account: AccountId,
    subject: Uuid,
    values: &BTreeMap<CustomFieldId, Option<Value>>,
) -> Result<()> {
    let removed: Vec<Uuid> = values.iter().filter(|(_, v)| v.is_none()).map(|(f, _)| f.0).collect();
    if !removed.is_empty() {
        let stmt = Query::delete()
            .from_table(CustomFieldValues::Table)
            .and_where(Expr::col(CustomFieldValues::AccountId).eq(account.0))
            .and_where(Expr::col(CustomFieldValues::SubjectId).eq(subject))
            .and_where(Expr::col(CustomFieldValues::FieldId).is_in(removed))
            .to_owned();
        execute(db, &stmt).await?;
    }
    let set: Vec<(&CustomFieldId, &Value)> = values.iter().filter_map(|(f, v)| v.as_ref().map(|v| (f, v))).collect();
    if set.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table(CustomFieldValues::Table)
        .columns([
            CustomFieldValues::AccountId,
            CustomFieldValues::FieldId,
            CustomFieldValues::SubjectId,
            CustomFieldValues::Value,
        ])
        .on_conflict(
            OnConflict::columns([CustomFieldValues::SubjectId, CustomFieldValues::FieldId])
                .update_column(CustomFieldValues::Value)
                .to_owned(),
        );
    for (field, value) in set {
        stmt.values_panic([
            account.0.into(),
            field.0.into(),
            subject.into(),
            value.to_string().into(),
        ]);
    }
    execute(db, &stmt).await?;
    Ok(())
}

/// What [`with_ids_of`] answers: per subject, the ids it owns in a table and its custom values.
pub(crate) type IdsAndValues = (HashMap<Uuid, Vec<Uuid>>, HashMap<Uuid, BTreeMap<CustomFieldId, Value>>);

/// For each of `subjects`: the ids in `value_col` of the rows of `table` it owns (`owner_col`;
/// ascending), and its custom values — in one statement (a contact's tags, a ticket's closing
/// topics), since both are read whenever the records are.
pub(crate) async fn with_ids_of(
    db: &mut impl Exec,
    table: impl sea_query::IntoIden + 'static,
    (owner_col, value_col): (
        impl sea_query::IntoIden + Copy + 'static,
        impl sea_query::IntoIden + Copy + 'static,
    ),
    account: AccountId,
    subjects: &[Uuid],
) -> Result<IdsAndValues> {
    let (mut ids, mut values): IdsAndValues = (HashMap::new(), HashMap::new());
    if subjects.is_empty() {
        return Ok((ids, values));
    }
    let fields = Query::select()
        .columns([
            CustomFieldValues::SubjectId,
            CustomFieldValues::FieldId,
            CustomFieldValues::Value,
        ])
        .from(CustomFieldValues::Table)
        .and_where(Expr::col(CustomFieldValues::AccountId).eq(account.0))
        .and_where(Expr::col(CustomFieldValues::SubjectId).is_in(subjects.iter().copied()))
        .to_owned();
    // Owned ids come with no value; custom values always have one.
    let stmt = Query::select()
        .column(owner_col)
        .column(value_col)
        .expr(Expr::cust("NULL"))
        .from(table)
        .and_where(Expr::col(sea_query::Alias::new("account_id")).eq(account.0))
        .and_where(Expr::col(owner_col).is_in(subjects.iter().copied()))
        .union(sea_query::UnionType::All, fields)
        .to_owned();
    let rows: Vec<(Uuid, Uuid, Option<String>)> = fetch_all(db, &stmt).await?;
    for (subject, id, value) in rows {
        match value {
            None => ids.entry(subject).or_default().push(id),
            Some(value) => {
                let value = serde_json::from_str(&value).map_err(|e| StoreError::Corrupt {
                    table: "custom_field_values",
                    detail: e.to_string(),
                })?;
                values.entry(subject).or_default().insert(CustomFieldId(id), value);
            }
        }
    }
    for list in ids.values_mut() {
        list.sort_unstable();
    }
    Ok((ids, values))
}
