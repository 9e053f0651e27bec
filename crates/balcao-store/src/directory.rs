//! Organizations and people.

use balcao_core::{AccountId, Organization, OrganizationId, Person, PersonId, Timestamp};
use sea_query::{Expr, Iden, Order, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::users::paginate;
use crate::{Exec, Page, PageRequest, Result};

#[derive(Iden, Clone, Copy)]
enum Organizations {
    Table,
    Id,
    AccountId,
    Name,
    Document,
    Note,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
enum People {
    Table,
    Id,
    AccountId,
    Name,
    Document,
    Email,
    OrganizationId,
    Note,
    CreatedAt,
    UpdatedAt,
}

const ORG_COLUMNS: [Organizations; 7] = [
    Organizations::Id,
    Organizations::AccountId,
    Organizations::Name,
    Organizations::Document,
    Organizations::Note,
    Organizations::CreatedAt,
    Organizations::UpdatedAt,
];

const PEOPLE_COLUMNS: [People; 9] = [
    People::Id,
    People::AccountId,
    People::Name,
    People::Document,
    People::Email,
    People::OrganizationId,
    People::Note,
    People::CreatedAt,
    People::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    document: Option<String>,
    note: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<OrgRow> for Organization {
    fn from(r: OrgRow) -> Self {
        Organization {
            id: OrganizationId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            document: r.document,
            note: r.note,
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    document: Option<String>,
    email: Option<String>,
    organization_id: Option<Uuid>,
    note: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Person {
            id: PersonId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            document: r.document,
            email: r.email,
            organization_id: r.organization_id.map(OrganizationId),
            note: r.note,
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        }
    }
}

/// Inserts or updates an organization.
pub async fn save_organization(db: &mut impl Exec, o: &Organization, new: bool) -> Result<bool> {
    let values = [
        o.id.0.into(),
        o.account_id.0.into(),
        o.name.clone().into(),
        o.document.clone().into(),
        o.note.clone().into(),
        o.created_at.micros().into(),
        o.updated_at.micros().into(),
    ];
    let n = if new {
        let stmt = Query::insert()
            .into_table(Organizations::Table)
            .columns(ORG_COLUMNS)
            .values_panic(values)
            .to_owned();
        execute(db, &stmt).await?
    } else {
        let stmt = Query::update()
            .table(Organizations::Table)
            .values(
                ORG_COLUMNS
                    .into_iter()
                    .zip(values)
                    .skip(2)
                    .filter(|(c, _)| !matches!(c, Organizations::CreatedAt)),
            )
            .and_where(Expr::col(Organizations::AccountId).eq(o.account_id.0))
            .and_where(Expr::col(Organizations::Id).eq(o.id.0))
            .to_owned();
        execute(db, &stmt).await?
    };
    Ok(n == 1)
}

pub async fn get_organization(
    db: &mut impl Exec,
    account: AccountId,
    id: OrganizationId,
) -> Result<Option<Organization>> {
    let stmt = Query::select()
        .columns(ORG_COLUMNS)
        .from(Organizations::Table)
        .and_where(Expr::col(Organizations::AccountId).eq(account.0))
        .and_where(Expr::col(Organizations::Id).eq(id.0))
        .to_owned();
    let row: Option<OrgRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(Organization::from))
}

pub async fn list_organizations(
    db: &mut impl Exec,
    account: AccountId,
    page: PageRequest,
) -> Result<Page<Organization>> {
    let mut stmt = Query::select();
    stmt.columns(ORG_COLUMNS)
        .from(Organizations::Table)
        .and_where(Expr::col(Organizations::AccountId).eq(account.0))
        .order_by(Organizations::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(Organizations::Id).gt(after));
    }
    let rows: Vec<OrgRow> = fetch_all(db, &stmt).await?;
    Ok(paginate(
        rows.into_iter().map(Organization::from).collect(),
        page.limit,
        |o| o.id.0,
    ))
}

pub async fn delete_organization(db: &mut impl Exec, account: AccountId, id: OrganizationId) -> Result<bool> {
    let stmt = Query::delete()
        .from_table(Organizations::Table)
        .and_where(Expr::col(Organizations::AccountId).eq(account.0))
        .and_where(Expr::col(Organizations::Id).eq(id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// Inserts or updates a person.
pub async fn save_person(db: &mut impl Exec, p: &Person, new: bool) -> Result<bool> {
    let values = [
        p.id.0.into(),
        p.account_id.0.into(),
        p.name.clone().into(),
        p.document.clone().into(),
        p.email.clone().into(),
        p.organization_id.map(|o| o.0).into(),
        p.note.clone().into(),
        p.created_at.micros().into(),
        p.updated_at.micros().into(),
    ];
    let n = if new {
        let stmt = Query::insert()
            .into_table(People::Table)
            .columns(PEOPLE_COLUMNS)
            .values_panic(values)
            .to_owned();
        execute(db, &stmt).await?
    } else {
        let stmt = Query::update()
            .table(People::Table)
            .values(
                PEOPLE_COLUMNS
                    .into_iter()
                    .zip(values)
                    .skip(2)
                    .filter(|(c, _)| !matches!(c, People::CreatedAt)),
            )
            .and_where(Expr::col(People::AccountId).eq(p.account_id.0))
            .and_where(Expr::col(People::Id).eq(p.id.0))
            .to_owned();
        execute(db, &stmt).await?
    };
    Ok(n == 1)
}

pub async fn get_person(db: &mut impl Exec, account: AccountId, id: PersonId) -> Result<Option<Person>> {
    let stmt = Query::select()
        .columns(PEOPLE_COLUMNS)
        .from(People::Table)
        .and_where(Expr::col(People::AccountId).eq(account.0))
        .and_where(Expr::col(People::Id).eq(id.0))
        .to_owned();
    let row: Option<PersonRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(Person::from))
}

pub async fn list_people(
    db: &mut impl Exec,
    account: AccountId,
    organization: Option<OrganizationId>,
    page: PageRequest,
) -> Result<Page<Person>> {
    let mut stmt = Query::select();
    stmt.columns(PEOPLE_COLUMNS)
        .from(People::Table)
        .and_where(Expr::col(People::AccountId).eq(account.0))
        .order_by(People::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    if let Some(o) = organization {
        stmt.and_where(Expr::col(People::OrganizationId).eq(o.0));
    }
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(People::Id).gt(after));
    }
    let rows: Vec<PersonRow> = fetch_all(db, &stmt).await?;
    Ok(paginate(
        rows.into_iter().map(Person::from).collect(),
        page.limit,
        |p| p.id.0,
    ))
}

pub async fn delete_person(db: &mut impl Exec, account: AccountId, id: PersonId) -> Result<bool> {
    let stmt = Query::delete()
        .from_table(People::Table)
        .and_where(Expr::col(People::AccountId).eq(account.0))
        .and_where(Expr::col(People::Id).eq(id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// The people of `account` among `ids`, in one query.
pub async fn people_by_ids(db: &mut impl Exec, account: AccountId, ids: &[PersonId]) -> Result<Vec<Person>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(PEOPLE_COLUMNS)
        .from(People::Table)
        .and_where(Expr::col(People::AccountId).eq(account.0))
        .and_where(Expr::col(People::Id).is_in(ids.iter().map(|p| p.0)))
        .to_owned();
    let rows: Vec<PersonRow> = crate::db::fetch_all(db, &stmt).await?;
    Ok(rows.into_iter().map(Person::from).collect())
}
