//! Agents, Groups, IFIs and authority (§2.3, §2.10), and the `agent` parameter.

mod common;

use common::{assert_accepted, assert_rejected, with, BOTH};
use learnlog_xapi::{agent_ifi_key, parse_agent_param};
use serde_json::json;

const HEX40: &str = "ebd31e95054c018b10727ccffd2ef2ec3a016ee9";

#[test]
fn an_agent_needs_exactly_one_valid_ifi() {
    for version in BOTH {
        assert_accepted(
            &[
                (
                    "mbox",
                    with("/actor", json!({"mbox": "mailto:a@example.com"})),
                ),
                ("sha1", with("/actor", json!({"mbox_sha1sum": HEX40}))),
                (
                    "openid",
                    with("/actor", json!({"openid": "http://openid.example.com/ann"})),
                ),
                (
                    "account",
                    with(
                        "/actor",
                        json!({"account": {"homePage": "http://example.com", "name": "ann"}}),
                    ),
                ),
                (
                    "typed with name",
                    with(
                        "/actor",
                        json!({"objectType": "Agent", "name": "Ann", "mbox": "mailto:a@b.c"}),
                    ),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                ("no ifi", with("/actor", json!({"name": "Ann"})), "actor"),
                (
                    "mbox and openid",
                    with(
                        "/actor",
                        json!({"mbox": "mailto:a@b.c", "openid": "http://o.id/a"}),
                    ),
                    "actor",
                ),
                (
                    "mbox and account",
                    with(
                        "/actor",
                        json!({"mbox": "mailto:a@b.c", "account": {"homePage": "http://a.b", "name": "x"}}),
                    ),
                    "actor",
                ),
                (
                    "mbox without mailto",
                    with("/actor", json!({"mbox": "a@b.c"})),
                    "actor.mbox",
                ),
                (
                    "mailto without address",
                    with("/actor", json!({"mbox": "mailto:should.fail.com"})),
                    "actor.mbox",
                ),
                (
                    "http mbox",
                    with("/actor", json!({"mbox": "http://should.fail.com"})),
                    "actor.mbox",
                ),
                (
                    "sha1 as object",
                    with("/actor", json!({"mbox_sha1sum": {}})),
                    "actor.mbox_sha1sum",
                ),
                (
                    "sha1 too short",
                    with("/actor", json!({"mbox_sha1sum": "abc"})),
                    "actor.mbox_sha1sum",
                ),
                (
                    "bad openid",
                    with("/actor", json!({"openid": "ab=c://x"})),
                    "actor.openid",
                ),
                (
                    "scheme-less openid",
                    with("/actor", json!({"openid": "open.id.com/x"})),
                    "actor.openid",
                ),
                (
                    "account without homePage",
                    with("/actor", json!({"account": {"name": "x"}})),
                    "actor.account.homePage",
                ),
                (
                    "account without name",
                    with("/actor", json!({"account": {"homePage": "http://a.b"}})),
                    "actor.account.name",
                ),
                (
                    "account bad homePage",
                    with(
                        "/actor",
                        json!({"account": {"homePage": "a.b", "name": "x"}}),
                    ),
                    "actor.account.homePage",
                ),
                (
                    "account name object",
                    with(
                        "/actor",
                        json!({"account": {"homePage": "http://a.b", "name": {}}}),
                    ),
                    "actor.account.name",
                ),
                (
                    "name as number",
                    with("/actor/name", json!(3)),
                    "actor.name",
                ),
            ],
            version,
        );
    }
}

#[test]
fn groups_are_anonymous_with_members_or_identified_by_one_ifi() {
    let ann = json!({"mbox": "mailto:ann@example.com"});
    let bob = json!({"objectType": "Agent", "mbox": "mailto:bob@example.com"});
    for version in BOTH {
        assert_accepted(
            &[
                (
                    "anonymous",
                    with(
                        "/actor",
                        json!({"objectType": "Group", "member": [ann, bob]}),
                    ),
                ),
                (
                    "identified",
                    with(
                        "/actor",
                        json!({"objectType": "Group", "mbox": "mailto:g@example.com"}),
                    ),
                ),
                (
                    "identified with members",
                    with(
                        "/actor",
                        json!({"objectType": "Group", "name": "g", "account": {"homePage": "http://a.b", "name": "g"}, "member": [ann]}),
                    ),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "anonymous without member",
                    with("/actor", json!({"objectType": "Group", "name": "g"})),
                    "actor.member",
                ),
                (
                    "member not an array",
                    with("/actor", json!({"objectType": "Group", "member": ann})),
                    "actor.member",
                ),
                (
                    "two ifis",
                    with(
                        "/actor",
                        json!({"objectType": "Group", "mbox": "mailto:g@b.c", "openid": "http://o.id/g", "member": []}),
                    ),
                    "actor",
                ),
                (
                    "group as member",
                    with(
                        "/actor",
                        json!({"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@b.c"}]}),
                    ),
                    "actor.member[0]",
                ),
                (
                    "invalid member",
                    with(
                        "/actor",
                        json!({"objectType": "Group", "member": [ann, {"name": "x"}]}),
                    ),
                    "actor.member[1]",
                ),
            ],
            version,
        );
    }
}

#[test]
fn agents_and_groups_as_objects_need_object_type() {
    for version in BOTH {
        assert_accepted(
            &[
                (
                    "agent",
                    with(
                        "/object",
                        json!({"objectType": "Agent", "mbox": "mailto:a@b.c"}),
                    ),
                ),
                (
                    "group",
                    with(
                        "/object",
                        json!({"objectType": "Group", "mbox": "mailto:g@b.c"}),
                    ),
                ),
            ],
            version,
        );
        assert_rejected(
            &[(
                "untyped agent",
                with("/object", json!({"mbox": "mailto:a@b.c"})),
                "object.objectType",
            )],
            version,
        );
    }
}

#[test]
fn team_must_be_a_group_and_instructor_may_be_either() {
    let group = json!({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]});
    let agent = json!({"mbox": "mailto:a@b.c"});
    for version in BOTH {
        assert_accepted(
            &[
                ("team group", with("/context/team", group.clone())),
                (
                    "instructor agent",
                    with("/context/instructor", agent.clone()),
                ),
                (
                    "instructor group",
                    with("/context/instructor", group.clone()),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "team agent",
                    with("/context/team", agent.clone()),
                    "context.team.objectType",
                ),
                (
                    "typed team agent",
                    with(
                        "/context/team",
                        json!({"objectType": "Agent", "mbox": "mailto:a@b.c"}),
                    ),
                    "context.team.objectType",
                ),
            ],
            version,
        );
    }
}

#[test]
fn authority_is_an_agent_or_an_anonymous_group_of_exactly_two() {
    let a = json!({"mbox": "mailto:a@b.c"});
    let b = json!({"account": {"homePage": "http://lrs.example.com", "name": "app"}});
    let c = json!({"mbox": "mailto:c@b.c"});
    for version in BOTH {
        assert_accepted(
            &[
                ("agent", with("/authority", a.clone())),
                (
                    "pair",
                    with(
                        "/authority",
                        json!({"objectType": "Group", "member": [a, b]}),
                    ),
                ),
            ],
            version,
        );
        assert_rejected(
            &[
                (
                    "identified group",
                    with(
                        "/authority",
                        json!({"objectType": "Group", "mbox": "mailto:g@b.c", "member": [a, b]}),
                    ),
                    "authority",
                ),
                (
                    "one member",
                    with("/authority", json!({"objectType": "Group", "member": [a]})),
                    "authority.member",
                ),
                (
                    "three members",
                    with(
                        "/authority",
                        json!({"objectType": "Group", "member": [a, b, c]}),
                    ),
                    "authority.member",
                ),
                (
                    "no members",
                    with("/authority", json!({"objectType": "Group"})),
                    "authority.member",
                ),
                (
                    "agent without ifi",
                    with("/authority", json!({"name": "x"})),
                    "authority",
                ),
            ],
            version,
        );
    }
}

#[test]
fn ifi_keys_identify_agents_and_identified_groups_regardless_of_name() {
    let cases = [
        (
            json!({"name": "A", "mbox": "mailto:a@b.c"}),
            Some("mbox:mailto:a@b.c"),
        ),
        (
            json!({"mbox_sha1sum": HEX40}),
            Some("mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9"),
        ),
        (
            json!({"openid": "http://o.id/a"}),
            Some("openid:http://o.id/a"),
        ),
        (
            json!({"account": {"homePage": "http://a.b", "name": "x"}}),
            Some("account:http://a.b|x"),
        ),
        (
            json!({"objectType": "Group", "mbox": "mailto:g@b.c", "member": []}),
            Some("mbox:mailto:g@b.c"),
        ),
        (json!({"objectType": "Group", "member": []}), None),
        (json!({"mbox": "a@b.c"}), None),
        (
            json!({"mbox": "mailto:a@b.c", "openid": "http://o.id/a"}),
            None,
        ),
        (json!("mailto:a@b.c"), None),
    ];
    for (agent, expected) in cases {
        assert_eq!(agent_ifi_key(&agent).as_deref(), expected, "{agent}");
    }
}

#[test]
fn agent_parameter_must_be_an_agent_or_identified_group() {
    assert!(parse_agent_param(r#"{"mbox":"mailto:a@b.c"}"#).is_ok());
    assert!(parse_agent_param(r#"{"objectType":"Group","openid":"http://o.id/g"}"#).is_ok());
    for (value, path) in [
        (
            r#"{"objectType":"Group","member":[{"mbox":"mailto:a@b.c"}]}"#,
            "agent",
        ),
        (r#"{"mbox":"mailto:a@b.c","name":null}"#, "agent.name"),
        (
            r#"{"account":{"homePage":"ab=c://x","name":"n"}}"#,
            "agent.account.homePage",
        ),
        (r#"{"mbox":"mailto:a@b.c""#, "agent"),
        (r#"{"mbox":"mailto:a@b.c","mbox":"mailto:d@b.c"}"#, "agent"),
        ("[]", "agent"),
        ("", "agent"),
    ] {
        let error = parse_agent_param(value).expect_err(value);
        assert_eq!(error.path, path, "{value}: {error}");
    }
}
