//! End-to-end tests: each starts the real `learnlog` binary on port 0 with a
//! temporary data directory and talks xAPI to it over loopback HTTP; the `kafka` tests
//! run it on a tansu broker of their own.

mod agents_activities;
mod attachments;
mod compatibility;
mod corruption;
mod credentials;
mod dashboard;
mod decisions;
mod disk_full;
mod documents;
mod durability;
mod erasure;
mod forwarding;
mod frameworks;
mod grafana;
mod import_export;
mod kafka;
mod learner_profiles;
mod limits;
mod mastery;
mod openapi;
mod operations;
mod roles;
mod rolling_restart;
mod simulation;
mod statement_queries;
mod statements;
mod streams;
mod support;
mod tenants;
mod upgrades;
mod view_topics;
