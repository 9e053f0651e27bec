//! Personal API tokens, stored only as SHA-256 hashes of their secrets.

use std::str::FromStr;
use std::sync::LazyLock;

use balcao_core::{AccountId, ApiToken, ApiTokenId, Role, Timestamp, UserId};
use sea_query::{Expr, Iden, Order, Query, Value, Values};
use sea_query_binder::SqlxValues;
use uuid::Uuid;

use crate::db::{execute, fetch_all, fetch_optional};
use crate::users::{Users, paginate};
use crate::{BackendKind, Exec, Page, PageRequest, Result, StoreError};

#[derive(Iden)]
enum ApiTokens {
    Table,
    Id,
    AccountId,
    UserId,
    Name,
    TokenHash,
    AllowedDomain,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

const COLUMNS: [ApiTokens; 9] = [
    ApiTokens::Id,
    ApiTokens::AccountId,
    ApiTokens::UserId,
    ApiTokens::Name,
    ApiTokens::AllowedDomain,
    ApiTokens::CreatedAt,
    ApiTokens::LastUsedAt,
    ApiTokens::ExpiresAt,
    ApiTokens::RevokedAt,
];

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    account_id: Uuid,
    user_id: Uuid,
    name: String,
    allowed_domain: Option<String>,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: ApiTokenId(r.id),
            account_id: AccountId(r.account_id),
            user_id: UserId(r.user_id),
            name: r.name,
            allowed_domain: r.allowed_domain,
            created_at: Timestamp::from_micros(r.created_at),
            last_used_at: r.last_used_at.map(Timestamp::from_micros),
            expires_at: r.expires_at.map(Timestamp::from_micros),
            revoked_at: r.revoked_at.map(Timestamp::from_micros),
        }
    }
}

pub async fn insert(db: &mut impl Exec, t: &ApiToken, hash: &[u8; 32]) -> Result<()> {
    let stmt = Query::insert()
        .into_table(ApiTokens::Table)
        .columns([
            ApiTokens::Id,
            ApiTokens::AccountId,
            ApiTokens::UserId,
            ApiTokens::Name,
            ApiTokens::TokenHash,
            ApiTokens::AllowedDomain,
            ApiTokens::CreatedAt,
            ApiTokens::LastUsedAt,
            ApiTokens::ExpiresAt,
            ApiTokens::RevokedAt,
        ])
        .values_panic([
            t.id.0.into(),
            t.account_id.0.into(),
            t.user_id.0.into(),
            t.name.clone().into(),
            hash.to_vec().into(),
            t.allowed_domain.clone().into(),
            t.created_at.micros().into(),
            t.last_used_at.map(Timestamp::micros).into(),
            t.expires_at.map(Timestamp::micros).into(),
            t.revoked_at.map(Timestamp::micros).into(),
        ])
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

pub async fn get(db: &mut impl Exec, account: AccountId, id: ApiTokenId) -> Result<Option<ApiToken>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from(ApiTokens::Table)
        .and_where(Expr::col(ApiTokens::AccountId).eq(account.0))
        .and_where(Expr::col(ApiTokens::Id).eq(id.0))
        .to_owned();
    let row: Option<TokenRow> = fetch_optional(db, &stmt).await?;
    Ok(row.map(ApiToken::from))
}

/// Tokens of the account that are not revoked, optionally only those of one user.
pub async fn list(
    db: &mut impl Exec,
    account: AccountId,
    user: Option<UserId>,
    page: PageRequest,
) -> Result<Page<ApiToken>> {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS)
        .from(ApiTokens::Table)
        .and_where(Expr::col(ApiTokens::AccountId).eq(account.0))
        .and_where(Expr::col(ApiTokens::RevokedAt).is_null())
        .order_by(ApiTokens::Id, Order::Asc)
        .limit(u64::from(page.limit) + 1);
    if let Some(user) = user {
        stmt.and_where(Expr::col(ApiTokens::UserId).eq(user.0));
    }
    if let Some(after) = page.after {
        stmt.and_where(Expr::col(ApiTokens::Id).gt(after));
    }
    let rows: Vec<TokenRow> = fetch_all(db, &stmt).await?;
    Ok(paginate(
        rows.into_iter().map(ApiToken::from).collect(),
        page.limit,
        |t| t.id.0,
    ))
}

/// Renames a token that is not revoked.
pub async fn rename(db: &mut impl Exec, account: AccountId, id: ApiTokenId, name: &str) -> Result<bool> {
    let stmt = Query::update()
        .table(ApiTokens::Table)
        .value(ApiTokens::Name, name)
        .and_where(Expr::col(ApiTokens::AccountId).eq(account.0))
        .and_where(Expr::col(ApiTokens::Id).eq(id.0))
        .and_where(Expr::col(ApiTokens::RevokedAt).is_null())
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

pub async fn revoke(db: &mut impl Exec, account: AccountId, id: ApiTokenId, now: Timestamp) -> Result<bool> {
    let stmt = Query::update()
        .table(ApiTokens::Table)
        .value(ApiTokens::RevokedAt, now.micros())
        .and_where(Expr::col(ApiTokens::AccountId).eq(account.0))
        .and_where(Expr::col(ApiTokens::Id).eq(id.0))
        .and_where(Expr::col(ApiTokens::RevokedAt).is_null())
        .to_owned();
    Ok(execute(db, &stmt).await? == 1)
}

/// Records a use of the token.
pub async fn touch(db: &mut impl Exec, id: ApiTokenId, now: Timestamp) -> Result<()> {
    let stmt = Query::update()
        .table(ApiTokens::Table)
        .value(ApiTokens::LastUsedAt, now.micros())
        .and_where(Expr::col(ApiTokens::Id).eq(id.0))
        .to_owned();
    execute(db, &stmt).await?;
    Ok(())
}

/// A token found by the hash of its secret, with what authorisation needs of its user.
#[derive(Clone, Debug)]
pub struct TokenCredential {
    pub id: ApiTokenId,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: Role,
    pub user_archived: bool,
    pub stored_hash: Vec<u8>,
    pub allowed_domain: Option<String>,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
}

#[derive(sqlx::FromRow)]
struct CredentialRow {
    id: Uuid,
    account_id: Uuid,
    user_id: Uuid,
    role: String,
    user_archived_at: Option<i64>,
    token_hash: Vec<u8>,
    allowed_domain: Option<String>,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// Runs on every request made with a personal token: rendered once per backend.
static BY_HASH: LazyLock<[String; 2]> = LazyLock::new(|| {
    let stmt = Query::select()
        .column((ApiTokens::Table, ApiTokens::Id))
        .column((ApiTokens::Table, ApiTokens::AccountId))
        .column((ApiTokens::Table, ApiTokens::UserId))
        .column((Users::Table, Users::Role))
        .expr_as(
            Expr::col((Users::Table, Users::ArchivedAt)),
            sea_query::Alias::new("user_archived_at"),
        )
        .column((ApiTokens::Table, ApiTokens::TokenHash))
        .column((ApiTokens::Table, ApiTokens::AllowedDomain))
        .column((ApiTokens::Table, ApiTokens::LastUsedAt))
        .column((ApiTokens::Table, ApiTokens::ExpiresAt))
        .column((ApiTokens::Table, ApiTokens::RevokedAt))
        .from(ApiTokens::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((ApiTokens::Table, ApiTokens::UserId)),
        )
        .and_where(Expr::col((ApiTokens::Table, ApiTokens::TokenHash)).eq(Vec::<u8>::new()))
        .to_owned();
    crate::db::render_both(&stmt)
});

/// Authentication lookup (crosses accounts: the token is what names the account).
pub async fn by_hash(db: &mut impl Exec, hash: &[u8; 32]) -> Result<Option<TokenCredential>> {
    let sql = match db.kind() {
        BackendKind::Sqlite => BY_HASH[0].as_str(),
        BackendKind::Postgres => BY_HASH[1].as_str(),
    };
    let values = SqlxValues(Values(vec![Value::Bytes(Some(Box::new(hash.to_vec())))]));
    let Some(r) = db.fetch_optional_raw::<CredentialRow>(sql, values).await? else {
        return Ok(None);
    };
    Ok(Some(TokenCredential {
        id: ApiTokenId(r.id),
        account_id: AccountId(r.account_id),
        user_id: UserId(r.user_id),
        role: Role::from_str(&r.role).map_err(|e| StoreError::Corrupt {
            table: "users",
            detail: e.to_string(),
        })?,
        user_archived: r.user_archived_at.is_some(),
        stored_hash: r.token_hash,
        allowed_domain: r.allowed_domain,
        last_used_at: r.last_used_at.map(Timestamp::from_micros),
        expires_at: r.expires_at.map(Timestamp::from_micros),
        revoked: r.revoked_at.is_some(),
    }))
}
