//! Statement queries over HTTP: every filter, the StatementRef rule, parameter errors,
//! formats, and `more` paging while statements keep arriving.

use crate::support::{json, new_id, Learnlog, KEY, SECRET};
use reqwest::Method;
use serde_json::{json as j, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const V: &str = "http://example.org/verbs/practised";

fn mbox(name: &str) -> Value {
    j!({"mbox": format!("mailto:{name}@example.org")})
}

fn did(actor: &str, verb: &str, activity: &str) -> Value {
    j!({"id": new_id(), "actor": mbox(actor), "verb": {"id": verb}, "object": {"id": activity}})
}

fn id(statement: &Value) -> String {
    statement["id"].as_str().unwrap().to_owned()
}

fn post(server: &Learnlog, statements: &[Value]) {
    let response = server.post_statements(&Value::from(statements.to_vec()).to_string());
    assert_eq!(response.status(), 200, "{:?}", response.text());
}

/// The ids a query returns (one page), newest first unless asked otherwise.
fn ids(server: &Learnlog, query: &str) -> Vec<String> {
    let response = server
        .xapi(Method::GET, &format!("/xapi/statements?{query}"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    let body = json(response);
    body["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

fn encoded(value: &str) -> String {
    serde_urlencoded::to_string([("x", value)]).unwrap()[2..].to_owned()
}

#[test]
fn each_filter_selects_exactly_its_statements() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let registration = new_id();
    let by_ann = did("ann", V, "http://example.org/a");
    let mut about_ann = did(
        "bob",
        "http://example.org/verbs/helped",
        "http://example.org/b",
    );
    about_ann["object"] = j!({"objectType": "Agent", "mbox": "mailto:ann@example.org"});
    let mut in_course = did("bob", V, "http://example.org/lesson");
    in_course["context"] = j!({"registration": registration,
        "instructor": mbox("ann"),
        "contextActivities": {"parent": {"id": "http://example.org/a"}}});
    for statement in [&by_ann, &about_ann, &in_course] {
        post(&server, std::slice::from_ref(statement));
    }
    let ann = encoded(&mbox("ann").to_string());

    assert_eq!(
        ids(&server, &format!("agent={ann}")),
        [id(&about_ann), id(&by_ann)]
    );
    assert_eq!(
        ids(&server, &format!("agent={ann}&related_agents=true")),
        [id(&in_course), id(&about_ann), id(&by_ann)]
    );
    assert_eq!(
        ids(&server, &format!("verb={V}")),
        [id(&in_course), id(&by_ann)]
    );
    assert_eq!(ids(&server, "activity=http://example.org/a"), [id(&by_ann)]);
    assert_eq!(
        ids(
            &server,
            "activity=http://example.org/a&related_activities=true"
        ),
        [id(&in_course), id(&by_ann)]
    );
    assert_eq!(
        ids(&server, &format!("registration={registration}")),
        [id(&in_course)]
    );
    assert_eq!(
        ids(&server, &format!("verb={V}&ascending=true")),
        [id(&by_ann), id(&in_course)]
    );
    assert_eq!(
        ids(&server, &format!("agent={ann}&verb={V}")),
        [id(&by_ann)]
    );

    let all = json(
        server
            .xapi(Method::GET, "/xapi/statements?ascending=true")
            .send()
            .unwrap(),
    );
    let stored: Vec<&str> = all["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stored"].as_str().unwrap())
        .collect();
    let after_first = ids(&server, &format!("since={}&ascending=true", stored[0]));
    assert_eq!(
        after_first,
        [id(&about_ann), id(&in_course)],
        "since is exclusive"
    );
    assert_eq!(
        ids(&server, &format!("until={}", stored[1])),
        [id(&about_ann), id(&by_ann)],
        "until is inclusive"
    );
}

#[test]
fn a_verb_query_returns_ref_and_voiding_statements_never_the_voided_one() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let s1 = did("ann", V, "http://example.org/a");
    let s2 = j!({"id": new_id(), "actor": mbox("t"),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": id(&s1)}});
    let s3 = j!({"id": new_id(), "actor": mbox("bob"), "verb": {"id": V},
        "object": {"objectType": "StatementRef", "id": id(&s1)}});
    for statement in [&s1, &s2, &s3] {
        post(&server, std::slice::from_ref(statement));
    }
    assert_eq!(ids(&server, &format!("verb={V}")), [id(&s3), id(&s2)]);
    let first = json(
        server
            .xapi(Method::GET, &format!("/xapi/statements?verb={V}&limit=1"))
            .send()
            .unwrap(),
    );
    assert_eq!(first["statements"][0]["id"], id(&s3).as_str());
    let more = first["more"].as_str().unwrap();
    assert!(more.starts_with("/xapi/statements?more="), "{more}");
    let second = json(server.xapi(Method::GET, more).send().unwrap());
    assert_eq!(second["statements"][0]["id"], id(&s2).as_str());
    assert_eq!(second["more"], "");
}

#[test]
fn bad_query_parameters_are_rejected_with_400_and_consistent_through() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let some = new_id();
    for query in [
        "foo=bar".to_owned(),
        "LIMIT=1".into(),
        "Verb=http://example.org/v".into(),
        format!("statementId={some}&limit=1"),
        format!("voidedStatementId={some}&verb=http://example.org/v"),
        format!("statementId={some}&voidedStatementId={some}"),
        "statementId=wrong".into(),
        "registration=wrong".into(),
        "agent=wrong".into(),
        format!("agent={}", encoded(r#"{"name":"no ifi"}"#)),
        "verb=not.an.iri/verb".into(),
        "activity=example.com/x".into(),
        "since=should fail".into(),
        "until=2024-01-01T00:00:00-00:00".into(),
        "limit=-1".into(),
        "limit=ten".into(),
        "ascending=TRUE".into(),
        "related_agents=1".into(),
        "format=full".into(),
        "attachments=yes".into(),
        "more=garbage".into(),
    ] {
        let response = server
            .xapi(Method::GET, &format!("/xapi/statements?{query}"))
            .send()
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        assert!(
            response
                .headers()
                .contains_key("X-Experience-API-Consistent-Through"),
            "{query}"
        );
    }
}

#[test]
fn formats_and_attachments_shape_the_result() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let mut statement = did("ann", V, "http://example.org/a");
    statement["object"]["definition"] = j!({"name": {"en-US": "A", "fr-FR": "Un"}});
    post(&server, &[statement.clone()]);

    let ids_format = json(
        server
            .xapi(Method::GET, "/xapi/statements?format=ids")
            .send()
            .unwrap(),
    );
    assert_eq!(
        ids_format["statements"][0]["object"],
        j!({"id": "http://example.org/a"})
    );
    let canonical = json(
        server
            .xapi(Method::GET, "/xapi/statements?format=canonical")
            .header("Accept-Language", "fr-FR")
            .send()
            .unwrap(),
    );
    assert_eq!(
        canonical["statements"][0]["object"]["definition"]["name"],
        j!({"fr-FR": "Un"})
    );
    let multipart = server
        .xapi(Method::GET, "/xapi/statements?attachments=true")
        .send()
        .unwrap();
    assert_eq!(multipart.status(), 200);
    let content_type = multipart.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("multipart/mixed; boundary="),
        "{content_type}"
    );
    assert!(multipart.headers().contains_key("last-modified"));
    assert!(multipart.text().unwrap().contains(&id(&statement)));
}

#[test]
fn paging_through_10000_statements_while_others_arrive_misses_and_repeats_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = Arc::new(Learnlog::start(data.path()));
    let mut expected = HashSet::new();
    for _ in 0..20 {
        let batch: Vec<Value> = (0..500)
            .map(|n| did(&format!("l{n}"), V, "http://example.org/a"))
            .collect();
        expected.extend(batch.iter().map(id));
        post(&server, &batch);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (server, stop) = (server.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut posted = HashSet::new();
            loop {
                let batch: Vec<Value> = (0..20)
                    .map(|n| did(&format!("w{n}"), V, "http://example.org/a"))
                    .collect();
                posted.extend(batch.iter().map(id));
                post(&server, &batch);
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            posted
        })
    };

    let mut seen = Vec::new();
    let mut next = format!("/xapi/statements?verb={V}&limit=300");
    loop {
        let page = json(server.xapi(Method::GET, &next).send().unwrap());
        seen.extend(page["statements"].as_array().unwrap().iter().map(id));
        match page["more"].as_str().unwrap() {
            "" => break,
            more => next = more.to_owned(),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let concurrent = writer.join().unwrap();
    assert!(!concurrent.is_empty(), "statements arrived while paging");

    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no statement twice");
    let missing = expected.iter().filter(|id| !unique.contains(id)).count();
    assert_eq!(missing, 0, "every statement stored before the first page");
    assert!(
        seen.iter()
            .all(|id| expected.contains(id) || concurrent.contains(id)),
        "nothing foreign"
    );
}

#[test]
fn a_read_mine_credential_queries_only_statements_it_stored() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let created = json(
        server
            .raw(Method::POST, "/v1/admin/credentials")
            .basic_auth(KEY, Some(SECRET))
            .json(&j!({"scopes": ["statements/write", "statements/read/mine"], "label": "mine"}))
            .send()
            .unwrap(),
    );
    let (key, secret) = (
        created["key"].as_str().unwrap(),
        created["secret"].as_str().unwrap(),
    );
    let as_mine = |method: Method, path: &str| {
        server
            .raw(method, path)
            .basic_auth(key, Some(secret))
            .header("X-Experience-API-Version", "2.0.0")
    };
    let own = did("ann", V, "http://example.org/a");
    let response = as_mine(Method::POST, "/xapi/statements")
        .header("Content-Type", "application/json")
        .body(Value::from(vec![own.clone()]).to_string())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    post(&server, &[did("ann", V, "http://example.org/a")]);

    let page = json(
        as_mine(Method::GET, &format!("/xapi/statements?verb={V}"))
            .send()
            .unwrap(),
    );
    let returned: Vec<String> = page["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(returned, [id(&own)]);
    assert_eq!(ids(&server, &format!("verb={V}")).len(), 2);
}
