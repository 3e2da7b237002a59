//! The crate's one error type. Messages are lowercase, without a trailing period, and
//! name the topic, partition, file or rule involved.

use std::path::PathBuf;

/// The result of every fallible log operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a log operation failed.
///
/// Callers (the API's error mapping) treat every variant as "the log is unavailable or
/// the request is wrong"; nothing here is retried inside the crate. [`Error::Unavailable`]
/// is the one that says "try again later": the backend could not be reached or did not
/// answer within its time bound, and nothing about the log is known to be wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system operation failed; `context` says which and on what path.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The topic was never created with `ensure_topic`.
    #[error("unknown topic {0:?}")]
    UnknownTopic(String),
    /// The partition number is not below the topic's partition count.
    #[error(
        "topic {topic:?} has {partitions} partitions, so partition {partition} does not exist"
    )]
    UnknownPartition {
        topic: String,
        partition: u32,
        partitions: u32,
    },
    /// `ensure_topic` asked for a different partition count than the topic has.
    #[error("topic {topic:?} exists with {existing} partitions, not the {requested} requested")]
    PartitionCountMismatch {
        topic: String,
        existing: u32,
        requested: u32,
    },
    /// The topic name breaks Kafka's naming rule.
    #[error("invalid topic name {topic:?}: {rule}")]
    InvalidTopic { topic: String, rule: &'static str },
    /// A topic must have between 1 and [`crate::MAX_PARTITIONS`] partitions.
    #[error("partition count must be between 1 and {max}, not {requested}")]
    InvalidPartitionCount { requested: u32, max: u32 },
    /// One record's key plus value exceeds [`crate::MAX_RECORD_BYTES`].
    #[error("record of {size} bytes exceeds the limit of {max} bytes")]
    RecordTooLarge { size: usize, max: usize },
    /// Stored data failed a check (CRC, framing, offset chain) where it cannot be a torn
    /// tail: acknowledged data is damaged, so the log refuses to guess.
    #[error("corrupt log file {path}: {reason} at byte {position}")]
    Corrupt {
        path: PathBuf,
        position: u64,
        reason: String,
    },
    /// The log was closed; no more appends are accepted.
    #[error("the log is closed")]
    Closed,
    /// An earlier write or fsync failed, so the writer stopped accepting appends (after a
    /// failed fsync the page cache cannot be trusted); reopen the log to recover.
    #[error("the log writer stopped after an earlier failure: {0}")]
    WriterFailed(String),
    /// Another `EventLog` (in this or another process) has the directory open.
    #[error("log directory {0} is in use by another process or handle")]
    Locked(PathBuf),
    /// The backend cannot do this (consumer groups on the embedded log).
    #[error("{0}")]
    Unsupported(String),
    /// The log URL could not be understood; `reason` names the part and the rule.
    #[error("invalid log url {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The Kafka cluster could not be reached or did not answer within the backend's time
    /// bound (an append not acknowledged in time, a request that timed out, no broker
    /// up). Nothing was acknowledged; an append's records may still have been written.
    /// Transient: later calls on the same handle succeed once the cluster answers again.
    #[error("the log is unavailable: {context}: {reason}")]
    Unavailable { context: String, reason: String },
    /// Kafka refused an operation for a reason other than unavailability (an invalid
    /// replication factor, an authorization failure, an offset no longer retained).
    #[error("{context}: {reason}")]
    Kafka { context: String, reason: String },
}

impl Error {
    /// An [`Error::InvalidUrl`] for `url`.
    pub(crate) fn invalid_url(url: &str, reason: impl Into<String>) -> Self {
        Error::InvalidUrl {
            url: url.to_owned(),
            reason: reason.into(),
        }
    }

    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
