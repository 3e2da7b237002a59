//! Credentials: issued and revoked through the admin API and the command line, and
//! the xAPI scopes they carry.

use crate::support::{binary, json, new_id, statement, Learnlog, KEY, SECRET};
use reqwest::Method;
use serde_json::{json as value, Value};
use std::process::Command;

fn create(server: &Learnlog, body: Value) -> reqwest::blocking::Response {
    server
        .raw(Method::POST, "/v1/admin/credentials")
        .basic_auth(KEY, Some(SECRET))
        .json(&body)
        .send()
        .expect("POST answers")
}

fn issue(server: &Learnlog, scopes: &[&str]) -> (String, String) {
    let response = create(server, value!({"scopes": scopes, "label": "test"}));
    assert_eq!(response.status(), 201);
    let created = json(response);
    (
        created["key"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

fn as_credential(
    server: &Learnlog,
    (key, secret): &(String, String),
    method: Method,
    path: &str,
) -> reqwest::blocking::RequestBuilder {
    server
        .raw(method, path)
        .basic_auth(key, Some(secret))
        .header("X-Experience-API-Version", "2.0.0")
}

#[test]
fn a_credential_works_for_its_scope_and_gets_403_without_it() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let writer = issue(&server, &["statements/write"]);
    let id = new_id();
    let put = as_credential(&server, &writer, Method::PUT, "/xapi/statements")
        .query(&[("statementId", &id)])
        .header("Content-Type", "application/json")
        .body(statement(&id, 1))
        .send()
        .unwrap();
    assert_eq!(put.status(), 204);
    let stored = json(server.get_statement(&id));
    assert_eq!(stored["authority"]["account"]["name"], value!(writer.0));
    let read = as_credential(&server, &writer, Method::GET, "/xapi/statements")
        .query(&[("statementId", &id)])
        .send()
        .unwrap();
    assert_eq!(read.status(), 403);
    let admin = server
        .raw(Method::GET, "/v1/admin/credentials")
        .basic_auth(&writer.0, Some(&writer.1))
        .send()
        .unwrap();
    assert_eq!(admin.status(), 403, "the admin API needs the scope all");
}

#[test]
fn a_revoked_credential_gets_401_and_unknown_keys_404() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let reader = issue(&server, &["all/read"]);
    let path = "/xapi/activities?activityId=http://example.org/a";
    let before = as_credential(&server, &reader, Method::GET, path)
        .send()
        .unwrap();
    assert_eq!(before.status(), 200);
    let delete = |key: &str| {
        server
            .raw(Method::DELETE, &format!("/v1/admin/credentials/{key}"))
            .basic_auth(KEY, Some(SECRET))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(delete(&reader.0), 204);
    let after = as_credential(&server, &reader, Method::GET, path)
        .send()
        .unwrap();
    assert_eq!(after.status(), 401);
    assert_eq!(delete(&reader.0), 404);
}

#[test]
fn the_list_hides_secrets_and_bad_scopes_are_rejected() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let (key, secret) = issue(&server, &["statements/read", "define"]);
    let listed = json(
        server
            .raw(Method::GET, "/v1/admin/credentials")
            .basic_auth(KEY, Some(SECRET))
            .send()
            .unwrap(),
    );
    let entry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|credential| credential["key"] == value!(key))
        .expect("the new credential is listed");
    assert_eq!(entry["scopes"], value!(["statements/read", "define"]));
    assert!(
        !listed.to_string().contains(&secret),
        "no secret in the list"
    );
    assert!(entry.get("secret").is_none());
    let bad = create(&server, value!({"scopes": ["statements/everything"]}));
    assert_eq!(bad.status(), 400);
    assert!(bad.text().unwrap().contains("statements/everything"));
    let taken = create(&server, value!({"scopes": ["all"], "key": key}));
    assert_eq!(taken.status(), 409);
}

#[test]
fn read_mine_serves_only_statements_the_credential_stored() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let mine = issue(&server, &["statements/write", "statements/read/mine"]);
    let own = new_id();
    let put = as_credential(&server, &mine, Method::PUT, "/xapi/statements")
        .query(&[("statementId", &own)])
        .header("Content-Type", "application/json")
        .body(statement(&own, 1))
        .send()
        .unwrap();
    assert_eq!(put.status(), 204);
    let others = new_id();
    assert_eq!(
        server
            .put_statement(&others, &statement(&others, 2))
            .status(),
        204
    );
    let get = |id: &str| {
        as_credential(&server, &mine, Method::GET, "/xapi/statements")
            .query(&[("statementId", id)])
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(get(&own), 200);
    assert_eq!(get(&others), 403);
}

#[test]
fn the_command_line_creates_lists_and_revokes_through_a_running_server() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let cli = |args: &[&str]| {
        let output = Command::new(binary())
            .arg("credentials")
            .args(args)
            .env("LEARNLOG_URL", &server.base)
            .env("LEARNLOG_ADMIN_CREDENTIAL", format!("{KEY}:{SECRET}"))
            .output()
            .expect("learnlog runs");
        assert!(
            output.status.success(),
            "learnlog credentials {args:?}: {output:?}"
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let created = cli(&[
        "create",
        "--scope",
        "statements/read",
        "--label",
        "dashboard",
        "--key",
        "cli-key",
    ]);
    let secret = created
        .lines()
        .find_map(|line| line.trim().strip_prefix("secret:"))
        .expect("the secret is printed")
        .trim()
        .to_owned();
    let credential = ("cli-key".to_owned(), secret.clone());
    let path = "/xapi/activities?activityId=http://example.org/a";
    let works = as_credential(&server, &credential, Method::GET, path)
        .send()
        .unwrap();
    assert_eq!(works.status(), 200);

    let listed = cli(&["list"]);
    assert!(listed.contains("cli-key") && listed.contains("dashboard"));
    assert!(!listed.contains(&secret), "list never prints secrets");

    cli(&["revoke", "cli-key"]);
    let revoked = as_credential(&server, &credential, Method::GET, path)
        .send()
        .unwrap();
    assert_eq!(revoked.status(), 401);
}
