//! General rules of §2.1: strict keys, no nulls, exact types, case-sensitive
//! enums, empty objects, IRIs, UUIDs, language maps, extensions.

mod common;

use common::{assert_accepted, assert_rejected, base, with, BOTH};
use serde_json::json;

#[test]
fn unknown_and_wrong_case_properties_are_rejected_at_every_level() {
    for version in BOTH {
        assert_rejected(
            &[
                (
                    "iD",
                    with("/iD", json!("fd41c918-b88b-4b20-a0a5-a4c32391aaa0")),
                    "iD",
                ),
                (
                    "Actor",
                    with("/Actor", json!({"mbox": "mailto:a@b.c"})),
                    "Actor",
                ),
                (
                    "timeStamp",
                    with("/timeStamp", json!("2013-05-18T05:32:34.804Z")),
                    "timeStamp",
                ),
                ("Version", with("/Version", json!("1.0.0")), "Version"),
                (
                    "attachmentS",
                    with("/attachmentS", json!([])),
                    "attachmentS",
                ),
                ("dummy", with("/dummy", json!("x")), "dummy"),
                ("actor extra", with("/actor/foo", json!("x")), "actor.foo"),
                (
                    "verb extra",
                    with("/verb/Display", json!({})),
                    "verb.Display",
                ),
                (
                    "object extra",
                    with("/object/name", json!("x")),
                    "object.name",
                ),
                (
                    "definition extra",
                    with("/object/definition/foo", json!(1)),
                    "object.definition.foo",
                ),
                ("result extra", with("/result/foo", json!(1)), "result.foo"),
                (
                    "score extra",
                    with("/result/score/foo", json!(1)),
                    "result.score.foo",
                ),
                (
                    "context extra",
                    with("/context/foo", json!(1)),
                    "context.foo",
                ),
                (
                    "account extra",
                    with(
                        "/actor/account",
                        json!({"homePage": "http://a.b", "name": "x", "foo": 1}),
                    ),
                    "actor.account.foo",
                ),
            ],
            version,
        );
    }
}

#[test]
fn nulls_are_rejected_except_inside_extension_values() {
    for version in BOTH {
        assert_rejected(
            &[
                ("name null", with("/actor/name", json!(null)), "actor.name"),
                (
                    "display value null",
                    with("/verb/display", json!({"en-US": null})),
                    "verb.display[\"en-US\"]",
                ),
                (
                    "registration null",
                    with("/context/registration", json!(null)),
                    "context.registration",
                ),
                (
                    "moreInfo null",
                    with("/object/definition/moreInfo", json!(null)),
                    "object.definition.moreInfo",
                ),
                ("result null", with("/result", json!(null)), "result"),
            ],
            version,
        );
        assert_accepted(
            &[
                (
                    "extension value null",
                    with("/context/extensions", json!({"http://example.com/e": null})),
                ),
                (
                    "extension value empty",
                    with(
                        "/result/extensions",
                        json!({"http://example.com/e": "", "http://example.com/f": {}}),
                    ),
                ),
                (
                    "extension value nested null",
                    with(
                        "/object/definition/extensions",
                        json!({"http://example.com/e": {"a": [null]}}),
                    ),
                ),
            ],
            version,
        );
    }
}

#[test]
fn values_of_the_wrong_json_type_are_rejected() {
    for version in BOTH {
        assert_rejected(
            &[
                (
                    "raw as string",
                    with("/result/score/raw", json!("100")),
                    "result.score.raw",
                ),
                (
                    "success as string",
                    with("/result/success", json!("false")),
                    "result.success",
                ),
                (
                    "completion as number",
                    with("/result/completion", json!(1)),
                    "result.completion",
                ),
                (
                    "response as number",
                    with("/result/response", json!(12345)),
                    "result.response",
                ),
                (
                    "score as number",
                    with("/result/score", json!(12345)),
                    "result.score",
                ),
                (
                    "attachments as object",
                    with("/attachments", json!({})),
                    "attachments",
                ),
                (
                    "attachment as number",
                    with("/attachments", json!([1])),
                    "attachments[0]",
                ),
                (
                    "display as string",
                    with("/verb/display", json!("attempted")),
                    "verb.display",
                ),
                (
                    "display as number",
                    with("/verb/display", json!(7)),
                    "verb.display",
                ),
                (
                    "definition as string",
                    with("/object/definition", json!("x")),
                    "object.definition",
                ),
                (
                    "name as object",
                    with("/actor/name", json!({"a": 1})),
                    "actor.name",
                ),
                (
                    "objectType as number",
                    with("/actor/objectType", json!(1)),
                    "actor.objectType",
                ),
                ("statement as array", json!([base()]), "$"),
            ],
            version,
        );
    }
}

#[test]
fn enumerated_values_are_case_sensitive() {
    for version in BOTH {
        assert_rejected(
            &[
                (
                    "agent",
                    with("/actor/objectType", json!("agent")),
                    "actor.objectType",
                ),
                (
                    "group",
                    with("/actor", json!({"objectType": "group", "member": []})),
                    "actor.objectType",
                ),
                (
                    "activity",
                    with("/object/objectType", json!("activity")),
                    "object.objectType",
                ),
                (
                    "statementref",
                    with(
                        "/object",
                        json!({"objectType": "statementref", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}),
                    ),
                    "object.objectType",
                ),
                (
                    "substatement",
                    with("/object/objectType", json!("substatement")),
                    "object.objectType",
                ),
                (
                    "true-faLse",
                    with("/object/definition/interactionType", json!("true-faLse")),
                    "object.definition.interactionType",
                ),
                (
                    "Other",
                    with("/object/definition/interactionType", json!("Other")),
                    "object.definition.interactionType",
                ),
            ],
            version,
        );
    }
}

#[test]
fn empty_objects_are_allowed() {
    for version in BOTH {
        assert_accepted(
            &[
                ("definition", with("/object/definition", json!({}))),
                ("context", with("/context", json!({}))),
                ("extensions", with("/context/extensions", json!({}))),
                ("result", with("/result", json!({}))),
                ("score", with("/result/score", json!({}))),
                ("display", with("/verb/display", json!({}))),
                (
                    "contextActivities",
                    with("/context/contextActivities", json!({})),
                ),
            ],
            version,
        );
    }
}

#[test]
fn every_iri_field_needs_an_absolute_iri_with_a_scheme() {
    let bad = [
        "ab=c://should.fail.com",
        "not.a.valid.iri.com/verb",
        "example.com/x",
        "should fail",
        "abc",
        "",
    ];
    let fields = [
        ("/verb/id", "verb.id"),
        ("/object/id", "object.id"),
        ("/object/definition/type", "object.definition.type"),
        ("/object/definition/moreInfo", "object.definition.moreInfo"),
        ("/actor/openid", "actor.openid"),
    ];
    for version in BOTH {
        let mut cases = Vec::new();
        for (pointer, path) in fields {
            for value in bad {
                let mut statement = with(pointer, json!(value));
                if pointer == "/actor/openid" {
                    common::remove(&mut statement, "/actor/mbox");
                }
                cases.push((value, statement, path));
            }
        }
        assert_rejected(&cases, version);
        assert_accepted(
            &[
                (
                    "unnormalized path",
                    with("/object/id", json!("http://example.com/path/../x")),
                ),
                ("urn", with("/object/id", json!("urn:example:activity:1"))),
            ],
            version,
        );
    }
}

#[test]
fn uuids_must_be_hyphenated_hex_of_either_case() {
    for version in BOTH {
        assert_accepted(
            &[
                (
                    "lowercase",
                    with("/id", json!("fd41c918-b88b-4b20-a0a5-a4c32391aaa0")),
                ),
                (
                    "uppercase",
                    with("/id", json!("FD41C918-B88B-4B20-A0A5-A4C32391AAA0")),
                ),
                (
                    "registration",
                    with(
                        "/context/registration",
                        json!("ec531277-b57b-4c15-8d91-d292c5b2b8f7"),
                    ),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "too many digits",
                    with("/id", json!("fd41c918-b88b-4b20-a0a5-a4c32391aaa00")),
                    "id",
                ),
                (
                    "non-hex letter",
                    with("/id", json!("fd41c918-b88b-4b20-a0a5-a4c32391aaag")),
                    "id",
                ),
                (
                    "simple form",
                    with("/id", json!("fd41c918b88b4b20a0a5a4c32391aaa0")),
                    "id",
                ),
                (
                    "urn form",
                    with(
                        "/id",
                        json!("urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
                    ),
                    "id",
                ),
                ("number", with("/id", json!(12)), "id"),
                (
                    "registration",
                    with("/context/registration", json!("abc")),
                    "context.registration",
                ),
            ],
            version,
        );
    }
}

#[test]
fn language_maps_and_context_language_need_rfc_5646_tags() {
    let good = [
        "de",
        "de-DE",
        "zh-Hant",
        "sr-Latn-RS",
        "sr-Cyrl",
        "zh-Hans-CN",
        "cmn",
        "ase",
        "tlh",
        "es-MX",
        "fr-CA",
        "ja",
        "en",
    ];
    let bad = [
        "something",
        "a12345",
        "a12345678",
        "s-something",
        "en-something-AU",
        "zh-something-ccc",
    ];
    for version in BOTH {
        let mut accepted = Vec::new();
        for tag in good {
            accepted.push((tag, with("/verb/display", json!({ tag: "x" }))));
            accepted.push((tag, with("/context/language", json!(tag))));
        }
        assert_accepted(&accepted, version);
        let mut rejected = Vec::new();
        for tag in bad {
            let key = if tag.contains('-') {
                format!("[\"{tag}\"]")
            } else {
                format!(".{tag}")
            };
            rejected.push((
                tag,
                with("/verb/display", json!({ tag: "x" })),
                format!("verb.display{key}"),
            ));
            rejected.push((
                tag,
                with("/context/language", json!(tag)),
                "context.language".to_string(),
            ));
            rejected.push((
                tag,
                with("/object/definition/name", json!({ tag: "x" })),
                format!("object.definition.name{key}"),
            ));
        }
        let rejected: Vec<_> = rejected
            .iter()
            .map(|(l, s, p)| (*l, s.clone(), p.as_str()))
            .collect();
        assert_rejected(&rejected, version);
    }
}

#[test]
fn extension_keys_must_be_iris() {
    for version in BOTH {
        assert_rejected(
            &[
                (
                    "space",
                    with("/context/extensions", json!({"should fail": 1})),
                    "context.extensions[\"should fail\"]",
                ),
                (
                    "no scheme",
                    with(
                        "/result/extensions",
                        json!({"example.com/extension/wrong": 1}),
                    ),
                    "result.extensions[\"example.com/extension/wrong\"]",
                ),
                (
                    "plain word",
                    with("/object/definition/extensions", json!({"id": 1})),
                    "object.definition.extensions.id",
                ),
                (
                    "not an object",
                    with("/context/extensions", json!([])),
                    "context.extensions",
                ),
            ],
            version,
        );
    }
}
