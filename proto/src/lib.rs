//! Protobuf schemas of learnlog's events (`proto/learnlog/v1/*.proto`), compiled with
//! prost. This crate owns the wire format of the log and nothing else: no I/O, no logic
//! beyond encoding helpers.

/// `learnlog.v1`: the events on the log.
pub mod v1 {
    #![allow(clippy::all)]
    include!(concat!(env!("OUT_DIR"), "/learnlog.v1.rs"));
}

pub use prost::Message;

/// The topics of the log and their keys. Part of the wire contract: every backend and
/// every process agrees on these names.
pub mod topics {
    /// Statement submissions and voidings, keyed by statement id.
    pub const STATEMENTS: &str = "statements";
    /// Credential changes, keyed by credential key.
    pub const CREDENTIALS: &str = "credentials";
    /// xAPI document writes and deletes, keyed by a hash of tenant and document set.
    pub const DOCUMENTS: &str = "documents";
    /// Framework imports and activity alignments, keyed by framework or activity id;
    /// one partition.
    pub const FRAMEWORKS: &str = "frameworks";
    /// Accepted statements re-published keyed by learner, goals and mastery-model
    /// parameters: everything the learner projections fold.
    pub const LEARNER_EVENTS: &str = "learner-events";
    /// Class rosters, keyed by class id; one partition.
    pub const CLASSES: &str = "classes";
    /// Statement forwardings, keyed by forwarding id; one partition.
    pub const FORWARDINGS: &str = "forwardings";
    /// On Kafka: the learners' data keys, sealed with the key-encryption key, keyed by
    /// tenant, learner and key id; a destroyed key is a tombstone. Compacted, one
    /// partition. The embedded log keeps keys in the data directory only.
    pub const LEARNER_KEYS: &str = "learner-keys";
}
