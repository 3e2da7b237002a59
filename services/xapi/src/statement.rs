//! Statements and SubStatements (§2.2, §2.4, §2.5): the top-level properties,
//! the verb, the object (Activity, Agent, Group, StatementRef, SubStatement),
//! and the version-dependent rules.

use serde_json::{Map, Value};

use crate::activity::validate_activity;
use crate::agent::{validate_actor, validate_authority, Expect};
use crate::attachment::validate_attachments;
use crate::context::validate_context;
use crate::error::Result;
use crate::ids::VOIDED_VERB;
use crate::json::{iri, language_map, required, strict_object, string, timestamp, uuid};
use crate::path::At;
use crate::result::validate_result;
use crate::version::XapiVersion;

const STATEMENT_KEYS: [&str; 11] = [
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];

const SUBSTATEMENT_KEYS: [&str; 8] = [
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
];

/// Properties a Statement has and a SubStatement must not.
const NOT_IN_SUBSTATEMENT: [&str; 4] = ["id", "stored", "version", "authority"];

/// Validates one statement value against every rule of §2 for `version`, at
/// every depth including SubStatements. Error paths are relative to the
/// statement (`actor.mbox`; `$` for the statement itself).
pub fn validate_statement(statement: &Value, version: XapiVersion) -> Result<()> {
    validate_statement_at(statement, &At::root(""), version)
}

pub(crate) fn validate_statement_at(
    value: &Value,
    at: &At<'_>,
    version: XapiVersion,
) -> Result<()> {
    let map = strict_object(value, at, "a statement", &STATEMENT_KEYS)?;
    if let Some(id) = map.get("id") {
        uuid(id, &at.key("id"))?;
    }
    validate_core(map, at, version, true)?;
    if let Some(stored) = map.get("stored") {
        timestamp(stored, &at.key("stored"))?;
    }
    if let Some(authority) = map.get("authority") {
        validate_authority(authority, &at.key("authority"))?;
    }
    if let Some(statement_version) = map.get("version") {
        let here = at.key("version");
        if !version.accepts_statement_version(string(statement_version, &here)?) {
            return Err(here.error(match version {
                XapiVersion::V1_0_3 => "must be 1.0 or 1.0.x",
                XapiVersion::V2_0_0 => "must be 1.0, 1.0.x, 2.0 or 2.0.x",
            }));
        }
    }
    let voids = map
        .get("verb")
        .and_then(|verb| verb.get("id"))
        .and_then(Value::as_str)
        == Some(VOIDED_VERB);
    let object = map.get("object");
    if voids
        && object
            .and_then(|o| o.get("objectType"))
            .and_then(Value::as_str)
            != Some("StatementRef")
    {
        return Err(at
            .key("object")
            .error("must be a statementref when the verb is voided"));
    }
    Ok(())
}

/// The properties Statements and SubStatements share: actor, verb, object,
/// result, context, timestamp, attachments. `allow_substatement` is false
/// inside a SubStatement.
fn validate_core(
    map: &Map<String, Value>,
    at: &At<'_>,
    version: XapiVersion,
    allow_substatement: bool,
) -> Result<()> {
    validate_actor(
        required(map, at, "actor")?,
        &at.key("actor"),
        Expect::AgentOrGroup,
    )?;
    validate_verb(required(map, at, "verb")?, &at.key("verb"))?;
    let object = required(map, at, "object")?;
    let object_is_activity =
        validate_object(object, &at.key("object"), version, allow_substatement)?;
    if let Some(result) = map.get("result") {
        validate_result(result, &at.key("result"))?;
    }
    if let Some(context) = map.get("context") {
        validate_context(context, &at.key("context"), object_is_activity, version)?;
    }
    if let Some(time) = map.get("timestamp") {
        timestamp(time, &at.key("timestamp"))?;
    }
    if let Some(attachments) = map.get("attachments") {
        validate_attachments(attachments, &at.key("attachments"))?;
    }
    Ok(())
}

fn validate_verb(value: &Value, at: &At<'_>) -> Result<()> {
    let map = strict_object(value, at, "a verb", &["id", "display"])?;
    iri(required(map, at, "id")?, &at.key("id"))?;
    if let Some(display) = map.get("display") {
        language_map(display, &at.key("display"))?;
    }
    Ok(())
}

/// Validates a statement's object; returns whether it is an Activity.
/// `allow_substatement` is false inside a SubStatement.
fn validate_object(
    value: &Value,
    at: &At<'_>,
    version: XapiVersion,
    allow_substatement: bool,
) -> Result<bool> {
    if !value.is_object() {
        return Err(at.error("must be an object"));
    }
    let kind = match value.get("objectType") {
        None if ["mbox", "mbox_sha1sum", "openid", "account", "member"]
            .iter()
            .any(|key| value.get(key).is_some()) =>
        {
            return Err(at
                .key("objectType")
                .error("is required for an agent or group used as a statement object"))
        }
        None => "Activity",
        Some(kind) => string(kind, &at.key("objectType"))?,
    };
    match kind {
        "Activity" => validate_activity(value, at).map(|()| true),
        "Agent" | "Group" => validate_actor(value, at, Expect::AgentOrGroupTyped).map(|_| false),
        "StatementRef" => validate_statement_ref(value, at).map(|()| false),
        "SubStatement" if allow_substatement => {
            validate_substatement(value, at, version).map(|()| false)
        }
        "SubStatement" => Err(at
            .key("objectType")
            .error("a substatement must not contain another substatement")),
        _ => Err(at
            .key("objectType")
            .error("must be one of Activity, Agent, Group, StatementRef or SubStatement")),
    }
}

fn validate_substatement(value: &Value, at: &At<'_>, version: XapiVersion) -> Result<()> {
    if let Some(key) = NOT_IN_SUBSTATEMENT
        .iter()
        .find(|key| value.get(**key).is_some())
    {
        return Err(at.key(key).error("is not allowed in a substatement"));
    }
    let map = strict_object(value, at, "a substatement", &SUBSTATEMENT_KEYS)?;
    validate_core(map, at, version, false)
}

/// A StatementRef: `{objectType: "StatementRef", id: UUID}`.
pub(crate) fn validate_statement_ref(value: &Value, at: &At<'_>) -> Result<()> {
    let map = strict_object(value, at, "a statement reference", &["objectType", "id"])?;
    let here = at.key("objectType");
    if string(required(map, at, "objectType")?, &here)? != "StatementRef" {
        return Err(here.error("must be \"StatementRef\""));
    }
    uuid(required(map, at, "id")?, &at.key("id"))?;
    Ok(())
}
