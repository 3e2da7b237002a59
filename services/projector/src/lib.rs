//! The projections of learnlog and their readers.
//!
//! Each projection here is a [`learnlog_projection::Fold`]: a deterministic function
//! from events to sled trees. Each comes with a reader that answers queries from those
//! trees. This crate must not append to the log or read the wall clock: producers live
//! in the API, time comes from events.

pub mod activities;
pub mod agents;
pub mod attachments;
pub mod catalog;
pub mod classes;
pub mod credentials;
pub mod decisions;
pub mod documents;
pub mod forwardings;
pub mod frameworks;
pub mod learners;
pub mod mastery;
pub mod profiles;
pub mod statements;
mod stored_json;
#[cfg(test)]
mod test_support;

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
pub(crate) fn tenant_prefix(tenant: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(tenant.len() + 17);
    key.extend_from_slice(tenant.as_bytes());
    key.push(0);
    key
}
