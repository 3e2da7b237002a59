//! Argon2id verifications that succeeded, remembered in this process's memory so that
//! only the first request with an operator-chosen secret pays the slow KDF.
//!
//! An entry is keyed by the credential key and holds a digest of the secret (SHA-256
//! under a random key of this process, so the memory holds nothing a fast offline guess
//! could test against another process's or the log's hashes) and the PHC string it was
//! verified against: a credential issued again (a new PHC string) misses. Failures
//! are never remembered. One entry per credential key, so the memory is bounded by the
//! number of credentials.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Successful Argon2id verifications of this process. Cheap to clone (shared).
#[derive(Clone)]
pub(crate) struct VerifiedSecrets {
    process_key: [u8; 16],
    entries: Arc<RwLock<HashMap<String, Entry>>>,
    /// Held while a slow verification runs: at most one Argon2id computation (19 MiB,
    /// tens of milliseconds) at a time, however many requests arrive with an
    /// unverified secret at once; the ones waiting then find the entry.
    slow: Arc<Mutex<()>>,
}

struct Entry {
    secret_digest: [u8; 32],
    phc: String,
}

impl VerifiedSecrets {
    pub(crate) fn new() -> Self {
        Self {
            process_key: *uuid::Uuid::new_v4().as_bytes(),
            entries: Arc::default(),
            slow: Arc::default(),
        }
    }

    fn digest(&self, secret: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.process_key);
        hasher.update(secret.as_bytes());
        hasher.finalize().into()
    }

    /// True when `secret` was verified for `key` against this same `phc` before.
    pub(crate) fn contains(&self, key: &str, phc: &str, secret: &str) -> bool {
        let digest = self.digest(secret);
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        entries.get(key).is_some_and(|entry| {
            super::secret::constant_time_eq(&entry.secret_digest, &digest) && entry.phc == phc
        })
    }

    /// Verifies `secret` against `phc` with Argon2id, one verification at a time,
    /// remembering a success; a secret verified meanwhile by another request is not
    /// verified again.
    pub(crate) fn verify_slowly(&self, key: &str, phc: &str, secret: &str) -> bool {
        let _one_at_a_time = self
            .slow
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if self.contains(key, phc, secret) {
            return true;
        }
        if !super::secret::verify_chosen_secret(phc, secret) {
            return false;
        }
        let entry = Entry {
            secret_digest: self.digest(secret),
            phc: phc.to_owned(),
        };
        self.entries
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .insert(key.to_owned(), entry);
        true
    }
}
