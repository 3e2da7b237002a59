//! The canonical Activity (xAPI Communication §2.5 Activities Resource, and the
//! canonical format of §2.1.3 GET Statements): which Activities a statement mentions, and how the definitions of
//! one Activity id, seen in statement after statement, merge into the one the
//! LRS returns.
//!
//! The canonical Activity is `{"objectType":"Activity","id":…,"definition":{…}}`,
//! with `definition` only when it is non-empty. Merging is a pure fold: the
//! caller keeps the current canonical Activity per id and folds every new
//! occurrence into it with [`merge_activity_definition`], in statement order.

use serde_json::{Map, Value};

const CONTEXT_ACTIVITY_KINDS: [&str; 4] = ["parent", "grouping", "category", "other"];

/// Definition properties that are language maps, merged language by language.
const LANGUAGE_MAPS: [&str; 2] = ["name", "description"];

/// The canonical Activity for an id no statement has defined:
/// `{"objectType":"Activity","id":id}`.
pub fn unknown_activity(id: &str) -> Value {
    let mut out = Map::new();
    out.insert("objectType".into(), Value::from("Activity"));
    out.insert("id".into(), Value::from(id));
    Value::Object(out)
}

/// Folds the Activity `incoming` (as it appears in a statement) into the
/// canonical Activity `existing` (`None` the first time the id is seen) and
/// returns the new canonical Activity. The id is `incoming`'s (the caller
/// groups by id). In the definition:
/// - `name` and `description` are merged language by language, the later text
///   winning for a language both have;
/// - `extensions` are merged key by key, the later value winning;
/// - every other property (`type`, `moreInfo`, `interactionType`,
///   `correctResponsesPattern`, and the interaction component lists `choices`,
///   `scale`, `source`, `target`, `steps`) is replaced by the later value.
///
/// Properties only `existing` has are kept, so a later statement that names
/// the Activity without a definition changes nothing.
pub fn merge_activity_definition(existing: Option<&Value>, incoming: &Value) -> Value {
    let id = incoming
        .get("id")
        .or_else(|| existing.and_then(|activity| activity.get("id")))
        .cloned()
        .unwrap_or(Value::Null);
    let mut definition = existing
        .and_then(|activity| activity.get("definition"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(later) = incoming.get("definition").and_then(Value::as_object) {
        merge_definition(&mut definition, later);
    }
    let mut out = Map::new();
    out.insert("objectType".into(), Value::from("Activity"));
    out.insert("id".into(), id);
    if !definition.is_empty() {
        out.insert("definition".into(), Value::Object(definition));
    }
    Value::Object(out)
}

fn merge_definition(definition: &mut Map<String, Value>, later: &Map<String, Value>) {
    for (key, value) in later {
        let merge_by_key = LANGUAGE_MAPS.contains(&key.as_str()) || key == "extensions";
        match (definition.get_mut(key), value) {
            (Some(Value::Object(current)), Value::Object(entries)) if merge_by_key => {
                for (entry, text) in entries {
                    current.insert(entry.clone(), text.clone());
                }
            }
            _ => {
                definition.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Every Activity object in a statement, in document order: the object, the
/// contextActivities of all four kinds (array or single object), then the
/// object and contextActivities of a SubStatement object.
pub fn activities_in(statement: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    collect(statement, &mut out);
    out
}

fn collect<'a>(statement: &'a Value, out: &mut Vec<&'a Value>) {
    let mut sub_statement = None;
    if let Some(object) = statement.get("object").filter(|o| o.is_object()) {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => out.push(object),
            Some("SubStatement") => sub_statement = Some(object),
            Some(_) => {}
        }
    }
    if let Some(kinds) = statement
        .get("context")
        .and_then(|context| context.get("contextActivities"))
        .and_then(Value::as_object)
    {
        for kind in CONTEXT_ACTIVITY_KINDS {
            match kinds.get(kind) {
                Some(Value::Array(activities)) => {
                    out.extend(activities.iter().filter(|a| a.is_object()));
                }
                Some(activity @ Value::Object(_)) => out.push(activity),
                _ => {}
            }
        }
    }
    if let Some(sub_statement) = sub_statement {
        collect(sub_statement, out);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{merge_activity_definition, unknown_activity};

    #[test]
    fn an_unknown_activity_has_no_definition() {
        assert_eq!(
            unknown_activity("http://example.com/a"),
            json!({"objectType": "Activity", "id": "http://example.com/a"})
        );
    }

    #[test]
    fn an_activity_without_definition_gives_a_canonical_activity_without_definition() {
        let merged = merge_activity_definition(None, &json!({"id": "http://example.com/a"}));
        assert_eq!(merged, unknown_activity("http://example.com/a"));
    }
}
