//! Tags and which contacts carry them.

use std::collections::HashMap;

use balcao_core::{AccountId, ContactId, DepartmentId, Tag, TagId, Timestamp};
use sea_query::{Expr, Iden, OnConflict, Order, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::users::paginate;
use crate::{Exec, Page, PageRequest, Result, StoreError};

#[derive(Iden)]
pub(crate) enum Tags {
    Table,
    Id,
    AccountId,
    Label,
    Color,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
enum TagDepartments {
    Table,
    AccountId,
    TagId,
    DepartmentId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ContactTags {
    Table,
    AccountId,
    ContactId,
    TagId,
}

const COLUMNS: [Tags; 6] = [
    Tags::Id,
    Tags::AccountId,
    Tags::Label,
    Tags::Color,
    Tags::CreatedAt,
    Tags::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct TagRow {
    id: Uuid,
    account_id: Uuid,
    label: String,
    color: String,
    created_at: i64,
    updated_at: i64,
}

impl TagRow {
    fn into_tag(self, department_ids: Vec<DepartmentId>) -> Tag {
        Tag {
            id: TagId(self.id),
            account_id: AccountId(self.account_id),
            label: self.label,
            color: self.color,
            department_ids,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
        }
    }
}

pub async fn insert(db: &mut impl Exec, t: &Tag) -> Result<()> {
    let stmt = Query::insert()
        .into_table(Tags::Table)
        .columns(COLUMNS)
        .values_panic([
            t.id.0.into(),
            t.account_id.0.into(),
            t.label.clone().into(),
            t.color.clone().into(),
            t.created_at.micros().into(),
            t.updated_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt)
        .await
        .map_err(|e| StoreError::unique_as(e, "label"))?;
    set_departments(db, t.account_id, t.id, &t.department_ids).await
}

/// Replaces the departments a tag is meant for.
pub async fn set_departments(
    db: &mut impl Exec,
    account: AccountId,
    tag: TagId,
    departments: &[DepartmentId],
) -> Result<()> {
    let delete = Query::delete()
        .from_table(TagDepartments::Table)
        .and_where(Expr::col(TagDepartments::AccountId).eq(account.0))
        .and_where(Expr::col(TagDepartments::TagId).eq(tag.0))
        .to_owned();
    execute(db, &delete).await?;
    if departments.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert.into_table(TagDepartments::Table).columns([
        TagDepartments::AccountId,
        TagDepartments::TagId,
        TagDepartments::DepartmentId,
    ]);
    for d in departments {
        insert.values_panic([account.0.into(), tag.0.into(), d.0.into()]);
    }
    execute(db, &insert).await?;
    Ok(())
}

async fn departments_of(
    db: &mut impl Exec,
    account: AccountId,
    tags: &[Uuid],
) -> Result<HashMap<Uuid, Vec<DepartmentId>>> {
    let map = crate::db::grouped_ids(
        db,
        TagDepartments::Table,
        (TagDepartments::TagId, TagDepartments::DepartmentId),
        account,
        tags,
    )
    .await?;
    Ok(map
        .into_iter()
        .map(|(t, ids)| (t, ids.into_iter().map(DepartmentId).collect()))
        .collect())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: TagId) -> Result<Option<Tag>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Tags::Table)
        .and_where(Expr::col(Tags::AccountId).eq(account.0))
        .and_where(Expr::col(Tags::Id).eq(id.0))
        .to_owned();
    let Some(row) = fetch_optional::<TagRow>(db, &stmt).await? else {
        return Ok(None);
    };
    let mut departments = departments_of(db, account, &[row.id]).await?;
    let d = departments.remove(&row.id).unwrap_or_default();
    Ok(Some(row.into_tag(d)))
}

pub async fn list(db: &mut impl Exec, account: AccountId, page: PageRequest) -> Result<Page<Tag>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Tags::Table)
        .and_where(Expr::col(Tags::AccountId).eq(account.0))
        .order_by(Tags::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(Tags::Id).gt(after));
    }
    let rows: Vec<TagRow> = fetch_all(db, &stmt).await?;
    let page = paginate(rows, page.limit, |r| r.id);
    let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
    let mut departments = departments_of(db, account, &ids).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| {
                let d = departments.remove(&r.id).unwrap_or_default();
                r.into_tag(d)
            })
            .collect(),
        next_after: page.next_after,
        next_cursor: None,
    })
}

pub async fn update(db: &mut impl Exec, t: &Tag) -> Result<bool> {
    let stmt = Query::update()
        .table(Tags::Table)
        .values([
            (Tags::Label, t.label.clone().into()),
            (Tags::Color, t.color.clone().into()),
            (Tags::UpdatedAt, t.updated_at.micros().into()),
        ])
        .and_where(Expr::col(Tags::AccountId).eq(t.account_id.0))
        .and_where(Expr::col(Tags::Id).eq(t.id.0))
        .to_owned();
    Ok(execute(db, &stmt)
        .await
        .map_err(|e| StoreError::unique_as(e, "label"))?
        == 1)
}

pub async fn delete(db: &mut impl Exec, account: AccountId, id: TagId) -> Result<bool> {
    let stmt = Query::delete()
        .from_table(Tags::Table)
        .and_where(Expr::col(Tags::AccountId).eq(account.0))
        .and_where(Expr::col(Tags::Id).eq(id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// Which of `ids` are tags of `account`.
pub async fn existing(db: &mut impl Exec, account: AccountId, ids: &[TagId]) -> Result<Vec<TagId>> {
    let raw: Vec<Uuid> = ids.iter().map(|i| i.0).collect();
    let found = crate::db::existing_ids(db, Tags::Table, account, &raw).await?;
    Ok(found.into_iter().map(TagId).collect())
}

/// Puts `tag` on `contacts` (already tagged ones stay as they are).
pub async fn add_to_contacts(db: &mut impl Exec, account: AccountId, tag: TagId, contacts: &[ContactId]) -> Result<()> {
    if contacts.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table(ContactTags::Table)
        .columns([ContactTags::AccountId, ContactTags::ContactId, ContactTags::TagId])
        .on_conflict(
            OnConflict::columns([ContactTags::ContactId, ContactTags::TagId])
                .do_nothing()
                .to_owned(),
        );
    for c in contacts {
        stmt.values_panic([account.0.into(), c.0.into(), tag.0.into()]);
    }
    execute(db, &stmt).await?;
    Ok(())
}

pub async fn remove_from_contacts(
    db: &mut impl Exec,
    account: AccountId,
    tag: TagId,
    contacts: &[ContactId],
) -> Result<()> {
    if contacts.is_empty() {
        return Ok(());
    }
    let stmt = Query::delete()
        .from_table(ContactTags::Table)
        .and_where(Expr::col(ContactTags::AccountId).eq(account.0))
        .and_where(Expr::col(ContactTags::TagId).eq(tag.0))
        .and_where(Expr::col(ContactTags::ContactId).is_in(contacts.iter().map(|c| c.0)))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// The tags of `account` among `ids`, in two queries.
pub async fn get_many(db: &mut impl Exec, account: AccountId, ids: &[TagId]) -> Result<Vec<Tag>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Tags::Table)
        .and_where(Expr::col(Tags::AccountId).eq(account.0))
        .and_where(Expr::col(Tags::Id).is_in(ids.iter().map(|t| t.0)))
        .to_owned();
    let rows: Vec<TagRow> = crate::db::fetch_all(db, &stmt).await?;
    let row_ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut departments = departments_of(db, account, &row_ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let d = departments.remove(&r.id).unwrap_or_default();
            r.into_tag(d)
        })
        .collect())
}
