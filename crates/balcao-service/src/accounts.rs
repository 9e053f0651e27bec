//! Accounts (tenants): creation with a first admin, and the first start's bootstrap.

use balcao_core::{Account, AccountId, Role, Timestamp, User, UserId, Validator};
use balcao_store::{accounts, meta, users};
use rand::RngCore;

use crate::{Result, Service, ServiceError};

#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    pub name: Option<String>,
    pub admin_name: Option<String>,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
}

/// What the first start did.
#[derive(Clone, Debug)]
pub enum Bootstrap {
    /// The installation already had its first account.
    AlreadyDone,
    /// A first account and admin were created; `generated_password` is set when no password
    /// was configured and one was made up (it must be shown to the operator once).
    Created(Box<BootstrapCreated>),
}

/// The first account and admin made by [`Service::bootstrap`].
#[derive(Clone, Debug)]
pub struct BootstrapCreated {
    pub account: Account,
    pub admin: User,
    /// Set when no password was configured and one was made up (show it to the operator once).
    pub generated_password: Option<String>,
}

const BOOTSTRAP_KEY: &str = "bootstrapped_at";

impl Service {
    /// Creates an account with its first admin, in one transaction.
    pub async fn create_account(&self, input: NewAccount) -> Result<(Account, User)> {
        let mut tx = self.store().begin().await?;
        let created = self.create_account_in(&mut tx, input).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn create_account_in(&self, tx: &mut balcao_store::Tx, input: NewAccount) -> Result<(Account, User)> {
        let mut v = Validator::new();
        let name = v
            .required("name", input.name.as_deref())
            .and_then(|n| v.name("name", n));
        let admin_name = match input.admin_name.as_deref() {
            Some(n) => v.name("admin_name", n),
            None => Some("Admin".to_owned()),
        };
        let email = v
            .required("admin_email", input.admin_email.as_deref())
            .and_then(|e| v.email("admin_email", e));
        let password = v
            .required("admin_password", input.admin_password.as_deref())
            .and_then(|p| v.password("admin_password", p));
        v.finish()?;
        let (Some(name), Some(admin_name), Some(email), Some(password)) = (name, admin_name, email, password) else {
            return Err(ServiceError::Internal("validated fields missing".into()));
        };
        let hash = self.inner.hasher.hash(password).await?;
        let now = Timestamp::now();
        let account = Account {
            id: AccountId::new(),
            name,
            created_at: now,
            updated_at: now,
        };
        let admin = User {
            id: UserId::new(),
            account_id: account.id,
            name: admin_name,
            email,
            role: Role::Admin,
            department_ids: Vec::new(),
            archived_at: None,
            created_at: now,
            updated_at: now,
        };
        accounts::insert(tx, &account).await?;
        users::insert(tx, &admin, &hash).await?;
        Ok((account, admin))
    }

    /// On the installation's first start, creates the first account and admin. Later starts
    /// (and concurrent starts of other instances) do nothing, so an existing admin is never
    /// overwritten.
    pub async fn bootstrap(
        &self,
        account_name: &str,
        admin_email: &str,
        admin_password: Option<&str>,
    ) -> Result<Bootstrap> {
        let mut tx = self.store().begin().await?;
        let claimed = meta::claim(&mut tx, BOOTSTRAP_KEY, &Timestamp::now().to_rfc3339()).await?;
        if !claimed || !accounts::list_all(&mut tx).await?.is_empty() {
            tx.commit().await?;
            return Ok(Bootstrap::AlreadyDone);
        }
        let generated = admin_password.is_none().then(generate_password);
        let password = admin_password.map(str::to_owned).or_else(|| generated.clone());
        let (account, admin) = self
            .create_account_in(
                &mut tx,
                NewAccount {
                    name: Some(account_name.to_owned()),
                    admin_name: Some("Admin".to_owned()),
                    admin_email: Some(admin_email.to_owned()),
                    admin_password: password,
                },
            )
            .await?;
        tx.commit().await?;
        Ok(Bootstrap::Created(Box::new(BootstrapCreated {
            account,
            admin,
            generated_password: generated,
        })))
    }

    /// Every account: for the operator's CLI.
    pub async fn list_accounts(&self) -> Result<Vec<Account>> {
        Ok(accounts::list_all(&mut self.store().read()).await?)
    }
}

/// 20 characters from an alphabet without look-alikes (about 110 bits).
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = super::generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, super::generate_password());
    }
}
