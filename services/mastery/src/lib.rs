//! The mastery model: for every learner and competency, P(mastered), updated O(1) per
//! piece of evidence.
//!
//! This crate owns the model (Bayesian Knowledge Tracing per competency, [`bkt`]), its
//! fitting by EM ([`em`]), the accuracy metrics ([`metrics`]), a reader of the
//! reference response format ([`data`]), the benchmark harness ([`harness`]) that
//! streams held-out learners through the *same* model code a projection uses, and
//! seeded synthetic logs from a known model to test it against ([`synthetic`]).
//!
//! It must stay pure: no async, no clocks, no randomness in the model, no I/O outside
//! [`data`]. Everything is deterministic, so folding the same evidence with the same
//! parameters always gives the same states.

pub mod bkt;
pub mod data;
pub mod em;
pub mod harness;
pub mod irtf;
pub mod metrics;
pub mod model;
pub mod parameters;
pub mod rng;
pub mod synthetic;

pub use bkt::BktParams;
pub use model::{Evidence, LearnerState, Model, SkillState};
pub use parameters::{Loaded, ParameterSet};

/// What can go wrong reading data or parameters.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("line {line}: {message}")]
    Csv { line: usize, message: String },
    #[error("parameters: {0}")]
    Params(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
