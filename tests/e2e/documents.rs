//! The document resources (state, activity profile, agent profile) over HTTP: PUT,
//! POST merge, GET, HEAD, multi-GET with `since`, DELETE, DELETE-all, ETags and the
//! concurrency table of XAPI.md §4, and concurrent conditional writers.

use crate::support::{Learnlog, KEY, SECRET};
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;

const ACTIVITY: &str = "http://example.org/activities/quiz";
const AGENT: &str = r#"{"objectType":"Agent","mbox":"mailto:learner@example.org"}"#;

fn state(server: &Learnlog, method: Method, state_id: Option<&str>) -> RequestBuilder {
    let mut query = vec![("activityId", ACTIVITY), ("agent", AGENT)];
    if let Some(id) = state_id {
        query.push(("stateId", id));
    }
    server.xapi(method, "/xapi/activities/state").query(&query)
}

fn activity_profile(server: &Learnlog, method: Method, id: &str) -> RequestBuilder {
    server
        .xapi(method, "/xapi/activities/profile")
        .query(&[("activityId", ACTIVITY), ("profileId", id)])
}

fn json_body(request: RequestBuilder, body: &str) -> Response {
    request
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .expect("answers")
}

fn etag(response: &Response) -> String {
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.len() == 42 && etag.starts_with('"') && etag.ends_with('"'));
    assert!(etag[1..41]
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    etag
}

fn ids(response: Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    response.json().expect("a JSON array of ids")
}

#[test]
fn state_documents_are_stored_merged_listed_and_deleted() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let put = json_body(
        state(&server, Method::PUT, Some("bookmark")),
        r#"{"page":1,"n":{"a":1}}"#,
    );
    assert_eq!(put.status(), 204);

    let got = state(&server, Method::GET, Some("bookmark"))
        .send()
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "application/json");
    assert!(got.headers()["last-modified"]
        .to_str()
        .unwrap()
        .ends_with("GMT"));
    let first_etag = etag(&got);
    assert_eq!(got.text().unwrap(), r#"{"page":1,"n":{"a":1}}"#);

    let head = state(&server, Method::HEAD, Some("bookmark"))
        .send()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(etag(&head), first_etag);
    assert!(head.text().unwrap().is_empty(), "HEAD has no body");

    let merged = json_body(
        state(&server, Method::POST, Some("bookmark")),
        r#"{"n":{"b":2},"z":true}"#,
    );
    assert_eq!(merged.status(), 204);
    let got = state(&server, Method::GET, Some("bookmark"))
        .send()
        .unwrap();
    assert_ne!(etag(&got), first_etag, "the ETag follows the content");
    let value: serde_json::Value = got.json().unwrap();
    assert_eq!(value, serde_json::json!({"page":1,"n":{"b":2},"z":true}));

    let not_json = state(&server, Method::POST, Some("bookmark"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("abc")
        .send()
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let broken = json_body(state(&server, Method::POST, Some("bookmark")), "{...}[");
    assert_eq!(broken.status(), 400);
    let got: serde_json::Value = state(&server, Method::GET, Some("bookmark"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got, value, "rejected merges change nothing");

    let binary = state(&server, Method::PUT, Some("blob"))
        .header("Content-Type", "application/octet-stream")
        .body(vec![0u8, 159, 146, 150])
        .send()
        .unwrap();
    assert_eq!(binary.status(), 204);
    let got = state(&server, Method::GET, Some("blob")).send().unwrap();
    assert_eq!(got.headers()["content-type"], "application/octet-stream");
    assert_eq!(got.bytes().unwrap().as_ref(), &[0u8, 159, 146, 150]);
    let onto_binary = json_body(state(&server, Method::POST, Some("blob")), r#"{"a":1}"#);
    assert_eq!(onto_binary.status(), 400);

    let mut all = ids(state(&server, Method::GET, None).send().unwrap());
    all.sort();
    assert_eq!(all, ["blob", "bookmark"]);
    let since_past = state(&server, Method::GET, None)
        .query(&[("since", "2000-01-01T00:00:00Z")])
        .send()
        .unwrap();
    assert_eq!(ids(since_past).len(), 2);
    let since_future = state(&server, Method::GET, None)
        .query(&[("since", "2999-01-01T00:00:00Z")])
        .send()
        .unwrap();
    assert!(ids(since_future).is_empty());

    assert_eq!(
        state(&server, Method::DELETE, Some("blob"))
            .send()
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        state(&server, Method::GET, Some("blob"))
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        state(&server, Method::DELETE, None)
            .send()
            .unwrap()
            .status(),
        204
    );
    assert!(ids(state(&server, Method::GET, None).send().unwrap()).is_empty());
    assert_eq!(
        state(&server, Method::GET, Some("bookmark"))
            .send()
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn a_state_put_without_preconditions_conflicts_in_2_0_and_replaces_in_1_0_3() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    assert_eq!(
        json_body(state(&server, Method::PUT, Some("s")), r#"{"v":1}"#).status(),
        204
    );
    let conflict = json_body(state(&server, Method::PUT, Some("s")), r#"{"v":2}"#);
    assert_eq!(conflict.status(), 409);
    assert!(!conflict.text().unwrap().is_empty(), "409 explains itself");
    let old = server
        .raw(Method::PUT, "/xapi/activities/state")
        .basic_auth(KEY, Some(SECRET))
        .header("X-Experience-API-Version", "1.0.3")
        .query(&[("activityId", ACTIVITY), ("agent", AGENT), ("stateId", "s")])
        .header("Content-Type", "application/json")
        .body(r#"{"v":3}"#)
        .send()
        .unwrap();
    assert_eq!(old.status(), 204);
    let got = state(&server, Method::GET, Some("s")).send().unwrap();
    assert_eq!(got.text().unwrap(), r#"{"v":3}"#);
}

#[test]
fn activity_profiles_follow_the_concurrency_table() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let put = |headers: &[(&str, &str)], body: &str| {
        let mut request = activity_profile(&server, Method::PUT, "p");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        json_body(request, body).status()
    };
    assert_eq!(
        put(&[], r#"{"v":0}"#),
        400,
        "new profile without preconditions"
    );
    assert_eq!(
        put(&[("If-Match", "\"1234\"")], r#"{"v":0}"#),
        412,
        "If-Match on a missing profile"
    );
    assert_eq!(put(&[("If-None-Match", "*")], r#"{"v":1}"#), 204);
    assert_eq!(put(&[("If-None-Match", "*")], r#"{"v":2}"#), 412);
    let conflict = json_body(activity_profile(&server, Method::PUT, "p"), r#"{"v":2}"#);
    assert_eq!(conflict.status(), 409);
    assert!(!conflict.text().unwrap().is_empty(), "409 explains itself");
    let stale = "\"1111111111111111111111111111111111111111\"";
    assert_eq!(put(&[("If-Match", stale)], r#"{"v":2}"#), 412);

    let current = etag(&activity_profile(&server, Method::GET, "p").send().unwrap());
    assert_eq!(put(&[("If-Match", &current)], r#"{"v":3}"#), 204);
    let posted = json_body(
        activity_profile(&server, Method::POST, "p").header("If-Match", &current),
        r#"{"w":1}"#,
    );
    assert_eq!(posted.status(), 412, "POST with a replaced ETag");
    let got = activity_profile(&server, Method::GET, "p").send().unwrap();
    assert_eq!(got.text().unwrap(), r#"{"v":3}"#);

    let delete = activity_profile(&server, Method::DELETE, "p").header("If-Match", stale);
    assert_eq!(delete.send().unwrap().status(), 412);
    assert_eq!(
        activity_profile(&server, Method::DELETE, "p")
            .send()
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        activity_profile(&server, Method::GET, "p")
            .send()
            .unwrap()
            .status(),
        404
    );
    let list = server
        .xapi(Method::GET, "/xapi/activities/profile")
        .query(&[("activityId", ACTIVITY)])
        .send()
        .unwrap();
    assert!(ids(list).is_empty());
}

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

#[test]
fn concurrent_writers_with_the_same_if_match_get_exactly_one_success() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let created = json_body(
        activity_profile(&server, Method::PUT, "race").header("If-None-Match", "*"),
        r#"{"writer":-1}"#,
    );
    assert_eq!(created.status(), 204);
    let current = etag(
        &activity_profile(&server, Method::GET, "race")
            .send()
            .unwrap(),
    );

    const WRITERS: usize = 16;
    let statuses: Vec<(usize, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (server, current) = (&server, &current);
                scope.spawn(move || {
                    let request =
                        activity_profile(server, Method::PUT, "race").header("If-Match", current);
                    let status = json_body(request, &format!(r#"{{"writer":{writer}}}"#)).status();
                    (writer, status.as_u16())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<usize> = statuses
        .iter()
        .filter(|(_, s)| *s == 204)
        .map(|(w, _)| *w)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one writer wins: {statuses:?}");
    assert!(
        statuses.iter().all(|(_, s)| *s == 204 || *s == 412),
        "the others fail their precondition: {statuses:?}"
    );
    let got = activity_profile(&server, Method::GET, "race")
        .send()
        .unwrap();
    assert_eq!(
        got.text().unwrap(),
        format!(r#"{{"writer":{}}}"#, winners[0])
    );
}
