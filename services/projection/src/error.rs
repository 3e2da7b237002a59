//! Errors of the fold runtime.

/// Result of runtime operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while running a projection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("projection state store failed: {0}")]
    Store(#[from] sled::Error),
    #[error("log failed: {0}")]
    Log(#[from] learnlog_log::Error),
    #[error("projection {projection} does not read topic {topic}")]
    UnknownTopic { projection: String, topic: String },
    #[error("waiting for {topic}/{partition} offset {offset} timed out")]
    Timeout {
        topic: String,
        partition: u32,
        offset: u64,
    },
    #[error("projection value log: {0}")]
    Values(String),
    #[error("projection task failed: {0}")]
    Task(String),
    #[error("a fold cannot reach what an event needs: {0}")]
    Unavailable(String),
}
