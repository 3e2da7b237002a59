//! The concurrency rules of xAPI Communication §3.1 Concurrency per negotiated version
//! (2.0 extends them to state documents), and several clients
//! writing with the same If-Match at once.

use super::*;
use crate::support::{KEY, SECRET};

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
