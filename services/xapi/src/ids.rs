//! Reading identities out of a statement: its id and the statement it voids.

use serde_json::Value;

use crate::formats::parse_uuid;

/// The verb id that makes a statement a voiding statement.
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

/// The statement's `id`, if present and a valid hyphenated UUID.
pub fn statement_id(statement: &Value) -> Option<uuid::Uuid> {
    statement.get("id")?.as_str().and_then(parse_uuid)
}

/// If the statement voids another (verb id exactly
/// `http://adlnet.gov/expapi/verbs/voided`, object a StatementRef), the id of
/// the statement it voids.
pub fn voided_target(statement: &Value) -> Option<uuid::Uuid> {
    if statement.get("verb")?.get("id")?.as_str()? != VOIDED_VERB {
        return None;
    }
    let object = statement.get("object")?;
    if object.get("objectType")?.as_str()? != "StatementRef" {
        return None;
    }
    object.get("id")?.as_str().and_then(parse_uuid)
}
