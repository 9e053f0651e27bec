//! Connections: channel accounts with their settings.

use std::str::FromStr;

use balcao_core::{AccountId, Connection, ConnectionId, ConnectionStatus, ConnectionType, DepartmentId, Timestamp};
use sea_query::{Expr, Iden, Order, Query};
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::users::paginate;
use crate::{ArchivedFilter, Exec, Page, PageRequest, Result, StoreError};

#[derive(Iden)]
enum Connections {
    Table,
    Id,
    AccountId,
    Type,
    Name,
    DefaultDepartmentId,
    Status,
    StatusDetail,
    Settings,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

const COLUMNS: [Connections; 11] = [
    Connections::Id,
    Connections::AccountId,
    Connections::Type,
    Connections::Name,
    Connections::DefaultDepartmentId,
    Connections::Status,
    Connections::StatusDetail,
    Connections::Settings,
    Connections::ArchivedAt,
    Connections::CreatedAt,
    Connections::UpdatedAt,
];

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    id: Uuid,
    account_id: Uuid,
    #[sqlx(rename = "type")]
    kind: String,
    name: String,
    default_department_id: Option<Uuid>,
    status: String,
    status_detail: Option<String>,
    settings: String,
    archived_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn corrupt(detail: String) -> StoreError {
    StoreError::Corrupt {
        table: "connections",
        detail,
    }
}

impl TryFrom<ConnectionRow> for Connection {
    type Error = StoreError;

    fn try_from(r: ConnectionRow) -> Result<Self> {
        Ok(Connection {
            id: ConnectionId(r.id),
            account_id: AccountId(r.account_id),
            kind: ConnectionType::from_str(&r.kind).map_err(|()| corrupt(format!("type {}", r.kind)))?,
            name: r.name,
            default_department_id: r.default_department_id.map(DepartmentId),
            status: ConnectionStatus::from_str(&r.status).map_err(|()| corrupt(format!("status {}", r.status)))?,
            status_detail: r.status_detail,
            settings: serde_json::from_str(&r.settings).map_err(|e| corrupt(e.to_string()))?,
            archived_at: r.archived_at.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(r.created_at),
            updated_at: Timestamp::from_micros(r.updated_at),
        })
    }
}

fn settings_text(c: &Connection) -> String {
    serde_json::Value::Object(c.settings.clone()).to_string()
}

pub async fn insert(db: &mut impl Exec, c: &Connection) -> Result<()> {
    let stmt = Query::insert()
        .into_table(Connections::Table)
        .columns(COLUMNS)
        .values_panic([
            c.id.0.into(),
            c.account_id.0.into(),
            c.kind.as_str().into(),
            c.name.clone().into(),
            c.default_department_id.map(|d| d.0).into(),
            c.status.as_str().into(),
            c.status_detail.clone().into(),
            settings_text(c).into(),
            c.archived_at.map(Timestamp::micros).into(),
            c.created_at.micros().into(),
            c.updated_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: ConnectionId) -> Result<Option<Connection>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Connections::Table)
        .and_where(Expr::col(Connections::AccountId).eq(account.0))
        .and_where(Expr::col(Connections::Id).eq(id.0))
        .to_owned();
    let row: Option<ConnectionRow> = fetch_optional(db, &stmt).await?;
    row.map(Connection::try_from).transpose()
}

/// A connection by id alone, for channel webhooks: the caller proves it may act for the
/// connection with the connection's own secret.
pub async fn get_unscoped(db: &mut impl Exec, id: ConnectionId) -> Result<Option<Connection>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Connections::Table)
        .and_where(Expr::col(Connections::Id).eq(id.0))
        .to_owned();
    let row: Option<ConnectionRow> = fetch_optional(db, &stmt).await?;
    row.map(Connection::try_from).transpose()
}

pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    kind: Option<ConnectionType>,
    archived: ArchivedFilter,
    page: PageRequest,
) -> Result<Page<Connection>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(Connections::Table)
        .and_where(Expr::col(Connections::AccountId).eq(account.0))
        .order_by(Connections::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    archived.apply(&mut stmt, Connections::ArchivedAt);
    if let Some(kind) = kind {
        stmt.and_where(Expr::col(Connections::Type).eq(kind.as_str()));
    }
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(Connections::Id).gt(after));
    }
    let rows: Vec<ConnectionRow> = fetch_all(db, &stmt).await?;
    let items = rows.into_iter().map(Connection::try_from).collect::<Result<Vec<_>>>()?;
    Ok(paginate(items, page.limit, |c| c.id.0))
}

/// Writes every changeable column as it is in `c`.
pub async fn update(db: &mut impl Exec, c: &Connection) -> Result<bool> {
    let stmt = Query::update()
        .table(Connections::Table)
        .values([
            (Connections::Name, c.name.clone().into()),
            (
                Connections::DefaultDepartmentId,
                c.default_department_id.map(|d| d.0).into(),
            ),
            (Connections::Status, c.status.as_str().into()),
            (Connections::StatusDetail, c.status_detail.clone().into()),
            (Connections::Settings, settings_text(c).into()),
            (Connections::ArchivedAt, c.archived_at.map(Timestamp::micros).into()),
            (Connections::UpdatedAt, c.updated_at.micros().into()),
        ])
        .and_where(Expr::col(Connections::AccountId).eq(c.account_id.0))
        .and_where(Expr::col(Connections::Id).eq(c.id.0))
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// The connections of `account` among `ids`, in one query.
pub async fn get_many(db: &mut impl Exec, account: AccountId, ids: &[ConnectionId]) -> Result<Vec<Connection>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(Connections::Table)
        .and_where(Expr::col(Connections::AccountId).eq(account.0))
        .and_where(Expr::col(Connections::Id).is_in(ids.iter().map(|c| c.0)))
        .to_owned();
    let rows: Vec<ConnectionRow> = fetch_all(db, &stmt).await?;
    rows.into_iter().map(Connection::try_from).collect()
}
