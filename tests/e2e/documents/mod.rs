//! The document resources (state, activity profile, agent profile) over HTTP: PUT,
//! POST merge, GET, HEAD, multi-GET with `since`, DELETE, DELETE-all, ETags and the
//! concurrency rules of xAPI Communication §3.1 (`concurrency`), parameter rules (`parameters`),
//! and concurrent conditional writers.

use crate::support::Learnlog;
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;

mod concurrency;
mod parameters;

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
fn registrations_keep_separate_state_sets() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let registration = "6e3f8b4a-6c39-4e0e-9d8e-2b5d9e2f3a11";
    let registered =
        |method: Method| state(&server, method, Some("s")).query(&[("registration", registration)]);
    assert_eq!(
        json_body(registered(Method::PUT), r#"{"r":1}"#).status(),
        204
    );
    assert_eq!(
        json_body(state(&server, Method::PUT, Some("s")), r#"{"r":0}"#).status(),
        204
    );
    let got = registered(Method::GET).send().unwrap();
    assert_eq!(got.text().unwrap(), r#"{"r":1}"#);

    let delete_all = state(&server, Method::DELETE, None).query(&[("registration", registration)]);
    assert_eq!(delete_all.send().unwrap().status(), 204);
    assert_eq!(registered(Method::GET).send().unwrap().status(), 404);
    let unregistered = state(&server, Method::GET, Some("s")).send().unwrap();
    assert_eq!(
        unregistered.text().unwrap(),
        r#"{"r":0}"#,
        "other set untouched"
    );
}

#[test]
fn documents_survive_a_kill_and_rebuild_to_the_same_digest() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    json_body(state(&server, Method::PUT, Some("a")), r#"{"a":1}"#);
    json_body(state(&server, Method::POST, Some("a")), r#"{"b":2}"#);
    json_body(state(&server, Method::PUT, Some("gone")), "{}");
    state(&server, Method::DELETE, Some("gone")).send().unwrap();
    json_body(activity_profile(&server, Method::PUT, "p"), "{}"); // 400, still on the log
    server.kill();

    let server = Learnlog::start(data.path());
    let got = state(&server, Method::GET, Some("a")).send().unwrap();
    assert_eq!(got.text().unwrap(), r#"{"a":1,"b":2}"#);
    assert!(ids(state(&server, Method::GET, None).send().unwrap()) == ["a"]);
    assert!(server.terminate().success());

    let before = Learnlog::run_offline(data.path(), "digest");
    assert!(
        before.contains("documents "),
        "digest lists documents: {before}"
    );
    Learnlog::run_offline(data.path(), "rebuild");
    assert_eq!(Learnlog::run_offline(data.path(), "digest"), before);
}
