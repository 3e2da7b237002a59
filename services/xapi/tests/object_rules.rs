//! Verbs, Activities and definitions, StatementRefs and SubStatements (§2.4, §2.5).

mod common;

use common::{assert_accepted, assert_rejected, set, substatement, with, BOTH};
use serde_json::{json, Value};

const REF: &str = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0";

fn with_sub(pointer: &str, value: Value) -> Value {
    let mut sub = substatement();
    set(&mut sub, pointer, value);
    with("/object", sub)
}

#[test]
fn verbs_need_an_iri_id_and_an_optional_language_map() {
    for version in BOTH {
        assert_rejected(
            &[
                (
                    "missing id",
                    with("/verb", json!({"display": {"en-US": "x"}})),
                    "verb.id",
                ),
                (
                    "id without scheme",
                    with("/verb/id", json!("attempted")),
                    "verb.id",
                ),
                ("missing verb", common::without("/verb"), "verb"),
                ("missing actor", common::without("/actor"), "actor"),
                ("missing object", common::without("/object"), "object"),
            ],
            version,
        );
    }
}

#[test]
fn activity_definitions_follow_the_interaction_rules() {
    let choices = json!([{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}]);
    for version in BOTH {
        assert_accepted(
            &[
                (
                    "no objectType",
                    with("/object", json!({"id": "http://example.com/a"})),
                ),
                (
                    "full definition",
                    with(
                        "/object/definition",
                        json!({
                            "name": {"en-US": "Q1"}, "description": {"en-US": "first"},
                            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                            "moreInfo": "http://example.com/more", "interactionType": "choice",
                            "correctResponsesPattern": ["a[,]b"], "choices": choices.clone(),
                            "extensions": {"http://example.com/e": 1}
                        }),
                    ),
                ),
                (
                    "likert",
                    with(
                        "/object/definition",
                        json!({"interactionType": "likert", "scale": [{"id": "1"}]}),
                    ),
                ),
                (
                    "matching",
                    with(
                        "/object/definition",
                        json!({"interactionType": "matching", "source": [{"id": "s"}], "target": [{"id": "t"}]}),
                    ),
                ),
                (
                    "performance",
                    with(
                        "/object/definition",
                        json!({"interactionType": "performance", "steps": [{"id": "1"}]}),
                    ),
                ),
                (
                    "every interaction type",
                    with("/object/definition/interactionType", json!("long-fill-in")),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "missing id",
                    with("/object", json!({"objectType": "Activity"})),
                    "object.id",
                ),
                (
                    "pattern without type",
                    with(
                        "/object/definition",
                        json!({"correctResponsesPattern": ["a"]}),
                    ),
                    "object.definition.interactionType",
                ),
                (
                    "choices without type",
                    with("/object/definition", json!({"choices": choices})),
                    "object.definition.interactionType",
                ),
                (
                    "steps without type",
                    with("/object/definition", json!({"steps": []})),
                    "object.definition.interactionType",
                ),
                (
                    "iri interaction type",
                    with(
                        "/object/definition/interactionType",
                        json!("http://example.com/choice"),
                    ),
                    "object.definition.interactionType",
                ),
                (
                    "number interaction type",
                    with("/object/definition/interactionType", json!(1)),
                    "object.definition.interactionType",
                ),
                (
                    "pattern of numbers",
                    with(
                        "/object/definition",
                        json!({"interactionType": "numeric", "correctResponsesPattern": [1]}),
                    ),
                    "object.definition.correctResponsesPattern[0]",
                ),
                (
                    "pattern not an array",
                    with(
                        "/object/definition",
                        json!({"interactionType": "numeric", "correctResponsesPattern": "1"}),
                    ),
                    "object.definition.correctResponsesPattern",
                ),
                (
                    "component without id",
                    with(
                        "/object/definition",
                        json!({"interactionType": "choice", "choices": [{"description": {"en-US": "A"}}]}),
                    ),
                    "object.definition.choices[0].id",
                ),
                (
                    "component id number",
                    with(
                        "/object/definition",
                        json!({"interactionType": "choice", "choices": [{"id": 1}]}),
                    ),
                    "object.definition.choices[0].id",
                ),
                (
                    "component extra key",
                    with(
                        "/object/definition",
                        json!({"interactionType": "choice", "choices": [{"id": "a", "name": "x"}]}),
                    ),
                    "object.definition.choices[0].name",
                ),
                (
                    "duplicate component ids",
                    with(
                        "/object/definition",
                        json!({"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]}),
                    ),
                    "object.definition.choices[1].id",
                ),
                (
                    "bad moreInfo",
                    with("/object/definition/moreInfo", json!("should fail")),
                    "object.definition.moreInfo",
                ),
                (
                    "name as string",
                    with("/object/definition/name", json!("Q1")),
                    "object.definition.name",
                ),
            ],
            version,
        );
    }
}

#[test]
fn statement_refs_need_exact_object_type_and_a_uuid() {
    for version in BOTH {
        assert_accepted(
            &[(
                "ref",
                with("/object", json!({"objectType": "StatementRef", "id": REF})),
            )],
            version,
        );
        assert_rejected(
            &[
                (
                    "bad id",
                    with(
                        "/object",
                        json!({"objectType": "StatementRef", "id": "abc"}),
                    ),
                    "object.id",
                ),
                (
                    "missing id",
                    with("/object", json!({"objectType": "StatementRef"})),
                    "object.id",
                ),
                (
                    "extra key",
                    with(
                        "/object",
                        json!({"objectType": "StatementRef", "id": REF, "name": "x"}),
                    ),
                    "object.name",
                ),
            ],
            version,
        );
    }
}

#[test]
fn substatements_are_validated_like_statements_with_restrictions() {
    for version in BOTH {
        assert_accepted(
            &[
                ("plain", with("/object", substatement())),
                ("with result", with_sub("/result", json!({"success": true}))),
                (
                    "with timestamp",
                    with_sub("/timestamp", json!("2013-05-18T05:32:34.804Z")),
                ),
                (
                    "object agent",
                    with_sub(
                        "/object",
                        json!({"objectType": "Agent", "mbox": "mailto:x@y.z"}),
                    ),
                ),
                (
                    "object ref",
                    with_sub("/object", json!({"objectType": "StatementRef", "id": REF})),
                ),
                (
                    "context activities object",
                    with_sub(
                        "/context/contextActivities/parent",
                        json!({"id": "http://example.com/p"}),
                    ),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                ("id", with_sub("/id", json!(REF)), "object.id"),
                (
                    "stored",
                    with_sub("/stored", json!("2013-05-18T05:32:34.804Z")),
                    "object.stored",
                ),
                (
                    "version",
                    with_sub("/version", json!("1.0.0")),
                    "object.version",
                ),
                (
                    "authority",
                    with_sub("/authority", json!({"mbox": "mailto:a@b.c"})),
                    "object.authority",
                ),
                (
                    "nested",
                    with_sub("/object", substatement()),
                    "object.object.objectType",
                ),
                (
                    "bad actor",
                    with_sub("/actor", json!({"mbox": "x"})),
                    "object.actor.mbox",
                ),
                (
                    "missing verb",
                    {
                        let mut s = substatement();
                        common::remove(&mut s, "/verb");
                        with("/object", s)
                    },
                    "object.verb",
                ),
                (
                    "bad timestamp",
                    with_sub("/timestamp", json!("should fail")),
                    "object.timestamp",
                ),
                ("unknown key", with_sub("/foo", json!(1)), "object.foo"),
            ],
            version,
        );
    }
}
