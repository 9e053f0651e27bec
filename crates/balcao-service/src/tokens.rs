//! Personal API tokens: named, shown once, stored as a hash, revocable at once.

use balcao_core::{ApiToken, ApiTokenId, Timestamp, Validator};
use balcao_store::api_tokens;

use crate::auth::{PERSONAL_PREFIX, new_secret};
use crate::{ListParams, Page, Principal, Result, Service, ServiceError};

#[derive(Clone, Debug, Default)]
pub struct NewToken {
    pub name: Option<String>,
    /// When set, requests with this token must come from this host (or a subdomain), as
    /// shown by their `Origin` or `Referer` header.
    pub allowed_domain: Option<String>,
    pub expires_at: Option<Timestamp>,
}

/// A token just created: the only time its secret is known.
#[derive(Clone, Debug)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

/// Whose tokens a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenScope {
    /// The caller's own.
    #[default]
    Mine,
    /// Everyone's in the account (admins only).
    Account,
}

impl Service {
    pub async fn create_token(&self, who: &Principal, input: NewToken) -> Result<CreatedToken> {
        let mut v = Validator::new();
        let name = v
            .required("name", input.name.as_deref())
            .and_then(|n| v.name("name", n));
        let allowed_domain = input
            .allowed_domain
            .as_deref()
            .and_then(|d| v.domain("allowed_domain", d));
        let now = Timestamp::now();
        if input.expires_at.is_some_and(|e| e <= now) {
            v.add("expires_at", "in_the_past", "`expires_at` must be in the future");
        }
        v.finish()?;
        let Some(name) = name else {
            return Err(ServiceError::Internal("validated name missing".into()));
        };
        let (secret, hash) = new_secret(PERSONAL_PREFIX);
        let token = ApiToken {
            id: ApiTokenId::new(),
            account_id: who.account_id,
            user_id: who.user_id,
            name,
            allowed_domain,
            created_at: now,
            last_used_at: None,
            expires_at: input.expires_at,
            revoked_at: None,
        };
        api_tokens::insert(&mut self.store().write(), &token, &hash).await?;
        Ok(CreatedToken { token, secret })
    }

    pub async fn list_tokens(&self, who: &Principal, scope: TokenScope, params: ListParams) -> Result<Page<ApiToken>> {
        let user = match scope {
            TokenScope::Mine => Some(who.user_id),
            TokenScope::Account => {
                who.require_admin("list other users' tokens")?;
                None
            }
        };
        Ok(api_tokens::list(&mut self.store().read(), who.account_id, user, params.page()?).await?)
    }

    /// A token of the account; another user's token is visible to admins only.
    pub async fn get_token(&self, who: &Principal, id: ApiTokenId) -> Result<ApiToken> {
        let token = api_tokens::get(&mut self.store().read(), who.account_id, id)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or(ServiceError::NotFound("token"))?;
        if token.user_id != who.user_id && !who.is_admin() {
            return Err(ServiceError::forbidden("only an admin can manage other users' tokens"));
        }
        Ok(token)
    }

    /// Renames a token (its secret, limits and expiry stay).
    pub async fn rename_token(&self, who: &Principal, id: ApiTokenId, name: Option<&str>) -> Result<ApiToken> {
        let mut v = Validator::new();
        let name = v.required("name", name).and_then(|n| v.name("name", n));
        v.finish()?;
        let mut token = self.get_token(who, id).await?;
        let Some(name) = name else {
            return Err(ServiceError::Internal("validated name missing".into()));
        };
        if !api_tokens::rename(&mut self.store().write(), who.account_id, id, &name).await? {
            return Err(ServiceError::NotFound("token"));
        }
        token.name = name;
        Ok(token)
    }

    pub async fn revoke_token(&self, who: &Principal, id: ApiTokenId) -> Result<()> {
        self.get_token(who, id).await?;
        if !api_tokens::revoke(&mut self.store().write(), who.account_id, id, Timestamp::now()).await? {
            return Err(ServiceError::NotFound("token"));
        }
        Ok(())
    }
}
