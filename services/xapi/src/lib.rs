//! The xAPI statement model for learnlog: strict parsing, validation and the
//! stored form of xAPI Statements, for both xAPI 1.0.3 and 2.0 (IEEE 9274.1.1).
//!
//! This crate owns the rules of the statement data model (xAPI Data §2 Statements),
//! what the LRS adds to a statement when it stores it (id, timestamp, stored,
//! authority and version: Data §2.4), and when two statements count as the same
//! (Data §2.3.1 Statement Immutability, §2.6 Signed Statements), and the pure parts
//! of the Statement API around them: response formats and `Accept-Language`
//! (Communication §2.1.3 GET Statements), multipart bodies (Communication §1.5.2)
//! and signed statements (Data §2.6), the canonical Activity and the Person object
//! (Communication §2.5, §2.4). Sections are those of the xAPI specification,
//! <https://github.com/adlnet/xAPI-Spec> (see `docs/design.md`). It is pure: no I/O,
//! no async, no clocks (the caller passes `stored`), and it never panics on input.
//!
//! Statements stay [`serde_json::Value`]s from end to end, so that they are
//! returned exactly as received: key order and number text are preserved
//! (serde_json's `preserve_order` and `arbitrary_precision` features).
//!
//! Every validation failure is a [`ValidationError`] naming the JSON path of the
//! offending value and the rule it breaks.

mod activity;
mod activity_definition;
mod agent;
mod attachment;
mod attachment_parts;
mod batch;
mod context;
mod duration;
mod equivalence;
mod error;
mod format;
mod formats;
mod ids;
mod json;
mod json_limits;
mod language;
mod multipart;
mod path;
mod person;
mod result;
mod signature;
mod statement;
mod storage;
mod timestamp;
mod version;

pub use activity_definition::{activities_in, merge_activity_definition, unknown_activity};
pub use agent::{agent_ifi_key, parse_agent_param};
pub use attachment_parts::{check_attachments, write_multipart};
pub use batch::parse_statement_batch;
pub use duration::duration_millis;
pub use equivalence::{statements_equivalent, statements_equivalent_with, Equivalence};
pub use error::{Result, ValidationError};
pub use format::{to_canonical_format, to_ids_format, StatementFormat};
pub use formats::{is_iri, is_language_tag, is_uuid, parse_uuid};
pub use ids::{statement_id, voided_target, VOIDED_VERB};
pub use json_limits::{check_json_limits, JsonLimitExceeded, JsonLimits};
pub use language::{pick_language, LanguagePreference};
pub use multipart::{parse_multipart, AttachmentPart, Multipart};
pub use person::Person;
pub use signature::{check_signatures, SIGNATURE_USAGE_TYPE};
pub use statement::validate_statement;
pub use storage::{prepare_for_storage, StoredFields};
pub use timestamp::{format_timestamp, parse_timestamp};
pub use version::XapiVersion;
