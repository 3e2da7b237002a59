//! The canonical Activity and the Person object (xAPI Communication §2.4 Agents Resource, §2.5
//! Activities Resource).

use learnlog_xapi::{activities_in, merge_activity_definition, Person};
use serde_json::{json, Value};

fn fold(activities: &[Value]) -> Value {
    activities.iter().fold(Value::Null, |canonical, incoming| {
        merge_activity_definition(canonical.as_object().map(|_| &canonical), incoming)
    })
}

#[test]
fn the_first_definition_becomes_the_canonical_activity_with_object_type() {
    let posted = json!({"id": "http://example.com/a", "definition": {"name": {"en-US": "A"}}});
    assert_eq!(
        merge_activity_definition(None, &posted),
        json!({"objectType": "Activity", "id": "http://example.com/a", "definition": {"name": {"en-US": "A"}}})
    );
}

#[test]
fn language_maps_merge_key_by_key_and_later_scalars_win() {
    let canonical = fold(&[
        json!({"objectType": "Activity", "id": "http://example.com/a", "definition": {
            "name": {"en-US": "A"}, "description": {"en-US": "first"},
            "type": "http://example.com/type/1", "moreInfo": "http://example.com/more",
            "extensions": {"http://example.com/x": 1, "http://example.com/y": 2}}}),
        json!({"id": "http://example.com/a", "definition": {
            "name": {"fr-FR": "A fr"}, "description": {"en-US": "second"},
            "type": "http://example.com/type/2",
            "extensions": {"http://example.com/y": 3}}}),
        json!({"id": "http://example.com/a"}),
    ]);
    assert_eq!(
        canonical,
        json!({"objectType": "Activity", "id": "http://example.com/a", "definition": {
            "name": {"en-US": "A", "fr-FR": "A fr"},
            "description": {"en-US": "second"},
            "type": "http://example.com/type/2",
            "moreInfo": "http://example.com/more",
            "extensions": {"http://example.com/x": 1, "http://example.com/y": 3}}})
    );
}

#[test]
fn interaction_component_lists_are_replaced_by_the_later_one() {
    let canonical = fold(&[
        json!({"id": "http://example.com/q", "definition": {"interactionType": "choice",
            "choices": [{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}]}}),
        json!({"id": "http://example.com/q", "definition": {"interactionType": "choice",
            "choices": [{"id": "c"}]}}),
    ]);
    assert_eq!(canonical["definition"]["choices"], json!([{"id": "c"}]));
}

#[test]
fn activities_in_lists_the_object_context_activities_and_substatement_activities() {
    let statement = json!({
        "actor": {"mbox": "mailto:a@example.com"},
        "verb": {"id": "http://example.com/v"},
        "object": {
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://example.com/v"},
            "object": {"id": "http://example.com/sub-object"},
            "context": {"contextActivities": {"other": {"id": "http://example.com/sub-other"}}}
        },
        "context": {"contextActivities": {
            "parent": [{"id": "http://example.com/parent"}],
            "grouping": {"id": "http://example.com/grouping"},
            "category": [{"id": "http://example.com/category"}],
            "other": [{"id": "http://example.com/other-1"}, {"id": "http://example.com/other-2"}]
        }}
    });
    let ids: Vec<&str> = activities_in(&statement)
        .into_iter()
        .filter_map(|activity| activity["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "http://example.com/parent",
            "http://example.com/grouping",
            "http://example.com/category",
            "http://example.com/other-1",
            "http://example.com/other-2",
            "http://example.com/sub-object",
            "http://example.com/sub-other",
        ]
    );
}

#[test]
fn activities_in_ignores_agent_and_statement_ref_objects() {
    let statement = json!({"object": {"objectType": "StatementRef", "id": "x"}});
    assert!(activities_in(&statement).is_empty());
    let statement = json!({"object": {"objectType": "Agent", "mbox": "mailto:a@example.com"}});
    assert!(activities_in(&statement).is_empty());
}

#[test]
fn a_person_gathers_every_name_and_ifi_without_duplicates_in_order_seen() {
    let mut person = Person::new();
    person.add(&json!({"name": "Ann", "mbox": "mailto:ann@example.com"}));
    person.add(&json!({"objectType": "Agent", "name": "Ann B.", "mbox": "mailto:ann@example.com"}));
    person
        .add(&json!({"name": "Ann", "account": {"homePage": "http://example.com", "name": "ann"}}));
    person.add(&json!({"account": {"homePage": "http://example.com", "name": "ann"}}));
    person.add(&json!({"openid": "http://openid.example.com/ann"}));
    assert_eq!(
        person.to_json(),
        json!({
            "objectType": "Person",
            "name": ["Ann", "Ann B."],
            "mbox": ["mailto:ann@example.com"],
            "openid": ["http://openid.example.com/ann"],
            "account": [{"homePage": "http://example.com", "name": "ann"}]
        })
    );
}

#[test]
fn a_person_built_from_an_unknown_query_agent_has_only_its_ifi() {
    let person = Person::from_agent(&json!({"objectType": "Agent",
        "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}));
    assert_eq!(
        person.to_json(),
        json!({"objectType": "Person", "mbox_sha1sum": ["ebd31e95054c018b10727ccffd2ef2ec3a016ee9"]})
    );
}
