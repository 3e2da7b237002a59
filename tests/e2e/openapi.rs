//! The OpenAPI document (`GET /v1/openapi.json`) against the live server: schemathesis
//! (a property-based API tester from PyPI, installed by `scripts/test`) generates
//! requests for every documented operation, valid and invalid, and checks every answer:
//! no 5xx, a documented status, a body (and content type) matching the document. The
//! server is seeded with the document's own examples first (a framework, an alignment,
//! statements and a goal of the example learner), so that generated requests also reach
//! stored data.

use crate::support::{json, percent_encode, Learnlog, KEY, SECRET};
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::{json as value, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the schemathesis command line of the `python3` on `PATH`, wherever pip put its
/// script (`pip install --user` puts it in a directory that may not be on `PATH`).
const SCHEMATHESIS: &str =
    "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())";
/// The checks every answer must pass.
const CHECKS: &str = "not_a_server_error,status_code_conformance,\
                      content_type_conformance,response_schema_conformance";
/// Test cases per operation and phase; `LEARNLOG_SCHEMATHESIS_EXAMPLES` sets another
/// (more for a deeper run by hand).
const MAX_EXAMPLES: &str = "25";
/// The hard limit of the schemathesis runs together (they take about 15 s on 2 cores);
/// a run still going then is killed and the test fails.
const TIME_LIMIT: Duration = Duration::from_secs(120);
/// The default seed: the same requests every run. `LEARNLOG_SCHEMATHESIS_SEED` sets
/// another (`random` for none).
const SEED: &str = "20261203";
/// Revoking a credential is destructive: generated requests revoke the one schemathesis
/// authenticates with (the credential list names its key), after which every
/// request answers 401 and tests nothing. So it runs alone, after everything else.
const REVOKE: &str = "revokeCredential";
/// A stream answers 200 and then stays open until its client leaves, while schemathesis
/// reads a whole body: it is not run here (`tests/e2e/streams.rs` tests it, bad input
/// included).
const STREAMS: [&str; 4] = [
    "streamStatements",
    "streamMastery",
    "streamProfiles",
    "streamDecisions",
];

/// The document as the server serves it, without credentials.
fn document(server: &Learnlog) -> Value {
    let answer = server
        .raw(Method::GET, "/v1/openapi.json")
        .send()
        .expect("GET /v1/openapi.json answers");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/json");
    json(answer)
}

/// The example of path or query parameter `name` of `method path`.
fn parameter_example(document: &Value, path: &str, method: &str, name: &str) -> String {
    let parameters = document["paths"][path][method]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} {path} has parameters"));
    let parameter = parameters
        .iter()
        .find(|parameter| parameter["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has a parameter {name}"));
    parameter["example"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path}: {name} has an example"))
        .to_owned()
}

fn send(server: &Learnlog, method: Method, path: &str, body: &Value) -> Response {
    server
        .raw(method, path)
        .basic_auth(KEY, Some(SECRET))
        .json(body)
        .send()
        .expect("the server answers")
}

/// Stores what the document's examples name: the example framework, the example
/// activity aligned to its competency, three answers of the example learner on it and
/// a goal; waits until the learner's mastery shows the evidence.
fn seed(server: &Learnlog, document: &Value) {
    let framework_id = parameter_example(document, "/v1/frameworks/{id}", "put", "id");
    let package = &document["paths"]["/v1/frameworks/{id}"]["put"]["requestBody"]["content"]
        ["application/json"]["example"];
    let imported = send(
        server,
        Method::PUT,
        &format!("/v1/frameworks/{framework_id}"),
        package,
    );
    assert_eq!(imported.status(), 201, "the example package imports");

    let activity = parameter_example(document, "/v1/alignments", "put", "activityId");
    let competencies = &document["components"]["schemas"]["AlignmentBody"]["properties"]
        ["competencies"]["example"];
    let aligned = send(
        server,
        Method::PUT,
        &format!("/v1/alignments?activityId={}", percent_encode(&activity)),
        &value!({ "competencies": competencies }),
    );
    assert_eq!(aligned.status(), 200, "the example alignment is set");

    let agent = parameter_example(document, "/v1/learners/{learner}/profile", "get", "learner");
    let agent: Value = serde_json::from_str(&agent).expect("the example learner is an agent");
    let statements: Vec<Value> = [true, true, false]
        .iter()
        .map(|success| {
            value!({
                "actor": agent,
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
                "object": {"id": activity},
                "result": {"success": success}
            })
        })
        .collect();
    let posted = server.post_statements(&Value::from(statements).to_string());
    assert_eq!(
        posted.status(),
        200,
        "the example learner's statements are stored"
    );

    let learner = percent_encode(&agent.to_string());
    let goal = send(
        server,
        Method::POST,
        &format!("/v1/learners/{learner}/goals"),
        &value!({"description": "Place fractions on a number line", "target": "2030-05-01"}),
    );
    assert_eq!(goal.status(), 201, "the example learner's goal is set");

    let deadline = Instant::now() + Duration::from_secs(60);
    let mastery = format!("/v1/learners/{learner}/mastery");
    let folded = || {
        let answer = server
            .raw(Method::GET, &mastery)
            .basic_auth(KEY, Some(SECRET));
        answer.send().expect("the server answers").status() == 200
    };
    while !folded() {
        assert!(
            Instant::now() < deadline,
            "the example learner's mastery was not folded within 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `schemathesis run` against the server with `filter` (extra arguments), killed at
/// `deadline`; its exit code (`None` when killed) and output.
fn schemathesis(
    server: &Learnlog,
    work: &Path,
    filter: &[&str],
    deadline: Instant,
) -> (Option<i32>, String) {
    let seed = std::env::var("LEARNLOG_SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.to_owned());
    let seed: &[&str] = if seed == "random" {
        &[]
    } else {
        &["--seed", &seed]
    };
    let examples =
        std::env::var("LEARNLOG_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.to_owned());
    let output = work.join(format!("schemathesis-{}.log", filter.join("-")));
    let log = std::fs::File::create(&output).expect("the log file is created");
    let mut child = Command::new("python3")
        .args(["-c", SCHEMATHESIS, "--no-color", "run"])
        .arg(format!("{}/v1/openapi.json", server.base))
        .args(["--auth", &format!("{KEY}:{SECRET}")])
        .args(["--checks", CHECKS])
        .args(["--max-examples", &examples])
        .args(["--request-timeout", "30"])
        // One worker: with several, hypothesis parses source concurrently, which
        // CPython 3.11 sometimes fails ("AST constructor recursion depth mismatch").
        .args(["--workers", "1"])
        .args(seed)
        .args(filter)
        // Hypothesis keeps its example database in the working directory.
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("the log file is shared"))
        .stderr(log)
        .spawn()
        .expect("python3 runs");
    let status = loop {
        if let Some(status) = child.try_wait().expect("schemathesis is waited for") {
            break status.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    (status, text)
}

#[test]
fn the_server_answers_every_v1_operation_as_its_openapi_document_says() {
    let installed = Command::new("python3")
        .args(["-c", "import schemathesis"])
        .output()
        .map(|output| output.status.success())
        .unwrap_or(false);
    assert!(
        installed,
        "schemathesis is missing: scripts/test installs it \
         (python3 -m pip install --user schemathesis)"
    );
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let document = document(&server);
    seed(&server, &document);

    let started = Instant::now();
    let deadline = started + TIME_LIMIT;
    let mut everything_else = vec!["--exclude-operation-id", REVOKE];
    for stream in STREAMS {
        everything_else.extend(["--exclude-operation-id", stream]);
    }
    for filter in [
        &everything_else[..],
        &["--include-operation-id", REVOKE][..],
    ] {
        let (status, output) = schemathesis(&server, work.path(), filter, deadline);
        assert_eq!(
            status,
            Some(0),
            "schemathesis {filter:?} failed (None: killed after {TIME_LIMIT:?}):\n{output}"
        );
        assert!(output.contains("passed"), "{output}");
        // Shown with `--nocapture`.
        eprintln!("{output}");
    }
    eprintln!("schemathesis ran in {:.1?}", started.elapsed());
}

/// The api role (`--role api`, services/router) answers only its own `/healthz`,
/// `/readyz` and `/metrics` and forwards every other request to a projector: the
/// document too, without credentials. Here the projector it routes to is a one-process
/// server (whose `/internal/v1/ownership` says it owns every partition).
#[test]
fn an_api_process_forwards_the_document_like_any_other_request() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let api_data = tempfile::tempdir().unwrap();
    let router = Learnlog::start_with(
        api_data.path(),
        &["--role", "api", "--projectors", &server.base],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let forwarded = loop {
        let answer = router.raw(Method::GET, "/v1/openapi.json").send();
        match answer {
            Ok(answer) if answer.status() == 200 => break json(answer),
            other => assert!(
                Instant::now() < deadline,
                "the api process did not forward the document: {other:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(forwarded, document(&server));
}
