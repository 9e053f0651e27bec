//! argon2id password hashing, off the async runtime and bounded in concurrency (each hash takes
//! about 19 MiB and tens of milliseconds).

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;
use tokio::sync::Semaphore;

use crate::{Result, ServiceError};

pub(crate) struct Hasher {
    permits: Arc<Semaphore>,
}

/// A hash of a random password, verified against when a login names an unknown user so that
/// the answer takes as long as for a known one.
static DECOY: OnceLock<String> = OnceLock::new();

/// The memory of one hash (`count` blocks of 1 KiB), reserved past 32 MiB so that glibc's
/// `malloc` maps it on its own and gives it back to the system when dropped. glibc raises its
/// threshold for mapping an allocation on its own to the size of the last such block freed,
/// up to 32 MiB: after the first hash, the next 19 MiB came from the heap, and after a login
/// the server kept them resident, idle, for good. Only the `count` blocks used are touched.
fn blocks(count: usize) -> Vec<Block> {
    const MAPPED: usize = 33 * 1024 * 1024 / Block::SIZE;
    let mut blocks = Vec::with_capacity(count.max(MAPPED));
    blocks.resize(count, Block::new());
    blocks
}

/// The hash of `password` with `salt` by `argon` (with its parameters), `len` bytes long.
fn compute(argon: &Argon2<'_>, password: &[u8], salt: Salt<'_>, len: usize) -> Option<Vec<u8>> {
    let mut raw = [0u8; 64];
    let salt = salt.decode_b64(&mut raw).ok()?;
    let mut out = vec![0u8; len];
    let memory = blocks(argon.params().block_count());
    argon
        .hash_password_into_with_memory(password, salt, &mut out, memory)
        .ok()?;
    Some(out)
}

/// An argon2id hash of `password` (default parameters) as a PHC string.
fn hash_now(password: &str) -> Result<String> {
    let failed = |what: &str| ServiceError::Internal(format!("password hashing failed: {what}").into());
    let salt = SaltString::generate(&mut OsRng);
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default());
    let hash = compute(&argon, password.as_bytes(), salt.as_salt(), Params::DEFAULT_OUTPUT_LEN)
        .ok_or_else(|| failed("argon2"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(|e| failed(&e.to_string()))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&hash).map_err(|e| failed(&e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` is the one `hash` (a PHC string of argon2) was made from; compared in
/// constant time.
fn verify_now(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed)) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    compute(&argon, password.as_bytes(), salt, expected.len())
        .and_then(|computed| Output::new(&computed).ok())
        .is_some_and(|computed| computed == expected)
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

    /// Hashes stored before (made by the argon2 crate's own hasher) still verify, and the
    /// crate verifies ours: the same algorithm, version, parameters and encoding.
    #[test]
    fn hashes_match_those_of_the_argon2_crate_either_way() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"senha antiga", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_now("senha antiga", &theirs));
        assert!(!verify_now("senha nova", &theirs));
        let ours = hash_now("senha nova").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(Argon2::default().verify_password(b"senha nova", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"senha antiga", &parsed).is_err());
        assert_eq!(
            ours.rsplit_once('$')
                .map(|(head, _)| head.rsplit_once('$').map(|(p, _)| p.to_owned())),
            theirs
                .rsplit_once('$')
                .map(|(head, _)| head.rsplit_once('$').map(|(p, _)| p.to_owned())),
            "the same algorithm, version and parameters"
        );
    }
}
