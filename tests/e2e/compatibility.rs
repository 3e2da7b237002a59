//! Browser and legacy clients: CORS preflight and headers, and the xAPI 1.0.3
//! alternate request syntax.

use crate::support::{new_id, statement, Learnlog, KEY, SECRET};
use reqwest::Method;

fn basic() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"))
    )
}

fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

#[test]
fn cors_preflight_needs_no_credentials_and_responses_expose_xapi_headers() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let preflight = server
        .raw(Method::OPTIONS, "/xapi/statements")
        .header("Origin", "https://content.example.org")
        .header("Access-Control-Request-Method", "PUT")
        .send()
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    // Header names compare without case (RFC 9110 §5.1); actix-cors lists them in lowercase.
    assert!(preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("x-experience-api-version"));
    let about = server.raw(Method::GET, "/xapi/about").send().unwrap();
    assert!(about.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("x-experience-api-consistent-through"));
}

#[test]
fn alternate_syntax_put_stores_with_credentials_from_the_form() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let id = new_id();
    let auth = basic();
    let body = form(&[
        ("statementId", id.as_str()),
        ("content", &statement(&id, 1)),
        ("Authorization", &auth),
        ("X-Experience-API-Version", "1.0.3"),
    ]);
    let response = server
        .raw(Method::POST, "/xapi/statements?method=PUT")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(server.get_statement(&id).status(), 200);
}

#[test]
fn alternate_syntax_is_rejected_when_misused() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let auth = basic();
    let send = |method: Method, path: &str, body: String| {
        server
            .raw(method, path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .unwrap()
            .status()
    };
    let valid = form(&[
        ("Authorization", &auth),
        ("X-Experience-API-Version", "1.0.3"),
    ]);
    assert_eq!(
        send(Method::GET, "/xapi/statements?method=GET", valid.clone()),
        400,
        "non-POST"
    );
    assert_eq!(
        send(Method::POST, "/xapi/statements?method=GET&limit=1", valid),
        400,
        "extra query"
    );
    let old = form(&[
        ("Authorization", &auth),
        ("X-Experience-API-Version", "0.8"),
    ]);
    assert_eq!(
        send(Method::POST, "/xapi/statements?method=GET", old),
        400,
        "bad version"
    );
    let v2 = form(&[
        ("Authorization", &auth),
        ("X-Experience-API-Version", "2.0.0"),
    ]);
    assert_eq!(
        send(Method::POST, "/xapi/statements?method=GET", v2),
        400,
        "2.0 has none"
    );
    assert_eq!(
        send(Method::POST, "/xapi/statements?method=GET", String::new()),
        400,
        "no body"
    );
}
