//! Result, Score, durations, Context, timestamps, attachments, authority-free
//! statement properties, voiding and the 2.0-only rules (§2.2, §2.6–§2.9, §7).

mod common;

use common::{assert_accepted, assert_rejected, substatement, with, BOTH};
use learnlog_xapi::XapiVersion::{V1_0_3, V2_0_0};
use serde_json::json;

const REF: &str = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0";
const SHA256: &str = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a";

#[test]
fn scores_are_range_checked() {
    for version in BOTH {
        assert_accepted(
            &[
                ("scaled 1.0", with("/result/score", json!({"scaled": 1.0}))),
                (
                    "scaled -1.0000",
                    with(
                        "/result/score",
                        serde_json::from_str(r#"{"scaled": -1.0000}"#).unwrap(),
                    ),
                ),
                (
                    "raw in range",
                    with(
                        "/result/score",
                        serde_json::from_str(r#"{"min": 0.12123434, "raw": 12.125, "max": 45.45}"#)
                            .unwrap(),
                    ),
                ),
                (
                    "raw equal to bounds",
                    with("/result/score", json!({"min": 5, "raw": 5, "max": 5})),
                ),
                ("raw alone", with("/result/score", json!({"raw": -300}))),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "scaled 1.01",
                    with("/result/score", json!({"scaled": 1.01})),
                    "result.score.scaled",
                ),
                (
                    "scaled -1.00001",
                    with("/result/score", json!({"scaled": -1.00001})),
                    "result.score.scaled",
                ),
                (
                    "min above max",
                    with("/result/score", json!({"min": 10, "max": 5})),
                    "result.score.min",
                ),
                (
                    "raw below min",
                    with("/result/score", json!({"min": 10, "raw": 5})),
                    "result.score.raw",
                ),
                (
                    "raw above max",
                    with("/result/score", json!({"raw": 50, "max": 45})),
                    "result.score.raw",
                ),
                (
                    "scaled as string",
                    with("/result/score", json!({"scaled": "0.5"})),
                    "result.score.scaled",
                ),
            ],
            version,
        );
    }
}

#[test]
fn durations_follow_iso_8601_and_extra_precision_is_kept() {
    for version in BOTH {
        let good = [
            "PT1H0M0.1S",
            "PT4H35M59.14S",
            "PT16559.14S",
            "P3Y1M29DT4H35M59.14S",
            "P3Y",
            "P4W",
            "P1DT12H36M0.12567S",
        ];
        let cases: Vec<_> = good
            .iter()
            .map(|d| (*d, with("/result/duration", json!(d))))
            .collect();
        assert_accepted(&cases, version);
        assert_rejected(
            &[
                (
                    "letter",
                    with("/result/duration", json!("PA1H0M0S")),
                    "result.duration",
                ),
                (
                    "weeks and days",
                    with("/result/duration", json!("P4W1D")),
                    "result.duration",
                ),
                (
                    "plain string",
                    with("/result/duration", json!("should fail")),
                    "result.duration",
                ),
                (
                    "P alone",
                    with("/result/duration", json!("P")),
                    "result.duration",
                ),
                (
                    "PT alone",
                    with("/result/duration", json!("PT")),
                    "result.duration",
                ),
                (
                    "number",
                    with("/result/duration", json!(12)),
                    "result.duration",
                ),
                (
                    "object",
                    with("/result/duration", json!({})),
                    "result.duration",
                ),
            ],
            version,
        );
    }
}

#[test]
fn revision_and_platform_require_an_activity_object() {
    for version in BOTH {
        assert_accepted(
            &[
                ("activity", with("/context/revision", json!("r1"))),
                ("untyped activity", {
                    let mut s = with("/context/platform", json!("web"));
                    common::remove(&mut s, "/object/objectType");
                    s
                }),
                ("inside substatement with activity object", {
                    let mut sub = substatement();
                    common::set(&mut sub, "/context/revision", json!("r1"));
                    with("/object", sub)
                }),
            ],
            version,
        );
        let agent = json!({"objectType": "Agent", "mbox": "mailto:a@b.c"});
        let reference = json!({"objectType": "StatementRef", "id": REF});
        let object = |object: serde_json::Value, key: &str| {
            let mut s = with("/object", object);
            common::set(&mut s, &format!("/context/{key}"), json!("x"));
            s
        };
        assert_rejected(
            &[
                (
                    "agent revision",
                    object(agent.clone(), "revision"),
                    "context.revision",
                ),
                (
                    "agent platform",
                    object(agent.clone(), "platform"),
                    "context.platform",
                ),
                (
                    "ref revision",
                    object(reference.clone(), "revision"),
                    "context.revision",
                ),
                (
                    "substatement platform",
                    object(substatement(), "platform"),
                    "context.platform",
                ),
                (
                    "inside substatement with agent object",
                    {
                        let mut sub = substatement();
                        common::set(&mut sub, "/object", agent.clone());
                        common::set(&mut sub, "/context/platform", json!("x"));
                        with("/object", sub)
                    },
                    "object.context.platform",
                ),
                (
                    "revision as number",
                    with("/context/revision", json!(1)),
                    "context.revision",
                ),
            ],
            version,
        );
    }
}

#[test]
fn context_properties_are_checked() {
    for version in BOTH {
        assert_accepted(
            &[
                (
                    "statement ref",
                    with(
                        "/context/statement",
                        json!({"objectType": "StatementRef", "id": REF}),
                    ),
                ),
                (
                    "activities single",
                    with(
                        "/context/contextActivities",
                        json!({"parent": {"id": "http://example.com/p"}}),
                    ),
                ),
                (
                    "activities arrays",
                    with(
                        "/context/contextActivities",
                        json!({
                            "parent": [{"id": "http://example.com/p"}], "grouping": [], "category": [{"objectType": "Activity", "id": "http://example.com/c"}], "other": []
                        }),
                    ),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "statement lowercase type",
                    with(
                        "/context/statement",
                        json!({"objectType": "statementref", "id": REF}),
                    ),
                    "context.statement.objectType",
                ),
                (
                    "statement bad id",
                    with(
                        "/context/statement",
                        json!({"objectType": "StatementRef", "id": "x"}),
                    ),
                    "context.statement.id",
                ),
                (
                    "language",
                    with("/context/language", json!("something")),
                    "context.language",
                ),
                (
                    "activities as string",
                    with("/context/contextActivities", json!("x")),
                    "context.contextActivities",
                ),
                (
                    "unknown activities key",
                    with("/context/contextActivities", json!({"consequences": []})),
                    "context.contextActivities.consequences",
                ),
                (
                    "bad activity element",
                    with(
                        "/context/contextActivities",
                        json!({"parent": [{"id": "http://example.com/p"}, {"id": "x"}]}),
                    ),
                    "context.contextActivities.parent[1].id",
                ),
                (
                    "agent as context activity",
                    with(
                        "/context/contextActivities",
                        json!({"other": {"objectType": "Agent", "mbox": "mailto:a@b.c"}}),
                    ),
                    "context.contextActivities.other.objectType",
                ),
            ],
            version,
        );
    }
}

#[test]
fn timestamps_accept_rfc_3339_forms_and_reject_negative_zero_offsets() {
    for version in BOTH {
        let good = [
            "2013-05-18T05:32:34.804Z",
            "2013-05-18T05:32:34.804+00:00",
            "2013-05-18T05:32:34.804-05:00",
            "2013-05-18T05:32:34Z",
            "2013-05-18T05:32:34.804123Z",
            "2008-09-15 15:53:00.601+00:00",
            "2099-12-31T23:59:59Z",
        ];
        let mut cases: Vec<_> = good
            .iter()
            .map(|t| (*t, with("/timestamp", json!(t))))
            .collect();
        cases.push((
            "stored given",
            with("/stored", json!("2013-05-18T05:32:34.804Z")),
        ));
        assert_accepted(&cases, version);
        let bad = [
            "2013-05-18T05:32:34.804-00",
            "2013-05-18T05:32:34.804-0000",
            "2013-05-18T05:32:34.804-00:00",
            "01/011/2015",
            "should fail",
            "",
        ];
        let mut cases: Vec<_> = bad
            .iter()
            .map(|t| (*t, with("/timestamp", json!(t)), "timestamp"))
            .collect();
        cases.push(("stored", with("/stored", json!("should fail")), "stored"));
        assert_rejected(&cases, version);
    }
}

#[test]
fn statement_versions_depend_on_the_negotiated_version() {
    for version in BOTH {
        assert_accepted(
            &[
                ("1.0", with("/version", json!("1.0"))),
                ("1.0.9", with("/version", json!("1.0.9"))),
            ],
            version,
        );
        assert_rejected(
            &[
                ("0.9.9", with("/version", json!("0.9.9")), "version"),
                ("1.1.0", with("/version", json!("1.1.0")), "version"),
                (
                    "should fail",
                    with("/version", json!("should fail")),
                    "version",
                ),
                ("number", with("/version", json!(1.0)), "version"),
            ],
            version,
        );
    }
    assert_accepted(
        &[
            ("2.0.0", with("/version", json!("2.0.0"))),
            ("2.0", with("/version", json!("2.0"))),
        ],
        V2_0_0,
    );
    assert_rejected(
        &[("2.0.0", with("/version", json!("2.0.0")), "version")],
        V1_0_3,
    );
}

#[test]
fn attachment_metadata_is_checked() {
    let attachment = json!({
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "description": {"en-US": "A test attachment (description)"},
        "contentType": "text/plain; charset=ascii",
        "length": 27,
        "sha2": SHA256,
        "fileUrl": "http://example.com/files/a.txt"
    });
    let changed = |key: &str, value: serde_json::Value| {
        let mut a = attachment.clone();
        common::set(&mut a, &format!("/{key}"), value);
        with("/attachments", json!([a]))
    };
    let missing = |key: &str| {
        let mut a = attachment.clone();
        common::remove(&mut a, &format!("/{key}"));
        with("/attachments", json!([a]))
    };
    for version in BOTH {
        assert_accepted(
            &[
                ("full", with("/attachments", json!([attachment.clone()]))),
                ("empty list", with("/attachments", json!([]))),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "usageType",
                    changed("usageType", json!("should fail")),
                    "attachments[0].usageType",
                ),
                (
                    "display string",
                    changed("display", json!("x")),
                    "attachments[0].display",
                ),
                (
                    "contentType number",
                    changed("contentType", json!(7)),
                    "attachments[0].contentType",
                ),
                (
                    "length string",
                    changed("length", json!("27")),
                    "attachments[0].length",
                ),
                (
                    "length fraction",
                    changed("length", json!(2.5)),
                    "attachments[0].length",
                ),
                (
                    "sha2 number",
                    changed("sha2", json!(7)),
                    "attachments[0].sha2",
                ),
                (
                    "fileUrl",
                    changed("fileUrl", json!("should fail")),
                    "attachments[0].fileUrl",
                ),
                ("missing sha2", missing("sha2"), "attachments[0].sha2"),
                (
                    "missing display",
                    missing("display"),
                    "attachments[0].display",
                ),
                ("missing length", missing("length"), "attachments[0].length"),
            ],
            version,
        );
    }
}

#[test]
fn voiding_statements_need_a_statement_ref_object() {
    let voided = "http://adlnet.gov/expapi/verbs/voided";
    for version in BOTH {
        let mut good = with("/verb/id", json!(voided));
        common::set(
            &mut good,
            "/object",
            json!({"objectType": "StatementRef", "id": REF}),
        );
        assert_accepted(&[("ref", good.clone())], version);
        assert_rejected(
            &[("activity", with("/verb/id", json!(voided)), "object")],
            version,
        );
        assert_eq!(
            learnlog_xapi::voided_target(&good),
            uuid::Uuid::parse_str(REF).ok()
        );
        assert_eq!(learnlog_xapi::voided_target(&common::base()), None);
    }
}

#[test]
fn context_agents_and_groups_exist_only_in_2_0() {
    let agents = json!([{"objectType": "contextAgent", "agent": {"mbox": "mailto:a@b.c"}, "relevantTypes": ["http://example.com/types/mentor"]}]);
    let groups = json!([{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}}]);
    assert_accepted(
        &[
            ("agents", with("/context/contextAgents", agents.clone())),
            ("groups", with("/context/contextGroups", groups.clone())),
            ("in substatement", {
                let mut sub = substatement();
                common::set(&mut sub, "/context/contextAgents", agents.clone());
                with("/object", sub)
            }),
        ],
        V2_0_0,
    );
    assert_rejected(
        &[
            (
                "agents",
                with("/context/contextAgents", agents.clone()),
                "context.contextAgents",
            ),
            (
                "groups",
                with("/context/contextGroups", groups.clone()),
                "context.contextGroups",
            ),
        ],
        V1_0_3,
    );
    assert_rejected(
        &[
            (
                "object type",
                with(
                    "/context/contextAgents",
                    json!([{"objectType": "Should fail", "agent": {"mbox": "mailto:a@b.c"}}]),
                ),
                "context.contextAgents[0].objectType",
            ),
            (
                "bad agent",
                with(
                    "/context/contextAgents",
                    json!([{"objectType": "contextAgent", "agent": {"key": 1}}]),
                ),
                "context.contextAgents[0].agent.key",
            ),
            (
                "missing agent",
                with(
                    "/context/contextAgents",
                    json!([{"objectType": "contextAgent"}]),
                ),
                "context.contextAgents[0].agent",
            ),
            (
                "empty relevant types",
                with(
                    "/context/contextAgents",
                    json!([{"objectType": "contextAgent", "agent": {"mbox": "mailto:a@b.c"}, "relevantTypes": []}]),
                ),
                "context.contextAgents[0].relevantTypes",
            ),
            (
                "non-iri relevant type",
                with(
                    "/context/contextGroups",
                    json!([{"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:g@b.c"}, "relevantTypes": ["abc"]}]),
                ),
                "context.contextGroups[0].relevantTypes[0]",
            ),
            (
                "agent as group",
                with(
                    "/context/contextGroups",
                    json!([{"objectType": "contextGroup", "group": {"mbox": "mailto:a@b.c"}}]),
                ),
                "context.contextGroups[0].group.objectType",
            ),
            (
                "not an array",
                with("/context/contextAgents", json!({})),
                "context.contextAgents",
            ),
        ],
        V2_0_0,
    );
}
