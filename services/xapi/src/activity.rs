//! Activities and their definitions (§2.5): ids, definition properties,
//! interaction types and interaction components.

use std::collections::HashSet;

use serde_json::Value;

use crate::error::Result;
use crate::json::{array, extensions, iri, language_map, required, strict_object, string};
use crate::path::At;

const INTERACTION_TYPES: [&str; 10] = [
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];

/// Properties that make a definition an interaction (they need `interactionType`).
const INTERACTION_PROPERTIES: [&str; 6] = [
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
];

const COMPONENT_LISTS: [&str; 5] = ["choices", "scale", "source", "target", "steps"];

const DEFINITION_KEYS: [&str; 12] = [
    "name",
    "description",
    "type",
    "moreInfo",
    "extensions",
    "interactionType",
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
];

/// Validates an Activity: `objectType` absent or exactly `"Activity"`, an IRI
/// `id`, and an optional definition.
pub(crate) fn validate_activity(value: &Value, at: &At<'_>) -> Result<()> {
    if let Some(kind) = value.get("objectType") {
        if string(kind, &at.key("objectType"))? != "Activity" {
            return Err(at.key("objectType").error("must be \"Activity\""));
        }
    }
    let map = strict_object(
        value,
        at,
        "an activity",
        &["objectType", "id", "definition"],
    )?;
    iri(required(map, at, "id")?, &at.key("id"))?;
    if let Some(definition) = map.get("definition") {
        validate_definition(definition, &at.key("definition"))?;
    }
    Ok(())
}

fn validate_definition(value: &Value, at: &At<'_>) -> Result<()> {
    let map = strict_object(value, at, "an activity definition", &DEFINITION_KEYS)?;
    for key in ["name", "description"] {
        if let Some(text) = map.get(key) {
            language_map(text, &at.key(key))?;
        }
    }
    for key in ["type", "moreInfo"] {
        if let Some(link) = map.get(key) {
            iri(link, &at.key(key))?;
        }
    }
    if let Some(ext) = map.get("extensions") {
        extensions(ext, &at.key("extensions"))?;
    }
    match map.get("interactionType") {
        Some(kind) => {
            let here = at.key("interactionType");
            if !INTERACTION_TYPES.contains(&string(kind, &here)?) {
                return Err(here.error(
                    "must be one of true-false, choice, fill-in, long-fill-in, matching, \
                     performance, sequencing, likert, numeric or other",
                ));
            }
        }
        None => {
            if let Some(key) = INTERACTION_PROPERTIES
                .iter()
                .find(|k| map.contains_key(**k))
            {
                return Err(at
                    .key("interactionType")
                    .error(format!("is required when {key} is present")));
            }
        }
    }
    if let Some(pattern) = map.get("correctResponsesPattern") {
        let here = at.key("correctResponsesPattern");
        for (i, response) in array(pattern, &here)?.iter().enumerate() {
            string(response, &here.index(i))?;
        }
    }
    for key in COMPONENT_LISTS {
        if let Some(list) = map.get(key) {
            validate_components(list, &at.key(key))?;
        }
    }
    Ok(())
}

/// An array of interaction components `{id, description?}` with distinct ids.
fn validate_components(value: &Value, at: &At<'_>) -> Result<()> {
    let mut ids = HashSet::new();
    for (i, component) in array(value, at)?.iter().enumerate() {
        let here = at.index(i);
        let map = strict_object(
            component,
            &here,
            "an interaction component",
            &["id", "description"],
        )?;
        let id = string(required(map, &here, "id")?, &here.key("id"))?;
        if !ids.insert(id) {
            return Err(here
                .key("id")
                .error("duplicates another component id in the list"));
        }
        if let Some(description) = map.get("description") {
            language_map(description, &here.key("description"))?;
        }
    }
    Ok(())
}
