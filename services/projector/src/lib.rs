//! What every projection of learnlog shares: learner ids and their partitions, tenant-
//! scoped keys, UTC days and the instant a learner acted, activity modalities, JSON
//! records in fold trees, statements sealed for their learner, and the errors of
//! readers.
//!
//! The projections themselves live in two crates, along the line of how a projector
//! folds them (ADR 15): `learnlog-projector-replicated` (folded whole by every
//! projector: the statement store, credentials, frameworks, classes, the activity
//! catalog, forwarding definitions) and `learnlog-projector-partitioned` (folded by the
//! owner of each partition: documents, mastery, profiles, decisions). Neither appends
//! to the log or reads the wall clock: producers live in the API, time comes from events.

pub mod days;
pub mod learners;
pub mod modality;
pub mod sealing;
pub mod stored_json;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

/// Errors of projection readers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("projection store failed: {0}")]
    Store(#[from] sled::Error),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// A request to build an event broke a rule; the message names the field.
    #[error("{0}")]
    Invalid(String),
}

/// Result of projection readers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Key prefix scoping every record to its tenant: `tenant \0`.
pub fn tenant_prefix(tenant: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(tenant.len() + 17);
    key.extend_from_slice(tenant.as_bytes());
    key.push(0);
    key
}
