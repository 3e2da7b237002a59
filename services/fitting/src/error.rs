//! Why a fit or a publication did not happen.

/// What stopped a fit or a publication.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The tenant has no scored statement on an aligned activity yet: nothing to fit on.
    #[error("no evidence to fit on: no scored statements on aligned activities yet")]
    NoEvidence,
    /// Reading the evidence or appending the parameters failed.
    #[error(transparent)]
    Log(#[from] learnlog_log::Error),
    /// The mastery projection did not fold the published parameters in time.
    #[error(transparent)]
    Projection(#[from] learnlog_projection::Error),
    /// The fitting task panicked or was cancelled.
    #[error("fitting: {0}")]
    Task(#[from] tokio::task::JoinError),
}
