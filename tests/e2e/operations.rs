//! Cross-cutting behaviour: authentication, version negotiation, health, metrics,
//! graceful shutdown.

use crate::support::{new_id, statement, Learnlog};
use reqwest::Method;

#[test]
fn about_needs_neither_credentials_nor_version() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let response = server.raw(Method::GET, "/xapi/about").send().unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-experience-api-version"));
    let about: serde_json::Value = response.json().unwrap();
    assert_eq!(about["version"], serde_json::json!(["1.0.3", "2.0.0"]));
}

#[test]
fn missing_version_header_is_400_and_still_carries_the_header() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let response = server
        .raw(
            Method::GET,
            &format!("/xapi/statements?statementId={}", new_id()),
        )
        .basic_auth(crate::support::KEY, Some(crate::support::SECRET))
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().contains_key("x-experience-api-version"));
}

#[test]
fn negotiated_version_is_echoed_exactly() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    for (asked, answered) in [("1.0.3", "1.0.3"), ("1.0", "1.0.3"), ("2.0", "2.0.0")] {
        let response = server
            .raw(
                Method::GET,
                &format!("/xapi/statements?statementId={}", new_id()),
            )
            .basic_auth(crate::support::KEY, Some(crate::support::SECRET))
            .header("X-Experience-API-Version", asked)
            .send()
            .unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["x-experience-api-version"], answered);
        assert!(response
            .headers()
            .contains_key("x-experience-api-consistent-through"));
    }
}

/// The version a request naming none is answered in is the one its credential last
/// negotiated; a request naming a real key with a wrong secret neither changes that
/// (the credential's clients would read a header they do not understand) nor reads it.
#[test]
fn version_memory_is_only_written_and_read_by_authenticated_requests() {
    use crate::support::{KEY, SECRET};
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let get = |secret: &str, version: Option<&str>| {
        let mut request = server
            .raw(
                Method::GET,
                &format!("/xapi/statements?statementId={}", new_id()),
            )
            .basic_auth(KEY, Some(secret));
        if let Some(version) = version {
            request = request.header("X-Experience-API-Version", version);
        }
        let response = request.send().unwrap();
        let spoken = response.headers()["x-experience-api-version"]
            .to_str()
            .unwrap()
            .to_owned();
        (response.status(), spoken)
    };
    // The credential's client speaks 1.0.3 (the server's default is 2.0.0).
    assert_eq!(get(SECRET, Some("1.0.3")).0, 404);
    assert_eq!(
        get(SECRET, None),
        (reqwest::StatusCode::BAD_REQUEST, "1.0.3".into())
    );
    // Someone naming the key without its secret asks for 2.0.0 and is refused...
    assert_eq!(get("not-the-secret", Some("2.0.0")).0, 401);
    // ...and learns nothing of what the credential speaks,
    assert_eq!(
        get("not-the-secret", None),
        (reqwest::StatusCode::BAD_REQUEST, "2.0.0".into())
    );
    // while the credential's clients are still answered in 1.0.3.
    assert_eq!(
        get(SECRET, None),
        (reqwest::StatusCode::BAD_REQUEST, "1.0.3".into())
    );
}

#[test]
fn unknown_credentials_get_401() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let id = new_id();
    for auth in [Some(("e2e-admin", "wrong")), Some(("nobody", "x")), None] {
        let mut request = server
            .raw(Method::PUT, &format!("/xapi/statements?statementId={id}"))
            .header("X-Experience-API-Version", "2.0.0")
            .header("Content-Type", "application/json")
            .body(statement(&id, 1));
        if let Some((key, secret)) = auth {
            request = request.basic_auth(key, Some(secret));
        }
        assert_eq!(request.send().unwrap().status(), 401);
    }
    assert_eq!(server.get_statement(&id).status(), 404);
}

#[test]
fn unknown_query_parameter_is_rejected() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let response = server
        .xapi(
            Method::GET,
            &format!("/xapi/statements?StatementId={}", new_id()),
        )
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[test]
fn health_readiness_and_metrics_are_served() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    assert_eq!(
        server.raw(Method::GET, "/healthz").send().unwrap().status(),
        200
    );
    assert_eq!(
        server.raw(Method::GET, "/readyz").send().unwrap().status(),
        200
    );
    let id = new_id();
    assert_eq!(server.put_statement(&id, &statement(&id, 1)).status(), 204);
    let metrics = server.metrics();
    for name in [
        "learnlog_http_requests_total",
        "learnlog_http_request_duration_seconds_bucket",
        "learnlog_log_appended_records_total",
        "learnlog_projection_lag_events",
        "learnlog_statements_submitted_total",
        "learnlog_repartition_statements_total",
    ] {
        assert!(metrics.contains(name), "metrics expose {name}");
    }
    // the log's own counters, taken at the scrape: every writer's records, and the
    // embedded log's fsyncs
    let value = |name: &str| -> f64 {
        let line = (metrics.lines())
            .find(|line| line.split(' ').next() == Some(name))
            .unwrap_or_else(|| panic!("metrics expose {name}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("learnlog_log_written_records_total") >= 1.0);
    assert!(value("learnlog_log_written_bytes_total") >= statement(&id, 1).len() as f64);
    assert!(value("learnlog_log_fsyncs_total") >= 1.0);
    assert_eq!(
        value("learnlog_log_fetched_records_total"),
        0.0,
        "embedded: nothing fetched"
    );
}

#[test]
fn sigterm_stops_gracefully_and_keeps_data() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let id = new_id();
    assert_eq!(server.put_statement(&id, &statement(&id, 1)).status(), 204);
    assert!(server.terminate().success(), "exit status 0 on SIGTERM");
    let server = Learnlog::start(data.path());
    assert_eq!(server.get_statement(&id).status(), 200);
}

#[test]
fn missing_version_is_answered_in_the_version_the_credential_last_spoke() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let path = format!("/xapi/statements?statementId={}", new_id());
    let ask = |version: Option<&str>| {
        let mut request = server
            .raw(Method::GET, &path)
            .basic_auth(crate::support::KEY, Some(crate::support::SECRET));
        if let Some(version) = version {
            request = request.header("X-Experience-API-Version", version);
        }
        request.send().unwrap()
    };
    for spoken in ["1.0.3", "2.0.0"] {
        assert_eq!(ask(Some(spoken)).status(), 404);
        let response = ask(None);
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["x-experience-api-version"], spoken);
    }
}
