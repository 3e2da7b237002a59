//! Credential secrets: generation and salted hashing. Secrets are random, high-entropy
//! strings, so one salted SHA-256 is enough; the log and the projection keep only the
//! hash.

use sha2::{Digest, Sha256};

/// A salted SHA-256 of a secret.
pub fn hash_secret(salt: &[u8], secret: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    hasher.finalize().to_vec()
}

/// A new random secret (two v4 UUIDs: 244 random bits) as 64 lowercase hex characters.
pub fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Whether two hashes are equal, in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}
