//! The HTTP front door of learnlog (actix-web).
//!
//! It owns the xAPI resources under `/xapi/`, authentication, version negotiation,
//! and the operational endpoints `/healthz`, `/readyz` and `/metrics`. Writes are
//! validated here, appended to the log, and acknowledged only once durable; when a
//! write must know what the projection decided (409 for a conflicting id) it waits,
//! bounded, for the fold's recorded outcome. Reads come from projections, never from
//! state of its own.

mod auth;
mod decisions;
mod disk_space;
pub mod durable_file;
mod error;
pub mod forwarding;
mod ingest;
mod metrics;
mod middleware;
mod openapi;
mod ownership;
mod rate_limit;
mod routes;
mod server;
mod state;
mod statement_claims;
mod streams;
pub mod view_topics;

pub use auth::{SLOW_VERIFICATIONS_BURST, SLOW_VERIFICATIONS_PER_SECOND};
pub use disk_space::DiskSpace;
pub use error::ApiError;
pub use middleware::VersionMemory;
pub use ownership::{OwnedPartitions, PARTITION_HEADER};
pub use rate_limit::CredentialRateLimits;
pub use server::{connections_per_worker, ApiServer, ServerOptions};
pub use state::{AppState, Limits, PersonalData};
pub use statement_claims::StatementClaims;
