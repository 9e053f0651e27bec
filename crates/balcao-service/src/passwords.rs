//! argon2id password hashing, off the async runtime and bounded in concurrency (each hash takes
//! about 19 MiB and tens of milliseconds).

use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::rngs::OsRng;
use tokio::sync::Semaphore;

use crate::{Result, ServiceError};

pub(crate) struct Hasher {
    permits: Arc<Semaphore>,
}

/// A hash of a random password, verified against when a login names an unknown user so that
/// the answer takes as long as for a known one.
static DECOY: OnceLock<String> = OnceLock::new();

fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}").into()))
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

impl Hasher {
    pub(crate) fn new() -> Self {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            permits: Arc::new(Semaphore::new(n)),
        }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(ServiceError::internal)?;
        tokio::task::spawn_blocking(f).await.map_err(ServiceError::internal)
    }

    pub(crate) async fn hash(&self, password: String) -> Result<String> {
        self.run(move || hash_now(&password)).await?
    }

    /// Checks `password` against `hash`; with no hash, does the same work and answers false.
    pub(crate) async fn verify(&self, password: String, hash: Option<String>) -> Result<bool> {
        self.run(move || match hash {
            Some(hash) => verify_now(&password, &hash),
            None => {
                let decoy = DECOY.get_or_init(|| hash_now("decoy password for unknown users").unwrap_or_default());
                verify_now(&password, decoy);
                false
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_now("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_now("correct horse", &hash));
        assert!(!verify_now("wrong horse", &hash));
        assert!(!verify_now("correct horse", "not a hash"));
    }
}
