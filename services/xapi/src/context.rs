//! Context (§2.7, §7.2): registration, instructor, team, contextActivities,
//! revision/platform (only for Activity objects), language, statement,
//! extensions, and the 2.0 contextAgents/contextGroups.

use serde_json::Value;

use crate::activity::validate_activity;
use crate::agent::{validate_actor, Expect};
use crate::error::Result;
use crate::json::{array, extensions, iri, language_tag, required, strict_object, string, uuid};
use crate::path::At;
use crate::statement::validate_statement_ref;
use crate::version::XapiVersion;

const KEYS_1_0: [&str; 9] = [
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
];

const KEYS_2_0: [&str; 11] = [
    "registration",
    "instructor",
    "team",
    "contextActivities",
    "revision",
    "platform",
    "language",
    "statement",
    "extensions",
    "contextAgents",
    "contextGroups",
];

/// The keys of `contextActivities`.
pub(crate) const CONTEXT_ACTIVITY_KEYS: [&str; 4] = ["parent", "grouping", "category", "other"];

/// Validates a `context`; `object_is_activity` tells whether the statement's
/// object is an Activity (which `revision` and `platform` require).
pub(crate) fn validate_context(
    value: &Value,
    at: &At<'_>,
    object_is_activity: bool,
    version: XapiVersion,
) -> Result<()> {
    let keys: &[&str] = match version {
        XapiVersion::V1_0_3 => &KEYS_1_0,
        XapiVersion::V2_0_0 => &KEYS_2_0,
    };
    let map = strict_object(value, at, "a context", keys)?;
    if let Some(registration) = map.get("registration") {
        uuid(registration, &at.key("registration"))?;
    }
    if let Some(instructor) = map.get("instructor") {
        validate_actor(instructor, &at.key("instructor"), Expect::AgentOrGroup)?;
    }
    if let Some(team) = map.get("team") {
        validate_actor(team, &at.key("team"), Expect::Group)?;
    }
    if let Some(activities) = map.get("contextActivities") {
        validate_context_activities(activities, &at.key("contextActivities"))?;
    }
    for key in ["revision", "platform"] {
        if let Some(text) = map.get(key) {
            let here = at.key(key);
            string(text, &here)?;
            if !object_is_activity {
                return Err(here.error("is allowed only when the statement object is an activity"));
            }
        }
    }
    if let Some(language) = map.get("language") {
        language_tag(language, &at.key("language"))?;
    }
    if let Some(statement) = map.get("statement") {
        validate_statement_ref(statement, &at.key("statement"))?;
    }
    if let Some(ext) = map.get("extensions") {
        extensions(ext, &at.key("extensions"))?;
    }
    if let Some(agents) = map.get("contextAgents") {
        validate_context_actors(agents, &at.key("contextAgents"), "contextAgent", "agent")?;
    }
    if let Some(groups) = map.get("contextGroups") {
        validate_context_actors(groups, &at.key("contextGroups"), "contextGroup", "group")?;
    }
    Ok(())
}

/// An object with keys parent/grouping/category/other, each an Activity or an
/// array of Activities.
fn validate_context_activities(value: &Value, at: &At<'_>) -> Result<()> {
    let map = strict_object(value, at, "a context activities", &CONTEXT_ACTIVITY_KEYS)?;
    for (key, activities) in map {
        let here = at.key(key);
        match activities {
            Value::Array(list) => {
                for (i, activity) in list.iter().enumerate() {
                    validate_activity(activity, &here.index(i))?;
                }
            }
            _ => validate_activity(activities, &here)?,
        }
    }
    Ok(())
}

/// A 2.0 `contextAgents` / `contextGroups` array:
/// `[{objectType: kind, <member>: Agent|Group, relevantTypes?: [IRI, …]}]`.
fn validate_context_actors(value: &Value, at: &At<'_>, kind: &str, member: &str) -> Result<()> {
    for (i, item) in array(value, at)?.iter().enumerate() {
        let here = at.index(i);
        let what = format!("a {kind}");
        let map = strict_object(item, &here, &what, &["objectType", member, "relevantTypes"])?;
        let object_type = here.key("objectType");
        if string(required(map, &here, "objectType")?, &object_type)? != kind {
            return Err(object_type.error(format!("must be \"{kind}\"")));
        }
        let expect = if member == "agent" {
            Expect::Agent
        } else {
            Expect::Group
        };
        validate_actor(required(map, &here, member)?, &here.key(member), expect)?;
        if let Some(types) = map.get("relevantTypes") {
            let types_at = here.key("relevantTypes");
            let list = array(types, &types_at)?;
            if list.is_empty() {
                return Err(types_at.error("must not be empty"));
            }
            for (j, relevant) in list.iter().enumerate() {
                iri(relevant, &types_at.index(j))?;
            }
        }
    }
    Ok(())
}
