//! Response formats of statements (xAPI Communication §2.1.3 GET Statements): `exact`, `ids` and
//! `canonical`. This module owns how a stored statement is reshaped for a GET
//! response; choosing a language per language map lives in [`crate::language`].
//!
//! The functions take and return whole statements and never fail: a value that
//! is not shaped as expected (it cannot be, for a validated statement) is left
//! as it is.

use serde_json::{Map, Value};

use crate::language::{reduce_language_map, LanguagePreference};

/// The `format` parameter of GET /statements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatementFormat {
    /// The statements as stored (the default).
    #[default]
    Exact,
    /// Agents, Groups, Activities and Verbs reduced to what identifies them.
    Ids,
    /// Activities replaced by their canonical definition, every language map
    /// reduced to one entry chosen by `Accept-Language`.
    Canonical,
}

impl StatementFormat {
    /// Parses the parameter value (`exact`, `ids`, `canonical`; exact case,
    /// like every xAPI parameter value); `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "exact" => Some(StatementFormat::Exact),
            "ids" => Some(StatementFormat::Ids),
            "canonical" => Some(StatementFormat::Canonical),
            _ => None,
        }
    }
}

const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];
const CONTEXT_ACTIVITY_KINDS: [&str; 4] = ["parent", "grouping", "category", "other"];
const COMPONENT_LISTS: [&str; 5] = ["choices", "scale", "source", "target", "steps"];

/// The statement in the `ids` format: Agents keep their IFI (and `objectType`
/// when present), identified Groups become `objectType` plus IFI, anonymous
/// Groups `objectType` plus members reduced likewise, Activities `{"id"}` and
/// Verbs `{"id"}`. StatementRefs and SubStatements keep their structure; the
/// actors, verb, object and context of a SubStatement are reduced too, as are
/// the authority, context instructor and team, contextAgents, contextGroups
/// and contextActivities.
pub fn to_ids_format(statement: &Value) -> Value {
    let mut out = statement.clone();
    ids_in_statement(&mut out);
    if let Some(authority) = out.get_mut("authority") {
        *authority = ids_actor(authority);
    }
    out
}

/// Reduces the parts a statement and a SubStatement have in common.
fn ids_in_statement(statement: &mut Value) {
    let Some(map) = statement.as_object_mut() else {
        return;
    };
    if let Some(actor) = map.get_mut("actor") {
        *actor = ids_actor(actor);
    }
    if let Some(verb) = map.get_mut("verb") {
        *verb = only_id(verb);
    }
    if let Some(object) = map.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => *object = only_id(object),
            Some("Agent" | "Group") => *object = ids_actor(object),
            Some("SubStatement") => ids_in_statement(object),
            Some(_) => {}
        }
    }
    if let Some(context) = map.get_mut("context").and_then(Value::as_object_mut) {
        for key in ["instructor", "team"] {
            if let Some(actor) = context.get_mut(key) {
                *actor = ids_actor(actor);
            }
        }
        for (list, key) in [("contextAgents", "agent"), ("contextGroups", "group")] {
            if let Some(Value::Array(entries)) = context.get_mut(list) {
                for entry in entries {
                    if let Some(actor) = entry.get_mut(key) {
                        *actor = ids_actor(actor);
                    }
                }
            }
        }
        for_each_context_activity(context, |activity| *activity = only_id(activity));
    }
}

/// An Agent or Group reduced to `objectType` (when present) and its IFI; an
/// anonymous Group keeps its members, each reduced.
fn ids_actor(actor: &Value) -> Value {
    let Some(map) = actor.as_object() else {
        return actor.clone();
    };
    let mut out = Map::new();
    if let Some(kind) = map.get("objectType") {
        out.insert("objectType".into(), kind.clone());
    }
    for key in IFIS {
        if let Some(ifi) = map.get(key) {
            out.insert(key.into(), ifi.clone());
        }
    }
    let identified = out.len() > usize::from(map.contains_key("objectType"));
    if !identified {
        if let Some(Value::Array(members)) = map.get("member") {
            let members = members.iter().map(ids_actor).collect();
            out.insert("member".into(), Value::Array(members));
        }
    }
    Value::Object(out)
}

/// `{"id": …}` alone, for Activities and Verbs.
fn only_id(value: &Value) -> Value {
    match value.get("id") {
        Some(id) => {
            let mut out = Map::new();
            out.insert("id".into(), id.clone());
            Value::Object(out)
        }
        None => value.clone(),
    }
}

/// Calls `f` on every Activity in a context's contextActivities, whether each
/// kind holds an array (the stored form) or a single object (1.0.3 input).
pub(crate) fn for_each_context_activity(
    context: &mut Map<String, Value>,
    mut f: impl FnMut(&mut Value),
) {
    let Some(kinds) = context
        .get_mut("contextActivities")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for kind in CONTEXT_ACTIVITY_KINDS {
        match kinds.get_mut(kind) {
            Some(Value::Array(activities)) => activities.iter_mut().for_each(&mut f),
            Some(activity @ Value::Object(_)) => f(activity),
            _ => {}
        }
    }
}

/// The statement in the `canonical` format: every Activity (object,
/// contextActivities, and those of a SubStatement) replaced by the canonical
/// Activity `canonical_activity` returns for its id (kept as it is when that
/// returns `None`), and every language map (verb display, definition name and
/// description, interaction component descriptions, attachment display and
/// description) reduced to the one entry `pref` picks. Agents and Groups are
/// returned as stored.
pub fn to_canonical_format(
    statement: &Value,
    pref: &LanguagePreference,
    canonical_activity: &dyn Fn(&str) -> Option<Value>,
) -> Value {
    let mut out = statement.clone();
    canonical_in_statement(&mut out, pref, canonical_activity);
    out
}

fn canonical_in_statement(
    statement: &mut Value,
    pref: &LanguagePreference,
    canonical_activity: &dyn Fn(&str) -> Option<Value>,
) {
    let Some(map) = statement.as_object_mut() else {
        return;
    };
    if let Some(display) = map.get_mut("verb").and_then(|verb| verb.get_mut("display")) {
        reduce_language_map(display, pref);
    }
    let mut activity = |activity: &mut Value| {
        let canonical = activity
            .get("id")
            .and_then(Value::as_str)
            .and_then(canonical_activity);
        if let Some(canonical) = canonical {
            *activity = canonical;
        }
        if let Some(definition) = activity.get_mut("definition") {
            reduce_definition(definition, pref);
        }
    };
    if let Some(object) = map.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => activity(object),
            Some("SubStatement") => canonical_in_statement(object, pref, canonical_activity),
            Some(_) => {}
        }
    }
    if let Some(context) = map.get_mut("context").and_then(Value::as_object_mut) {
        for_each_context_activity(context, &mut activity);
    }
    if let Some(Value::Array(attachments)) = map.get_mut("attachments") {
        for attachment in attachments {
            for key in ["display", "description"] {
                if let Some(text) = attachment.get_mut(key) {
                    reduce_language_map(text, pref);
                }
            }
        }
    }
}

/// Reduces the name, the description and every interaction component's
/// description of an activity definition to one language.
fn reduce_definition(definition: &mut Value, pref: &LanguagePreference) {
    let Some(map) = definition.as_object_mut() else {
        return;
    };
    for key in ["name", "description"] {
        if let Some(text) = map.get_mut(key) {
            reduce_language_map(text, pref);
        }
    }
    for list in COMPONENT_LISTS {
        if let Some(Value::Array(components)) = map.get_mut(list) {
            for component in components {
                if let Some(text) = component.get_mut("description") {
                    reduce_language_map(text, pref);
                }
            }
        }
    }
}
