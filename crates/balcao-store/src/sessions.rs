//! Login sessions: one access token and one refresh token, both stored only as SHA-256 hashes.
//! A refresh rotates both in place, so a used refresh token stops working at once.

use std::str::FromStr;
use std::sync::LazyLock;

use balcao_core::{AccountId, Role, SessionId, Timestamp, UserId};
use sea_query::{Expr, Iden, Query, SelectStatement, Value, Values};
use sea_query_binder::SqlxValues;
use uuid::Uuid;

use crate::db::execute;
use crate::users::Users;
use crate::{BackendKind, Exec, Result, StoreError};

#[derive(Iden, Clone, Copy)]
enum LoginSessions {
    Table,
    Id,
    AccountId,
    UserId,
    AccessHash,
    AccessExpiresAt,
    RefreshHash,
    RefreshExpiresAt,
    CreatedAt,
    RevokedAt,
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub id: SessionId,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub access_hash: [u8; 32],
    pub access_expires_at: Timestamp,
    pub refresh_hash: [u8; 32],
    pub refresh_expires_at: Timestamp,
    pub created_at: Timestamp,
}

pub async fn insert(db: &mut impl Exec, s: &NewSession) -> Result<()> {
    let stmt = Query::insert()
        .into_table(LoginSessions::Table)
        .columns([
            LoginSessions::Id,
            LoginSessions::AccountId,
            LoginSessions::UserId,
            LoginSessions::AccessHash,
            LoginSessions::AccessExpiresAt,
            LoginSessions::RefreshHash,
            LoginSessions::RefreshExpiresAt,
            LoginSessions::CreatedAt,
        ])
        .values_panic([
            s.id.0.into(),
            s.account_id.0.into(),
            s.user_id.0.into(),
            s.access_hash.to_vec().into(),
            s.access_expires_at.micros().into(),
            s.refresh_hash.to_vec().into(),
            s.refresh_expires_at.micros().into(),
            s.created_at.micros().into(),
        ])
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// A session found by one of its token hashes, with what authorisation needs of its user.
#[derive(Clone, Debug)]
pub struct SessionCredential {
    pub id: SessionId,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: Role,
    pub user_archived: bool,
    /// The stored hash of the token that was looked up, for a constant-time comparison.
    pub stored_hash: Vec<u8>,
    pub expires_at: Timestamp,
    pub revoked: bool,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    account_id: Uuid,
    user_id: Uuid,
    role: String,
    user_archived_at: Option<i64>,
    stored_hash: Vec<u8>,
    expires_at: i64,
    revoked_at: Option<i64>,
}

fn lookup_statement(by: LoginSessions, expires: LoginSessions) -> SelectStatement {
    Query::select()
        .column((LoginSessions::Table, LoginSessions::Id))
        .column((LoginSessions::Table, LoginSessions::AccountId))
        .column((LoginSessions::Table, LoginSessions::UserId))
        .column((Users::Table, Users::Role))
        .expr_as(
            Expr::col((Users::Table, Users::ArchivedAt)),
            sea_query::Alias::new("user_archived_at"),
        )
        .expr_as(
            Expr::col((LoginSessions::Table, by)),
            sea_query::Alias::new("stored_hash"),
        )
        .expr_as(
            Expr::col((LoginSessions::Table, expires)),
            sea_query::Alias::new("expires_at"),
        )
        .column((LoginSessions::Table, LoginSessions::RevokedAt))
        .from(LoginSessions::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((LoginSessions::Table, LoginSessions::UserId)),
        )
        .and_where(Expr::col((LoginSessions::Table, by)).eq(Vec::<u8>::new()))
        .to_owned()
}

/// Both lookups run on every authenticated request: their SQL is rendered once per backend.
static BY_ACCESS: LazyLock<[String; 2]> = LazyLock::new(|| {
    crate::db::render_both(&lookup_statement(
        LoginSessions::AccessHash,
        LoginSessions::AccessExpiresAt,
    ))
});
static BY_REFRESH: LazyLock<[String; 2]> = LazyLock::new(|| {
    crate::db::render_both(&lookup_statement(
        LoginSessions::RefreshHash,
        LoginSessions::RefreshExpiresAt,
    ))
});

async fn lookup(db: &mut impl Exec, sql: &LazyLock<[String; 2]>, hash: &[u8; 32]) -> Result<Option<SessionCredential>> {
    let sql = match db.kind() {
        BackendKind::Sqlite => sql[0].as_str(),
        BackendKind::Postgres => sql[1].as_str(),
    };
    let values = SqlxValues(Values(vec![Value::Bytes(Some(Box::new(hash.to_vec())))]));
    let Some(r) = db.fetch_optional_raw::<SessionRow>(sql, values).await? else {
        return Ok(None);
    };
    Ok(Some(SessionCredential {
        id: SessionId(r.id),
        account_id: AccountId(r.account_id),
        user_id: UserId(r.user_id),
        role: Role::from_str(&r.role).map_err(|e| StoreError::Corrupt {
            table: "users",
            detail: e.to_string(),
        })?,
        user_archived: r.user_archived_at.is_some(),
        stored_hash: r.stored_hash,
        expires_at: Timestamp::from_micros(r.expires_at),
        revoked: r.revoked_at.is_some(),
    }))
}

pub async fn by_access_hash(db: &mut impl Exec, hash: &[u8; 32]) -> Result<Option<SessionCredential>> {
    lookup(db, &BY_ACCESS, hash).await
}

pub async fn by_refresh_hash(db: &mut impl Exec, hash: &[u8; 32]) -> Result<Option<SessionCredential>> {
    lookup(db, &BY_REFRESH, hash).await
}

/// Replaces both tokens of a session, but only if `old_refresh_hash` is still its refresh
/// token (so two concurrent refreshes with one token cannot both succeed).
pub async fn rotate(
    db: &mut impl Exec,
    id: SessionId,
    old_refresh_hash: &[u8; 32],
    access_hash: &[u8; 32],
    access_expires_at: Timestamp,
    refresh_hash: &[u8; 32],
    refresh_expires_at: Timestamp,
) -> Result<bool> {
    let stmt = Query::update()
        .table(LoginSessions::Table)
        .values([
            (LoginSessions::AccessHash, access_hash.to_vec().into()),
            (LoginSessions::AccessExpiresAt, access_expires_at.micros().into()),
            (LoginSessions::RefreshHash, refresh_hash.to_vec().into()),
            (LoginSessions::RefreshExpiresAt, refresh_expires_at.micros().into()),
        ])
        .and_where(Expr::col(LoginSessions::Id).eq(id.0))
        .and_where(Expr::col(LoginSessions::RefreshHash).eq(old_refresh_hash.to_vec()))
        .and_where(Expr::col(LoginSessions::RevokedAt).is_null())
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// Revokes one session of `account`.
pub async fn revoke(db: &mut impl Exec, account: AccountId, id: SessionId, now: Timestamp) -> Result<bool> {
    let stmt = Query::update()
        .table(LoginSessions::Table)
        .value(LoginSessions::RevokedAt, now.micros())
        .and_where(Expr::col(LoginSessions::AccountId).eq(account.0))
        .and_where(Expr::col(LoginSessions::Id).eq(id.0))
        .and_where(Expr::col(LoginSessions::RevokedAt).is_null())
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// Revokes every session of a user (password change, archive).
pub async fn revoke_all_of_user(db: &mut impl Exec, account: AccountId, user: UserId, now: Timestamp) -> Result<u64> {
    let stmt = Query::update()
        .table(LoginSessions::Table)
        .value(LoginSessions::RevokedAt, now.micros())
        .and_where(Expr::col(LoginSessions::AccountId).eq(account.0))
        .and_where(Expr::col(LoginSessions::UserId).eq(user.0))
        .and_where(Expr::col(LoginSessions::RevokedAt).is_null())
        .to_owned();
    Ok(execute(db, &stmt).await?)
}
