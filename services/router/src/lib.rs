//! The api role of a Kafka deployment (docs/adr/0010): an HTTP front door that keeps no
//! state and sends each request to a projector.
//!
//! Projectors fold the statement store whole, so statement, activity, agent and
//! administrative requests go to any ready projector. Documents and learner views
//! live with the projector that owns their partition: a projector asked about a
//! partition it does not own answers 421 naming it, and the request is sent again to
//! the owner. Queries across learners go to every owner and their answers are merged.
//! While a partition has no owner (a rebalance, a projector killed) requests wait,
//! bounded, then answer 503 with `Retry-After`.
//!
//! Modules: [`directory`] (where the projectors are and what they own), [`forward`]
//! (one request to one projector), [`scatter`] (merging answers of all owners),
//! [`server`] (the routes and the retry loop).

pub mod directory;
mod forward;
mod metrics;
mod scatter;
pub mod server;

pub use directory::Directory;
pub use server::{RouterOptions, RouterServer};
