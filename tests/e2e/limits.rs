//! The limits on hostile input, each at its edge: a request just inside a limit is
//! served, one just outside is refused with the status and JSON error naming the limit,
//! and nothing of it is stored. Servers run with small limits so that the edges are
//! cheap to reach.

use crate::attachments::{multipart, post_multipart, sha256_hex, statement_with_attachment};
use crate::support::{json, new_id, statement, Learnlog, KEY};
use reqwest::blocking::Response;
use reqwest::Method;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Asserts `response` has `status` and an error body whose message names `limit`.
fn assert_refused(response: Response, status: u16, limit: &str) {
    assert_eq!(response.status(), status);
    let body = json(response);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(limit), "{limit} not named in {body}");
}

fn assert_not_stored(server: &Learnlog, id: &str) {
    assert_eq!(server.get_statement(id).status(), 404, "{id} was stored");
}

/// PUTs `inside(id)` and `outside(id)` under new ids: the first is stored, the second
/// refused with `status` naming `limit` and not stored. Answers the refused id.
fn assert_put_edge(
    server: &Learnlog,
    inside: impl Fn(&str) -> String,
    outside: impl Fn(&str) -> String,
    (status, limit): (u16, &str),
) -> String {
    let (stored, refused) = (new_id(), new_id());
    let response = server.put_statement(&stored, &inside(&stored));
    assert_eq!(response.status(), 204, "{}", response.text().unwrap());
    assert_refused(
        server.put_statement(&refused, &outside(&refused)),
        status,
        limit,
    );
    assert_eq!(server.get_statement(&stored).status(), 200);
    assert_not_stored(server, &refused);
    refused
}

/// A statement with `result` set to the JSON text `result`.
fn statement_with_result(id: &str, result: &str) -> String {
    format!(
        concat!(
            r#"{{"id":"{id}","actor":{{"mbox":"mailto:a@example.org"}},"#,
            r#""verb":{{"id":"http://adlnet.gov/expapi/verbs/answered"}},"#,
            r#""object":{{"id":"https://example.org/items/1"}},"result":{result}}}"#
        ),
        id = id,
        result = result,
    )
}

/// `text` followed by spaces (JSON allows them) up to `length` bytes.
fn padded(text: String, length: usize) -> String {
    assert!(text.len() <= length);
    let padding = " ".repeat(length - text.len());
    text + &padding
}

#[test]
fn limits_body_size_refuses_one_byte_over() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--max-body-bytes", "2000"]);
    let refused = assert_put_edge(
        &server,
        |id| padded(statement(id, 1), 2000),
        |id| padded(statement(id, 2), 2001),
        (413, "2000 bytes"),
    );
    // A declared length far above the limit is refused before the body is read.
    let response = server.put_statement(&refused, &padded(statement(&refused, 2), 64 << 10));
    assert_refused(response, 413, "2000 bytes");
    assert_not_stored(&server, &refused);
}

#[test]
fn limits_batch_size_refuses_one_statement_over() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--max-batch", "3"]);
    let batch = |ids: &[String]| {
        let statements: Vec<String> = (ids.iter().enumerate())
            .map(|(n, id)| statement(id, n))
            .collect();
        format!("[{}]", statements.join(","))
    };
    let inside: Vec<String> = (0..3).map(|_| new_id()).collect();
    assert_eq!(server.post_statements(&batch(&inside)).status(), 200);
    let outside: Vec<String> = (0..4).map(|_| new_id()).collect();
    assert_refused(server.post_statements(&batch(&outside)), 413, "--max-batch");
    for id in &outside {
        assert_not_stored(&server, id);
    }
}

/// Starts a server with `flag` set to `limit`; a statement whose `result` is
/// `result_at(limit)` is stored, one with `result_at(limit + 1)` refused with `status`.
fn assert_result_edge(flag: &str, limit: usize, result_at: impl Fn(usize) -> String, status: u16) {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &[flag, &limit.to_string()]);
    assert_put_edge(
        &server,
        |id| statement_with_result(id, &result_at(limit)),
        |id| statement_with_result(id, &result_at(limit + 1)),
        (status, flag),
    );
}

#[test]
fn limits_json_depth_refuses_one_level_over() {
    // statement 1, result 2, extensions 3, then objects in the extension's value.
    let result_of_depth = |depth: usize| {
        let levels = depth - 3;
        let value = format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
        format!(r#"{{"extensions":{{"https://example.org/ext/deep":{value}}}}}"#)
    };
    assert_result_edge("--max-json-depth", 10, result_of_depth, 400);
}

#[test]
fn limits_json_string_length_refuses_one_byte_over() {
    let response_of = |length: usize| format!(r#"{{"response":"{}"}}"#, "x".repeat(length));
    assert_result_edge("--max-json-string-bytes", 1000, response_of, 413);
}

#[test]
fn limits_attachment_size_refuses_one_byte_over() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--max-attachment-bytes", "1000"]);
    let post = |id: &str, length: usize| {
        let content = vec![b'a' + (length % 26) as u8; length];
        let sha2 = sha256_hex(&content);
        let statement = statement_with_attachment(id, &sha2, false);
        post_multipart(&server, multipart(&statement, &[(&sha2, &content)]))
    };
    let (inside, outside) = (new_id(), new_id());
    let response = post(&inside, 1000);
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
    assert_refused(post(&outside, 1001), 413, "--max-attachment-bytes");
    assert_eq!(server.get_statement(&inside).status(), 200);
    assert_not_stored(&server, &outside);
}

/// Sends `head` (and nothing else) on a new connection; the whole answer.
fn exchange(server: &Learnlog, head: &str) -> String {
    let address = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A `GET /healthz` head of exactly `length` bytes, padded by one header.
fn head_of(length: usize) -> String {
    let bare = "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Padding: \r\n\r\n";
    let padding = "p".repeat(length - bare.len());
    format!("GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Padding: {padding}\r\n\r\n")
}

#[test]
fn limits_header_size_refuses_one_byte_over() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--max-header-bytes", "2048"]);
    let answer = exchange(&server, &head_of(2048));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = exchange(&server, &head_of(2049));
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(answer.contains("--max-header-bytes"), "{answer}");
    // A write with too large a head is refused before it is read: nothing stored.
    let id = new_id();
    let response = server
        .xapi(Method::PUT, &format!("/xapi/statements?statementId={id}"))
        .header("Content-Type", "application/json")
        .header("X-Padding", "p".repeat(2048))
        .body(statement(&id, 1))
        .send()
        .unwrap();
    assert_refused(response, 431, "--max-header-bytes");
    assert_not_stored(&server, &id);
}

#[test]
fn limits_connections_beyond_the_limit_wait_until_one_closes() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--workers", "1", "--max-connections", "1"]);
    let address = server.base.trim_start_matches("http://");
    // The one connection allowed, answered and kept open (keep-alive).
    let mut first = TcpStream::connect(address).unwrap();
    first
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    let read = first.read(&mut answer).unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    // A second one is not served while the first is open...
    let mut second = TcpStream::connect(address).unwrap();
    second
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let waiting = second.read(&mut answer);
    assert!(
        waiting.is_err(),
        "the second connection was served while the first was open: {waiting:?}"
    );
    // ...and is once it closes.
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut answer = String::new();
    second.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// The `Retry-After` of a 429, in seconds.
fn retry_after(response: &Response) -> u64 {
    assert_eq!(response.status(), 429);
    let value = response.headers()["Retry-After"].to_str().unwrap();
    value.parse().expect("Retry-After in whole seconds")
}

/// Sends `request` again after each 429's `Retry-After`, at most ten times.
fn after_waiting(request: impl Fn() -> Response) -> Response {
    for _ in 0..10 {
        let response = request();
        if response.status() != 429 {
            return response;
        }
        std::thread::sleep(Duration::from_secs(retry_after(&response)));
    }
    panic!("still rate limited after ten waits");
}

#[test]
fn rate_limits_answer_429_with_retry_after_per_credential_then_serve_again() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(
        data.path(),
        &["--rate-limit-per-second", "1", "--rate-limit-burst", "2"],
    );
    let (stored, refused) = (new_id(), new_id());
    assert_eq!(
        server
            .put_statement(&stored, &statement(&stored, 1))
            .status(),
        204
    );
    assert_eq!(server.get_statement(&stored).status(), 200);
    // The burst is spent: the next request of this credential is refused.
    let response = server.put_statement(&refused, &statement(&refused, 2));
    assert!(retry_after(&response) >= 1);
    assert_refused(response, 429, "--rate-limit-per-second");
    // Limits count authenticated requests only: a wrong secret is still 401.
    let response = server
        .raw(Method::GET, "/xapi/statements")
        .basic_auth(KEY, Some("not-the-secret"))
        .header("X-Experience-API-Version", "2.0.0")
        .send()
        .unwrap();
    assert_eq!(response.status(), 401);
    let metrics = server.metrics();
    let counted = metrics
        .lines()
        .find_map(|line| line.strip_prefix("learnlog_rate_limited_requests_total "))
        .and_then(|count| count.parse::<u64>().ok());
    assert!(counted >= Some(1), "{counted:?}");
    // After waiting as told, requests are served again; the refused one stored nothing.
    assert_eq!(
        after_waiting(|| server.get_statement(&refused)).status(),
        404
    );
    let response = after_waiting(|| server.put_statement(&refused, &statement(&refused, 2)));
    assert_eq!(response.status(), 204);
}

/// Guessing the operator's secret (kept as Argon2id, which costs a slow hash per
/// guess): a burst of guesses for one key is answered 429 with Retry-After beyond the
/// per-key allowance, before any hash is computed; the right secret works once the
/// wait is over.
#[test]
fn limits_guesses_of_an_operator_secret_get_429_beyond_the_slow_hash_allowance() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..16)
            .map(|n| {
                let server = &server;
                scope.spawn(move || {
                    let response = server
                        .raw(Method::GET, "/xapi/statements?limit=1")
                        .basic_auth(KEY, Some(format!("wrong-guess-{n}")))
                        .header("X-Experience-API-Version", "2.0.0")
                        .send()
                        .unwrap();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .map(|value| value.to_str().unwrap().to_owned());
                    (response.status().as_u16(), retry_after)
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let refused = statuses.iter().filter(|(status, _)| *status == 401).count();
    let limited: Vec<&Option<String>> = statuses
        .iter()
        .filter(|(status, _)| *status == 429)
        .map(|(_, retry_after)| retry_after)
        .collect();
    assert_eq!(refused + limited.len(), 16, "{statuses:?}");
    assert!(
        refused <= 10,
        "more guesses hashed than the burst: {statuses:?}"
    );
    assert!(
        !limited.is_empty() && limited.iter().all(|r| r.is_some()),
        "{statuses:?}"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(server.get_statement(&new_id()).status(), 404);
}

/// The right operator secret from many clients at once, on a server that has not
/// verified it yet: one slow hash, and every request answered (an LMS reconnecting
/// after a restart), none refused as a guess.
#[test]
fn many_requests_with_the_right_secret_at_once_are_not_taken_for_guesses() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let requests: Vec<_> = (0..32)
            .map(|_| {
                let server = &server;
                scope.spawn(move || server.get_statement(&new_id()).status().as_u16())
            })
            .collect();
        requests.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|status| *status == 404), "{statuses:?}");
}
