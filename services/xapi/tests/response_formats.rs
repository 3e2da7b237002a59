//! The `ids` and `canonical` statement formats (xAPI Communication §2.1.3 GET Statements).

use learnlog_xapi::{to_canonical_format, to_ids_format, LanguagePreference, StatementFormat};
use serde_json::{json, Value};

fn full_statement() -> Value {
    json!({
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended",
                 "display": {"en-GB": "attended", "en-US": "attended", "fr": "a assisté"}},
        "object": {
            "objectType": "Activity",
            "id": "http://example.com/meetings/1",
            "definition": {
                "name": {"en-GB": "example meeting", "en-US": "example meeting", "fr": "réunion"},
                "description": {"en-GB": "a meeting", "en-US": "a meeting"},
                "type": "http://adlnet.gov/expapi/activities/meeting"
            }
        },
        "context": {
            "instructor": {"name": "Ian", "account": {"homePage": "http://example.com", "name": "ian"}},
            "team": {"objectType": "Group", "name": "Team", "member": [
                {"name": "Bob", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}
            ]},
            "contextActivities": {
                "parent": [{"objectType": "Activity", "id": "http://example.com/parent",
                            "definition": {"name": {"en-US": "parent", "fr": "parent fr"}}}],
                "category": [{"id": "http://example.com/category"}]
            }
        },
        "authority": {"objectType": "Agent", "name": "LRS", "account": {"homePage": "http://lrs", "name": "key"}},
        "attachments": [{
            "usageType": "http://example.com/usage",
            "display": {"en-US": "file", "en-GB": "file (gb)"},
            "description": {"de": "Datei", "en-AU": "file au"},
            "contentType": "text/plain",
            "length": 3,
            "sha2": "abc"
        }]
    })
}

#[test]
fn format_values_are_parsed_with_exact_case_only() {
    assert_eq!(StatementFormat::parse("ids"), Some(StatementFormat::Ids));
    assert_eq!(
        StatementFormat::parse("exact"),
        Some(StatementFormat::Exact)
    );
    assert_eq!(
        StatementFormat::parse("canonical"),
        Some(StatementFormat::Canonical)
    );
    assert_eq!(StatementFormat::parse("IDS"), None);
    assert_eq!(StatementFormat::parse(""), None);
}

#[test]
fn ids_format_keeps_only_identifying_properties_of_agents_groups_activities_and_verbs() {
    let ids = to_ids_format(&full_statement());
    assert_eq!(
        ids["actor"],
        json!({"objectType": "Agent", "mbox": "mailto:ann@example.com"})
    );
    assert_eq!(
        ids["verb"],
        json!({"id": "http://adlnet.gov/expapi/verbs/attended"})
    );
    assert_eq!(
        ids["object"],
        json!({"id": "http://example.com/meetings/1"})
    );
    assert_eq!(
        ids["context"]["instructor"],
        json!({"account": {"homePage": "http://example.com", "name": "ian"}})
    );
    assert_eq!(
        ids["context"]["team"],
        json!({"objectType": "Group", "member": [
            {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}
        ]})
    );
    assert_eq!(
        ids["context"]["contextActivities"]["parent"],
        json!([{"id": "http://example.com/parent"}])
    );
    assert_eq!(
        ids["authority"],
        json!({"objectType": "Agent", "account": {"homePage": "http://lrs", "name": "key"}})
    );
    assert_eq!(ids["id"], full_statement()["id"]);
    assert_eq!(ids["attachments"], full_statement()["attachments"]);
}

#[test]
fn ids_format_reduces_an_identified_group_to_object_type_and_ifi() {
    let mut statement = full_statement();
    statement["actor"] = json!({"objectType": "Group", "name": "G", "mbox": "mailto:g@example.com",
                                "member": [{"mbox": "mailto:m@example.com", "name": "M"}]});
    let ids = to_ids_format(&statement);
    assert_eq!(
        ids["actor"],
        json!({"objectType": "Group", "mbox": "mailto:g@example.com"})
    );
}

#[test]
fn ids_format_keeps_statement_refs_and_reduces_inside_substatements() {
    let mut statement = full_statement();
    let reference =
        json!({"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa1"});
    statement["object"] = reference.clone();
    assert_eq!(to_ids_format(&statement)["object"], reference);

    statement["object"] = json!({
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "name": "Sub", "openid": "http://openid.example.com/sub"},
        "verb": {"id": "http://example.com/verbs/planned", "display": {"en-US": "planned"}},
        "object": {"objectType": "Activity", "id": "http://example.com/sub",
                   "definition": {"name": {"en-US": "sub"}}},
        "context": {"contextActivities": {"grouping": {"id": "http://example.com/g",
                                                       "definition": {"type": "http://example.com/t"}}}}
    });
    let ids = to_ids_format(&statement);
    assert_eq!(
        ids["object"],
        json!({
            "objectType": "SubStatement",
            "actor": {"objectType": "Agent", "openid": "http://openid.example.com/sub"},
            "verb": {"id": "http://example.com/verbs/planned"},
            "object": {"id": "http://example.com/sub"},
            "context": {"contextActivities": {"grouping": {"id": "http://example.com/g"}}}
        })
    );
}

#[test]
fn ids_format_reduces_an_agent_object_and_keeps_a_bare_agent_to_its_ifi() {
    let mut statement = full_statement();
    statement["actor"] = json!({"name": "No type", "mbox": "mailto:n@example.com"});
    statement["object"] =
        json!({"objectType": "Agent", "name": "Obj", "mbox": "mailto:o@example.com"});
    let ids = to_ids_format(&statement);
    assert_eq!(ids["actor"], json!({"mbox": "mailto:n@example.com"}));
    assert_eq!(
        ids["object"],
        json!({"objectType": "Agent", "mbox": "mailto:o@example.com"})
    );
}

#[test]
fn canonical_format_reduces_every_language_map_to_the_en_gb_entry() {
    let canonical_definitions = |id: &str| -> Option<Value> {
        (id == "http://example.com/meetings/1").then(|| {
            json!({
                "objectType": "Activity",
                "id": id,
                "definition": {
                    "name": {"en-GB": "example meeting", "en-US": "example meeting", "fr": "réunion"},
                    "description": {"en-GB": "a meeting", "en-US": "a meeting"},
                    "type": "http://adlnet.gov/expapi/activities/meeting",
                    "moreInfo": "http://example.com/more",
                    "interactionType": "choice",
                    "correctResponsesPattern": ["golf"],
                    "choices": [{"id": "golf", "description": {"en-US": "Golf", "en-GB": "Golf (GB)"}}],
                    "extensions": {"http://example.com/ext": 1}
                }
            })
        })
    };
    let pref = LanguagePreference::parse("en-GB");
    let canonical = to_canonical_format(&full_statement(), &pref, &canonical_definitions);

    assert_eq!(
        canonical["verb"],
        json!({"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-GB": "attended"}})
    );
    assert_eq!(
        canonical["object"],
        json!({
            "objectType": "Activity",
            "id": "http://example.com/meetings/1",
            "definition": {
                "name": {"en-GB": "example meeting"},
                "description": {"en-GB": "a meeting"},
                "type": "http://adlnet.gov/expapi/activities/meeting",
                "moreInfo": "http://example.com/more",
                "interactionType": "choice",
                "correctResponsesPattern": ["golf"],
                "choices": [{"id": "golf", "description": {"en-GB": "Golf (GB)"}}],
                "extensions": {"http://example.com/ext": 1}
            }
        })
    );
    // No canonical definition known: the statement's own, reduced.
    assert_eq!(
        canonical["context"]["contextActivities"]["parent"][0]["definition"]["name"],
        json!({"en-US": "parent"})
    );
    assert_eq!(
        canonical["attachments"][0]["display"],
        json!({"en-GB": "file (gb)"})
    );
    assert_eq!(
        canonical["attachments"][0]["description"]
            .as_object()
            .map(|m| m.len()),
        Some(1)
    );
    // Agents are returned as in exact.
    assert_eq!(canonical["actor"], full_statement()["actor"]);
    assert_eq!(
        canonical["context"]["team"],
        full_statement()["context"]["team"]
    );
}

#[test]
fn canonical_format_replaces_activities_inside_substatements() {
    let mut statement = full_statement();
    statement["object"] = json!({
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://example.com/verbs/planned", "display": {"fr": "planifié", "en-US": "planned"}},
        "object": {"id": "http://example.com/sub"}
    });
    let lookup = |id: &str| {
        Some(json!({"objectType": "Activity", "id": id, "definition": {"name": {"en-US": "sub"}}}))
    };
    let canonical = to_canonical_format(
        &statement,
        &LanguagePreference::parse("fr-CA, en;q=0.5"),
        &lookup,
    );
    assert_eq!(
        canonical["object"]["verb"]["display"],
        json!({"fr": "planifié"})
    );
    assert_eq!(
        canonical["object"]["object"],
        json!({"objectType": "Activity", "id": "http://example.com/sub", "definition": {"name": {"en-US": "sub"}}})
    );
    assert_eq!(
        canonical["context"]["contextActivities"]["category"][0]["id"],
        "http://example.com/category"
    );
    assert_eq!(
        canonical["context"]["contextActivities"]["category"][0]["objectType"],
        "Activity"
    );
}
