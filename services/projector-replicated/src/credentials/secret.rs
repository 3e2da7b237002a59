//! Credential secrets: generation and hashing. The log and the projection keep only
//! the hash. Secrets learnlog generates are random and high-entropy, so one salted
//! SHA-256 is enough for them; secrets an operator chooses may be guessable, so they
//! are hashed with Argon2id, a slow, memory-hard KDF (RFC 9106), whose PHC string
//! carries its salt and parameters.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

/// Where a secret came from, which decides how it is hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretOrigin {
    /// Made by [`new_secret`]: random, 244 bits. One salted SHA-256.
    Generated,
    /// Chosen by an operator (`--admin-credential KEY:SECRET`). Argon2id.
    OperatorChosen,
}

/// A salted SHA-256 of a secret.
pub fn hash_secret(salt: &[u8], secret: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    hasher.finalize().to_vec()
}

/// The Argon2id PHC string of `secret` with a new random 16-byte salt and the
/// `argon2` crate's default parameters (m = 19 MiB, t = 2, p = 1: OWASP's minimum).
pub fn hash_chosen_secret(secret: &str) -> String {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("the default parameters and a 16-byte salt are valid")
        .to_string()
}

/// Whether `secret` matches the Argon2id PHC string `phc` (slow: tens of
/// milliseconds, on purpose). The crate compares the hashes in constant time.
pub fn verify_chosen_secret(phc: &str, secret: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_secret_is_an_argon2id_phc_string_that_verifies_only_that_secret() {
        let phc = hash_chosen_secret("correct horse");
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify_chosen_secret(&phc, "correct horse"));
        assert!(!verify_chosen_secret(&phc, "correct horse "));
        assert!(!verify_chosen_secret("not a phc string", "correct horse"));
        assert_ne!(
            phc,
            hash_chosen_secret("correct horse"),
            "a new salt each time"
        );
    }
}
