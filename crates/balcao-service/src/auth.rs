//! Authentication: password and refresh-token grants, and turning a bearer token into the
//! [`Principal`] every other use case takes.
//!
//! Tokens are 32 random bytes, base64url-encoded behind a prefix naming their kind
//! (`blc_at_` access, `blc_rt_` refresh, `blc_pat_` personal). Only their SHA-256 hashes are
//! stored; a lookup is by hash and the stored hash is compared again in constant time.

use std::fmt;
use std::net::IpAddr;

use balcao_core::validation::{host_matches_domain, host_of};
use balcao_core::{AccountId, ApiTokenId, Role, SessionId, Timestamp, UserId};
use balcao_store::{api_tokens, sessions};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ratelimit::Key;
use crate::{Result, Service, ServiceError};

pub(crate) const ACCESS_PREFIX: &str = "blc_at_";
pub(crate) const REFRESH_PREFIX: &str = "blc_rt_";
pub(crate) const PERSONAL_PREFIX: &str = "blc_pat_";

/// A personal token's last-use time is written at most this often.
const TOUCH_EVERY_SECS: u64 = 60;

/// Who is calling, established from a bearer token.
#[derive(Clone, Debug)]
pub struct Principal {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: Role,
    pub credential: Credential,
}

/// The credential a request came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Session(SessionId),
    ApiToken(ApiTokenId),
    /// A short-lived stream ticket (opens a realtime stream and nothing else).
    StreamTicket,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role.manages_account()
    }

    pub(crate) fn require_admin(&self, what: &str) -> Result<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ServiceError::forbidden(format!("only an admin can {what}")))
        }
    }
}

/// Why a bearer token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    MissingToken,
    InvalidToken,
    ExpiredToken,
    RevokedToken,
}

impl AuthError {
    pub fn code(self) -> &'static str {
        match self {
            AuthError::MissingToken => "missing_token",
            AuthError::InvalidToken => "invalid_token",
            AuthError::ExpiredToken => "token_expired",
            AuthError::RevokedToken => "token_revoked",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthError::MissingToken => "no bearer token was sent",
            AuthError::InvalidToken => "the token is not valid",
            AuthError::ExpiredToken => "the token has expired",
            AuthError::RevokedToken => "the token was revoked",
        })
    }
}

/// Answer of a successful grant.
#[derive(Clone, Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub account_id: AccountId,
}

pub(crate) fn new_secret(prefix: &str) -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}

pub(crate) fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn same_hash(stored: &[u8], computed: &[u8; 32]) -> bool {
    stored.ct_eq(computed).into()
}

impl Service {
    /// OAuth2 password grant. Unknown user, wrong password and archived user all answer the
    /// same `invalid_grant`, after the same amount of work.
    pub async fn login_password(&self, username: &str, password: &str, client: Option<IpAddr>) -> Result<TokenPair> {
        let email = username.trim().to_lowercase();
        let record = balcao_store::users::login_by_email(&mut self.store().read(), &email).await?;
        let key = Key {
            subject: record
                .as_ref()
                .map_or_else(|| email.clone(), |r| r.account_id.to_string()),
            client,
        };
        if let Some(retry_after_secs) = self.inner.login_limiter.blocked(&key) {
            return Err(ServiceError::RateLimited { retry_after_secs });
        }
        let hash = record.as_ref().map(|r| r.password_hash.clone());
        let matches = self.inner.hasher.verify(password.to_owned(), hash).await?;
        let record = match record {
            Some(r) if matches && !r.archived => r,
            _ => {
                self.inner.login_limiter.failed(key);
                tracing::info!(login = %email, client = ?client, "failed login");
                return Err(ServiceError::InvalidGrant {
                    message: "invalid e-mail or password",
                });
            }
        };
        self.inner.login_limiter.succeeded(&key);
        self.open_session(record.account_id, record.user_id).await
    }

    async fn open_session(&self, account_id: AccountId, user_id: UserId) -> Result<TokenPair> {
        let now = Timestamp::now();
        let (access_token, access_hash) = new_secret(ACCESS_PREFIX);
        let (refresh_token, refresh_hash) = new_secret(REFRESH_PREFIX);
        let session = sessions::NewSession {
            id: SessionId::new(),
            account_id,
            user_id,
            access_hash,
            access_expires_at: now.plus_secs(self.settings().access_token_ttl.as_secs()),
            refresh_hash,
            refresh_expires_at: now.plus_secs(self.settings().refresh_token_ttl.as_secs()),
            created_at: now,
        };
        sessions::insert(&mut self.store().write(), &session).await?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: self.settings().access_token_ttl.as_secs(),
            session_id: session.id,
            user_id,
            account_id,
        })
    }

    /// OAuth2 refresh-token grant: rotates both tokens of the session; the refresh token
    /// that was used stops working.
    pub async fn login_refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        const BAD: ServiceError = ServiceError::InvalidGrant {
            message: "the refresh token is not valid",
        };
        if !refresh_token.starts_with(REFRESH_PREFIX) {
            return Err(BAD);
        }
        let old_hash = hash_token(refresh_token);
        let Some(found) = sessions::by_refresh_hash(&mut self.store().read(), &old_hash).await? else {
            return Err(BAD);
        };
        let now = Timestamp::now();
        if !same_hash(&found.stored_hash, &old_hash) || found.revoked || found.user_archived || found.expires_at <= now
        {
            return Err(BAD);
        }
        let (access_token, access_hash) = new_secret(ACCESS_PREFIX);
        let (new_refresh, refresh_hash) = new_secret(REFRESH_PREFIX);
        let rotated = sessions::rotate(
            &mut self.store().write(),
            found.id,
            &old_hash,
            &access_hash,
            now.plus_secs(self.settings().access_token_ttl.as_secs()),
            &refresh_hash,
            now.plus_secs(self.settings().refresh_token_ttl.as_secs()),
        )
        .await?;
        if !rotated {
            return Err(BAD);
        }
        Ok(TokenPair {
            access_token,
            refresh_token: new_refresh,
            expires_in: self.settings().access_token_ttl.as_secs(),
            session_id: found.id,
            user_id: found.user_id,
            account_id: found.account_id,
        })
    }

    /// Ends the session the caller is using (logout). Personal tokens are revoked through
    /// the tokens resource instead.
    pub async fn logout(&self, who: &Principal) -> Result<()> {
        if let Credential::Session(id) = who.credential {
            sessions::revoke(&mut self.store().write(), who.account_id, id, Timestamp::now()).await?;
        }
        Ok(())
    }

    /// Resolves a bearer token. `origin` is the request's `Origin` (or else `Referer`)
    /// header, checked against a personal token's allowed domain.
    pub async fn authenticate(&self, token: Option<&str>, origin: Option<&str>) -> Result<Principal> {
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(ServiceError::Unauthorized(AuthError::MissingToken));
        };
        let now = Timestamp::now();
        if token.starts_with(ACCESS_PREFIX) {
            let hash = hash_token(token);
            let found = sessions::by_access_hash(&mut self.store().read(), &hash)
                .await?
                .filter(|s| same_hash(&s.stored_hash, &hash))
                .ok_or(ServiceError::Unauthorized(AuthError::InvalidToken))?;
            check(found.revoked, Some(found.expires_at), found.user_archived, now)?;
            Ok(Principal {
                account_id: found.account_id,
                user_id: found.user_id,
                role: found.role,
                credential: Credential::Session(found.id),
            })
        } else if token.starts_with(PERSONAL_PREFIX) {
            let hash = hash_token(token);
            let found = api_tokens::by_hash(&mut self.store().read(), &hash)
                .await?
                .filter(|t| same_hash(&t.stored_hash, &hash))
                .ok_or(ServiceError::Unauthorized(AuthError::InvalidToken))?;
            check(found.revoked, found.expires_at, found.user_archived, now)?;
            if let Some(domain) = &found.allowed_domain {
                let host = origin.and_then(host_of);
                if !host.is_some_and(|h| host_matches_domain(&h, domain)) {
                    return Err(ServiceError::Forbidden {
                        code: "origin_not_allowed",
                        message: format!("this token may only be used from {domain}"),
                    });
                }
            }
            if found.last_used_at.is_none_or(|t| t.secs_until(now) >= TOUCH_EVERY_SECS) {
                api_tokens::touch(&mut self.store().write(), found.id, now).await?;
            }
            Ok(Principal {
                account_id: found.account_id,
                user_id: found.user_id,
                role: found.role,
                credential: Credential::ApiToken(found.id),
            })
        } else {
            Err(ServiceError::Unauthorized(AuthError::InvalidToken))
        }
    }
}

fn check(revoked: bool, expires_at: Option<Timestamp>, user_archived: bool, now: Timestamp) -> Result<()> {
    if revoked {
        Err(ServiceError::Unauthorized(AuthError::RevokedToken))
    } else if expires_at.is_some_and(|e| e <= now) {
        Err(ServiceError::Unauthorized(AuthError::ExpiredToken))
    } else if user_archived {
        Err(ServiceError::Unauthorized(AuthError::InvalidToken))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_random_and_hashed() {
        let (a, ha) = new_secret(PERSONAL_PREFIX);
        let (b, hb) = new_secret(PERSONAL_PREFIX);
        assert!(a.starts_with("blc_pat_") && a.len() == PERSONAL_PREFIX.len() + 43);
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(hash_token(&a), ha);
        assert!(same_hash(&ha, &hash_token(&a)));
        assert!(!same_hash(&ha[..31], &ha));
    }
}
