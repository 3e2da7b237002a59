//! The projections every projector folds whole, and their readers: the statement store
//! (with canonical activities and agents, and attachments), credentials, competency
//! frameworks, class rosters, the activity catalog and statement-forwarding
//! definitions. xAPI reads join across all of the statements topic's partitions
//! (voiding, definitions, stored order), and the one-partition topics hold a tenant's
//! records in one order, so every process holds all of it (ADR 15).
//!
//! Each projection is a [`learnlog_projection::Fold`]: a deterministic function from
//! events to sled trees. Its reader opens on the [`learnlog_projection::Projection`]
//! that runs it, so no store handle leaves this crate.

pub mod activities;
pub mod agents;
pub mod attachments;
pub mod catalog;
pub mod classes;
pub mod credentials;
pub mod forwardings;
pub mod frameworks;
pub mod statements;
