//! Which documents a request addresses: agents matched by IFI, and the parameter
//! rules of xAPI Communication §2.2 and §3.2 (400 for anything missing, malformed or unknown).

use super::*;

#[test]
fn agent_profiles_are_keyed_by_ifi_and_the_agent_parameter_is_checked() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let profile = |agent: &str, method: Method| {
        server
            .xapi(method, "/xapi/agents/profile")
            .query(&[("agent", agent), ("profileId", "prefs")])
    };
    let created = json_body(
        profile(AGENT, Method::PUT).header("If-None-Match", "*"),
        r#"{"lang":"fr"}"#,
    );
    assert_eq!(created.status(), 204);
    let same_ifi = r#"{"mbox":"mailto:learner@example.org","name":"Another Name"}"#;
    let got = profile(same_ifi, Method::GET).send().unwrap();
    assert_eq!(got.status(), 200, "the agent is matched by IFI only");
    assert_eq!(got.text().unwrap(), r#"{"lang":"fr"}"#);

    let group = r#"{"objectType":"Group","mbox":"mailto:class@example.org"}"#;
    let two_ifis = r#"{"mbox":"mailto:a@example.org","openid":"http://example.org/a"}"#;
    for bad in [group, two_ifis, "not JSON", "true"] {
        assert_eq!(
            profile(bad, Method::GET).send().unwrap().status(),
            400,
            "agent {bad}"
        );
    }
    let unknown = profile(AGENT, Method::GET)
        .query(&[("foo", "bar")])
        .send()
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[test]
fn bad_document_parameters_are_rejected_with_400() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let cases: [&[(&str, &str)]; 6] = [
        &[("agent", AGENT), ("stateId", "s")],
        &[
            ("activityId", "not an iri"),
            ("agent", AGENT),
            ("stateId", "s"),
        ],
        &[("activityId", ACTIVITY), ("stateId", "s")],
        &[
            ("activityId", ACTIVITY),
            ("agent", AGENT),
            ("stateId", "s"),
            ("registration", "abc"),
        ],
        &[
            ("activityId", ACTIVITY),
            ("agent", AGENT),
            ("since", "yesterday"),
        ],
        &[("activityId", ACTIVITY), ("agent", AGENT), ("StateId", "s")],
    ];
    for query in cases {
        let response = server
            .xapi(Method::GET, "/xapi/activities/state")
            .query(query)
            .send()
            .unwrap();
        assert_eq!(response.status(), 400, "query {query:?}");
    }
    let no_id = json_body(state(&server, Method::PUT, None), "{}");
    assert_eq!(no_id.status(), 400, "PUT needs stateId");
}
