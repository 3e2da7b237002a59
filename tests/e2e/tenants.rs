//! Tenants: the operator creates, lists, disables and enables them; each tenant's
//! admin manages its own credentials; and two tenants that write the same ids, agents
//! and activities see nothing of each other through any endpoint, on the embedded log
//! and on Kafka.
//!
//! "Nothing visible, countable or guessable" is checked by comparison: before `south`
//! writes anything, every read it makes answers exactly (status, ETag, body) what the
//! same read answers in a tenant nobody wrote to, although `north` has written to every
//! one of those resources under the same identifiers; and `south`'s writes of those
//! same identifiers answer what `north`'s did (201, not 200; 204, not 409).

use crate::streams::{statement_id, Subscriber};
use crate::support::{json, Learnlog, KEY, SECRET};
use learnlog_testkit::Broker;
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::{json as value, Value};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/case/grade3-math.json"
);
const ACTIVITY: &str = "https://lms.example.org/activities/fractions-on-a-line";
const VERB: &str = "http://adlnet.gov/expapi/verbs/answered";
const MBOX: &str = "mailto:pat@example.org";
const REGISTRATION: &str = "6a1e5a0c-5b8f-4c1e-9a3e-0d7a2f1b9c01";
/// Statement ids both tenants use: two answers, the second voided by the third.
const IDS: [&str; 3] = [
    "0b7c8a52-1d0e-4f6a-8f4b-2a9c3e5d7f01",
    "0b7c8a52-1d0e-4f6a-8f4b-2a9c3e5d7f02",
    "0b7c8a52-1d0e-4f6a-8f4b-2a9c3e5d7f03",
];

/// A tenant's admin credential.
#[derive(Clone, Debug)]
struct Admin {
    key: String,
    secret: String,
}

fn operator() -> Admin {
    Admin {
        key: KEY.to_owned(),
        secret: SECRET.to_owned(),
    }
}

fn call(
    server: &Learnlog,
    who: &Admin,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let mut request = server
        .raw(method, path)
        .basic_auth(&who.key, Some(&who.secret))
        .header("X-Experience-API-Version", "2.0.0");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().expect("the server answers")
}

fn create_tenant(server: &Learnlog, id: &str) -> Admin {
    let body = value!({"id": id, "name": format!("District {id}")});
    let created = call(
        server,
        &operator(),
        Method::POST,
        "/v1/admin/tenants",
        Some(body),
    );
    assert_eq!(created.status(), 201, "{:?}", created.text());
    let created = json(created);
    assert_eq!(created["id"], value!(id));
    assert_eq!(created["admin"]["scopes"], value!(["all"]));
    Admin {
        key: created["admin"]["key"].as_str().unwrap().to_owned(),
        secret: created["admin"]["secret"].as_str().unwrap().to_owned(),
    }
}

fn agent(name: &str) -> Value {
    value!({"objectType": "Agent", "name": name, "mbox": MBOX})
}

fn encoded(value: &Value) -> String {
    crate::support::percent_encode(&value.to_string())
}

fn competency_uri() -> String {
    let package: Value = serde_json::from_slice(&std::fs::read(FIXTURE).unwrap()).unwrap();
    let items = package["CFItems"].as_array().unwrap();
    let item = items
        .iter()
        .find(|item| item["humanCodingScheme"] == value!("3.NF.A.2"))
        .unwrap();
    item["uri"].as_str().unwrap().to_owned()
}

/// The statements a tenant posts, marked with its `name` in the actor's name and the
/// result's response.
fn statements(name: &str) -> [Value; 3] {
    let answer = |id: &str, success: bool| {
        value!({
            "id": id,
            "actor": agent(&format!("Pat {name}")),
            "verb": {"id": VERB, "display": {"en-US": "answered"}},
            "object": {"id": ACTIVITY, "definition": {"name": {"en-US": format!("{name} fractions")}}},
            "result": {"success": success, "response": format!("{name} answer")},
            "context": {
                "registration": REGISTRATION,
                "instructor": agent(&format!("{name} Teacher")),
                "contextActivities": {"parent": [{"id": format!("{ACTIVITY}/unit")}]}
            },
            "timestamp": "2026-11-02T10:00:00Z"
        })
    };
    let voiding = value!({
        "id": IDS[2],
        "actor": agent(&format!("Pat {name}")),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": IDS[1]}
    });
    [answer(IDS[0], true), answer(IDS[1], false), voiding]
}

/// Writes to every resource under the shared identifiers; answers each write's status
/// (and the body of the statement POST).
fn write_everything(server: &Learnlog, who: &Admin, name: &str) -> Vec<(String, u16)> {
    let agent_query = encoded(&agent("Pat"));
    let package: Value = serde_json::from_slice(&std::fs::read(FIXTURE).unwrap()).unwrap();
    let alignment = format!(
        "/v1/alignments?activityId={}",
        crate::support::percent_encode(ACTIVITY)
    );
    let class = value!({"name": format!("{name} class"), "members": [agent("Pat")],
        "teachers": [format!("{name} teacher")], "frameworks": ["math-3"]});
    let goal = value!({"description": format!("{name} goal"),
        "id": "9d4c2b1a-0000-4000-8000-000000000001"});
    let forwarding =
        value!({"target": {"kind": "webhook", "url": format!("http://127.0.0.1:9/{name}")}});
    let document = value!({"owner": name});
    let before_statements = [
        ("/v1/frameworks/math-3".to_owned(), package),
        (alignment, value!({"competencies": [competency_uri()]})),
        ("/v1/classes/c1".to_owned(), class),
    ];
    let after_statements = [
        (
            format!(
                "/xapi/activities/state?activityId={ACTIVITY}&agent={agent_query}&stateId=bookmark"
            ),
            document.clone(),
        ),
        (
            format!("/xapi/activities/profile?activityId={ACTIVITY}&profileId=settings"),
            document.clone(),
        ),
        (
            format!("/xapi/agents/profile?agent={agent_query}&profileId=preferences"),
            document,
        ),
        ("/v1/forwardings/f1".to_owned(), forwarding),
    ];
    let mut answers = Vec::new();
    let mut put = |path: &str, body: Value| {
        // `If-None-Match: *` only creates: 412 if another tenant's document showed through
        let response = server
            .raw(Method::PUT, path)
            .basic_auth(&who.key, Some(&who.secret))
            .header("X-Experience-API-Version", "2.0.0")
            .header("If-None-Match", "*")
            .json(&body)
            .send()
            .expect("the server answers");
        let status = response.status().as_u16();
        assert!(
            status < 300,
            "{name}: PUT {path}: {status} {:?}",
            response.text()
        );
        answers.push((path.to_owned(), status));
    };
    for (path, body) in before_statements {
        put(&path, body);
    }
    for (path, body) in after_statements {
        put(&path, body);
    }
    let [first, second, voiding] = statements(name);
    let post = |path: &str, body: Value| {
        let response = call(server, who, Method::POST, path, Some(body));
        let status = response.status().as_u16();
        assert!(
            status < 300,
            "{name}: POST {path}: {status} {:?}",
            response.text()
        );
        (status, response.json::<Value>().expect("JSON"))
    };
    let (_, ids) = post("/xapi/statements", value!([first, second]));
    assert_eq!(ids, value!(IDS[..2]));
    let (_, ids) = post("/xapi/statements", voiding);
    assert_eq!(ids, value!(IDS[2..]));
    let (status, _) = post(&format!("/v1/learners/{agent_query}/goals"), goal);
    answers.push(("goal".to_owned(), status));
    answers
}
/// Every read, under the shared identifiers: path, status, ETag and body (with what
/// differs by the moment or by the caller's own key taken out).
fn read_everything(server: &Learnlog, who: &Admin) -> Vec<(String, u16, String, Value)> {
    let agent_query = encoded(&agent("Pat"));
    let learner = format!("/v1/learners/{agent_query}");
    let competency = crate::support::percent_encode(&competency_uri());
    let paths = [
        format!("/xapi/statements?statementId={}", IDS[0]),
        format!("/xapi/statements?voidedStatementId={}", IDS[1]),
        "/xapi/statements".to_owned(),
        format!("/xapi/statements?agent={agent_query}"),
        format!("/xapi/statements?agent={agent_query}&related_agents=true"),
        format!("/xapi/statements?verb={VERB}"),
        format!("/xapi/statements?activity={ACTIVITY}/unit&related_activities=true"),
        format!("/xapi/statements?registration={REGISTRATION}"),
        "/xapi/statements?since=2000-01-01T00:00:00Z&limit=1".to_owned(),
        format!("/xapi/activities?activityId={ACTIVITY}"),
        format!("/xapi/agents?agent={agent_query}"),
        format!(
            "/xapi/activities/state?activityId={ACTIVITY}&agent={agent_query}&stateId=bookmark"
        ),
        format!("/xapi/activities/state?activityId={ACTIVITY}&agent={agent_query}"),
        format!("/xapi/activities/profile?activityId={ACTIVITY}&profileId=settings"),
        format!("/xapi/activities/profile?activityId={ACTIVITY}"),
        format!("/xapi/agents/profile?agent={agent_query}&profileId=preferences"),
        format!("/xapi/agents/profile?agent={agent_query}"),
        format!("{learner}/profile"),
        format!("{learner}/mastery"),
        format!("{learner}/decisions"),
        format!("{learner}/goals"),
        "/v1/frameworks".to_owned(),
        "/v1/frameworks/math-3".to_owned(),
        format!("/v1/alignments?activityId={ACTIVITY}"),
        format!("/v1/competencies/{competency}/learners"),
        "/v1/classes".to_owned(),
        "/v1/classes/c1".to_owned(),
        "/v1/classes/c1/mastery".to_owned(),
        "/v1/classes/c1/decisions".to_owned(),
        "/v1/classes/c1/groups".to_owned(),
        "/v1/forwardings".to_owned(),
        "/v1/forwardings/f1".to_owned(),
        "/v1/admin/credentials".to_owned(),
    ];
    paths
        .iter()
        .map(|path| {
            let response = call(server, who, Method::GET, path, None);
            let status = response.status().as_u16();
            let etag = response
                .headers()
                .get("etag")
                .map(|etag| etag.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let text = response.text().unwrap().replace(&who.key, "SELF");
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            (path.clone(), status, etag, without_moments(body))
        })
        .collect()
}

/// `body` without the values that differ by when it was read or written.
fn without_moments(mut body: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for moment in [
                    "stored",
                    "at",
                    "updated",
                    "as_of",
                    "computed_at",
                    "generated_at",
                ] {
                    map.remove(moment);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut body);
    body
}

/// The whole scenario on one server.
fn two_tenants_see_nothing_of_each_other(server: &Learnlog) {
    let (north, south, west) = (
        create_tenant(server, "north"),
        create_tenant(server, "south"),
        create_tenant(server, "west"),
    );
    let untouched = read_everything(server, &west);

    let north_writes = write_everything(server, &north, "North");
    let before = read_everything(server, &south);
    for (seen, empty) in before.iter().zip(&untouched) {
        assert_eq!(seen, empty, "south sees something of north's at {}", seen.0);
    }
    let south_writes = write_everything(server, &south, "South");
    assert_eq!(
        south_writes, north_writes,
        "a write told south that north's exists"
    );

    let north_reads = format!("{:?}", read_everything(server, &north));
    let south_reads = format!("{:?}", read_everything(server, &south));
    for (reads, own, other) in [
        (&north_reads, "North", "South"),
        (&south_reads, "South", "North"),
    ] {
        assert!(reads.contains(&format!("{own} answer")), "{reads}");
        assert!(reads.contains(&format!("{own} goal")), "{reads}");
        assert!(!reads.contains(other), "{other} in {own}'s reads: {reads}");
    }

    // the statement stream from the start: the tenant's own statements, no other's
    let request = server
        .raw(Method::GET, "/v1/streams/statements?from=start")
        .basic_auth(&south.key, Some(&south.secret));
    let mut stream = Subscriber::from_request(request);
    let mut streamed = Vec::new();
    for _ in IDS {
        let event = stream.next(None).expect("an event");
        streamed.push(statement_id(&event));
        assert!(
            event.data.contains("Pat South") && !event.data.contains("North"),
            "{}",
            event.data
        );
    }
    streamed.sort();
    assert_eq!(
        streamed, IDS,
        "north's first in the log, yet south streams only its own"
    );

    credentials_stay_in_their_tenant(server, &north, &south);
    disabling_refuses_only_that_tenant(server, &north, &south);
}

fn credentials_stay_in_their_tenant(server: &Learnlog, north: &Admin, south: &Admin) {
    let body = value!({"scopes": ["statements/read"], "label": "north reader"});
    let issued = call(
        server,
        north,
        Method::POST,
        "/v1/admin/credentials",
        Some(body),
    );
    assert_eq!(issued.status(), 201);
    let issued = json(issued);
    let reader = Admin {
        key: issued["key"].as_str().unwrap().to_owned(),
        secret: issued["secret"].as_str().unwrap().to_owned(),
    };
    let read = call(
        server,
        &reader,
        Method::GET,
        &format!("/xapi/statements?statementId={}", IDS[0]),
        None,
    );
    assert!(json(read)["actor"]["name"] == value!("Pat North"));
    let listed = json(call(
        server,
        south,
        Method::GET,
        "/v1/admin/credentials",
        None,
    ));
    assert!(!listed.to_string().contains(&reader.key), "{listed}");
    let foreign = format!("/v1/admin/credentials/{}", reader.key);
    let unknown = "/v1/admin/credentials/key-does-not-exist";
    let revoked = call(server, south, Method::DELETE, &foreign, None);
    let missing = call(server, south, Method::DELETE, unknown, None);
    assert_eq!(
        (revoked.status().as_u16(), missing.status().as_u16()),
        (404, 404)
    );
    // a tenant's admin is no operator, and cannot make one
    let tenants = call(server, north, Method::GET, "/v1/admin/tenants", None);
    assert_eq!(tenants.status(), 403);
    let operator_scope = value!({"scopes": ["operator"]});
    let escalated = call(
        server,
        north,
        Method::POST,
        "/v1/admin/credentials",
        Some(operator_scope),
    );
    assert_eq!(escalated.status(), 403);
}

fn disabling_refuses_only_that_tenant(server: &Learnlog, north: &Admin, south: &Admin) {
    let statements = "/xapi/statements?limit=1";
    let disabled = call(
        server,
        &operator(),
        Method::POST,
        "/v1/admin/tenants/north/disable",
        None,
    );
    assert_eq!(json(disabled)["disabled"], value!(true));
    let refused = call(server, north, Method::GET, statements, None);
    assert_eq!(refused.status(), 401);
    assert!(refused.text().unwrap().contains("tenant north is disabled"));
    assert_eq!(
        call(server, south, Method::GET, statements, None).status(),
        200
    );
    let listed = json(call(
        server,
        &operator(),
        Method::GET,
        "/v1/admin/tenants",
        None,
    ));
    let states: Vec<(String, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["disabled"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("default", false),
        ("north", true),
        ("south", false),
        ("west", false),
    ];
    assert_eq!(
        states,
        expected.map(|(id, disabled)| (id.to_owned(), disabled))
    );
    let own = call(
        server,
        &operator(),
        Method::POST,
        "/v1/admin/tenants/default/disable",
        None,
    );
    assert_eq!(own.status(), 409);
    let enabled = call(
        server,
        &operator(),
        Method::POST,
        "/v1/admin/tenants/north/enable",
        None,
    );
    assert_eq!(enabled.status(), 200);
    assert_eq!(
        call(server, north, Method::GET, statements, None).status(),
        200
    );
    let taken = value!({"id": "north"});
    let again = call(
        server,
        &operator(),
        Method::POST,
        "/v1/admin/tenants",
        Some(taken),
    );
    assert_eq!(again.status(), 409);
    // two creations of one id at once: one tenant, one admin credential
    let barrier = std::sync::Barrier::new(2);
    let mut statuses: Vec<u16> = std::thread::scope(|scope| {
        let creators: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let body = value!({"id": "east"});
                    let path = "/v1/admin/tenants";
                    let created = call(server, &operator(), Method::POST, path, Some(body));
                    created.status().as_u16()
                })
            })
            .collect();
        creators.into_iter().map(|c| c.join().unwrap()).collect()
    });
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
}

#[test]
fn two_tenants_see_nothing_of_each_other_on_the_embedded_log() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    two_tenants_see_nothing_of_each_other(&server);
}

#[test]
fn two_tenants_see_nothing_of_each_other_on_kafka() {
    let broker = Broker::start();
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start_with(data.path(), &["--log", &broker.url()]);
    two_tenants_see_nothing_of_each_other(&server);
}

#[test]
fn the_tenants_command_creates_lists_and_disables_tenants() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let admin = format!("{KEY}:{SECRET}");
    let run = |args: &[&str]| {
        let output = std::process::Command::new(crate::support::binary())
            .arg("tenants")
            .args(["--url", &server.base, "--admin", &admin])
            .args(args)
            .output()
            .expect("learnlog tenants runs");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let created = run(&["create", "east", "--name", "East District"]);
    let secret_line = created
        .lines()
        .find(|line| line.contains("secret:"))
        .unwrap();
    let key_line = created.lines().find(|line| line.contains("key:")).unwrap();
    let east = Admin {
        key: key_line.split_whitespace().last().unwrap().to_owned(),
        secret: secret_line.split_whitespace().last().unwrap().to_owned(),
    };
    assert_eq!(
        call(&server, &east, Method::GET, "/xapi/statements", None).status(),
        200
    );
    run(&["disable", "east"]);
    let listed = run(&["list"]);
    assert!(
        listed.lines().any(|line| line.starts_with("east ")
            && line.contains("disabled")
            && line.contains("East District")),
        "{listed}"
    );
    assert_eq!(
        call(&server, &east, Method::GET, "/xapi/statements", None).status(),
        401
    );
}

/// A data directory whose credentials predate tenants (none holds `operator`): a start
/// without `--admin-credential` prints a new operator credential once, so that someone
/// can manage tenants; the next start prints none.
#[test]
fn a_start_without_an_operator_credential_prints_one_once() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let body = value!({"scopes": ["all"], "label": "older admin"});
    let older = call(
        &server,
        &operator(),
        Method::POST,
        "/v1/admin/credentials",
        Some(body),
    );
    assert_eq!(older.status(), 201);
    let revoked = call(
        &server,
        &operator(),
        Method::DELETE,
        &format!("/v1/admin/credentials/{KEY}"),
        None,
    );
    assert_eq!(revoked.status(), 204);
    assert!(server.terminate().success());

    let printed = |data: &std::path::Path| -> Option<Admin> {
        let mut child = std::process::Command::new(crate::support::binary())
            .args([
                "serve",
                "--partitions",
                "4",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (mut key, mut secret) = (None, None);
        for line in std::io::BufRead::lines(stdout).map_while(Result::ok) {
            let value = || line.split_whitespace().last().unwrap().to_owned();
            if line.trim_start().starts_with("key:") {
                key = Some(value());
            } else if line.trim_start().starts_with("secret:") {
                secret = Some(value());
            } else if line.starts_with("learnlog listening on") {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        Some(Admin {
            key: key?,
            secret: secret?,
        })
    };
    let new_operator = printed(data.path()).expect("an operator credential is printed");
    let server = Learnlog::start_with(data.path(), &[]);
    let tenants = call(
        &server,
        &new_operator,
        Method::GET,
        "/v1/admin/tenants",
        None,
    );
    assert_eq!(tenants.status(), 200);
    assert!(server.terminate().success());
    assert!(printed(data.path()).is_none(), "printed a second time");
}
