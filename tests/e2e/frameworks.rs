//! Competency frameworks and alignments: a CASE package imported over HTTP and read
//! back through every endpoint, refused packages, alignments, scopes, the command
//! line, and a restart with a rebuild.

use crate::support::{binary, json, Learnlog, KEY, SECRET};
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;
use serde_json::{json as value, Value};
use std::process::Command;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/case/grade3-math.json"
);
const ACTIVITY: &str = "https://lms.example.org/activities/fractions-on-a-line";

fn sample() -> Value {
    serde_json::from_slice(&std::fs::read(FIXTURE).expect("the fixture exists")).unwrap()
}

/// The sample's item with this human coding scheme.
fn item(code: &str) -> Value {
    sample()["CFItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["humanCodingScheme"] == value!(code))
        .unwrap_or_else(|| panic!("no item {code}"))
        .clone()
}

fn identifier(code: &str) -> String {
    item(code)["identifier"].as_str().unwrap().to_owned()
}

fn admin(server: &Learnlog, method: Method, path: &str) -> RequestBuilder {
    server.raw(method, path).basic_auth(KEY, Some(SECRET))
}

fn import(server: &Learnlog, id: &str, package: &Value) -> Response {
    admin(server, Method::PUT, &format!("/v1/frameworks/{id}"))
        .header("Content-Type", "application/json")
        .body(package.to_string())
        .send()
        .expect("PUT answers")
}

fn get(server: &Learnlog, path: &str) -> Response {
    admin(server, Method::GET, path)
        .send()
        .expect("GET answers")
}

fn codes(nodes: &Value) -> Vec<&str> {
    nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["humanCodingScheme"].as_str().unwrap())
        .collect()
}

fn message(response: Response) -> String {
    json(response)["message"].as_str().unwrap().to_owned()
}

#[test]
fn a_case_package_is_imported_and_read_back_through_every_endpoint() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let created = import(&server, "math-3", &sample());
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["location"], "/v1/frameworks/math-3");
    let created = json(created);
    assert_eq!(created["id"], "math-3");
    assert_eq!(created["competencyCount"], 12);
    assert_eq!(created["document"]["title"], "Grade 3 Mathematics (sample)");
    assert_eq!(created["document"]["version"], "2024.1");

    let listed = json(get(&server, "/v1/frameworks"));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], "math-3");
    assert!(listed[0]["importedAt"].as_str().unwrap().ends_with('Z'));

    let framework = json(get(&server, "/v1/frameworks/math-3"));
    let tree = &framework["competencies"];
    assert_eq!(codes(tree), ["3.OA", "3.NF"]);
    assert_eq!(codes(&tree[0]["children"]), ["3.OA.A", "3.OA.C"]);
    let cluster = &tree[0]["children"][0];
    assert_eq!(
        codes(&cluster["children"]),
        ["3.OA.A.1", "3.OA.A.2", "3.OA.A.3"]
    );
    assert_eq!(
        cluster["children"][2]["prerequisites"],
        value!([identifier("3.OA.A.1"), identifier("3.OA.A.2")])
    );
    assert_eq!(cluster["children"][2]["CFItemType"], "Standard");

    let solve = json(get(
        &server,
        &format!(
            "/v1/frameworks/math-3/competencies/{}",
            identifier("3.OA.A.3")
        ),
    ));
    assert_eq!(solve["humanCodingScheme"], "3.OA.A.3");
    assert_eq!(solve["frameworkId"], "math-3");
    assert_eq!(solve["parents"][0]["humanCodingScheme"], "3.OA.A");
    assert_eq!(solve["prerequisites"][1]["humanCodingScheme"], "3.OA.A.2");
    assert_eq!(solve["dependents"][0]["humanCodingScheme"], "3.OA.C.7");
    assert!(solve["dependents"][0]["fullStatement"]
        .as_str()
        .unwrap()
        .starts_with("Multiply and divide"));

    // By CFItem URI too; a prerequisite in a framework not imported shows its id only.
    let uri = item("3.OA.A.1")["uri"].as_str().unwrap().to_owned();
    let encoded = serde_urlencoded::to_string([("u", &uri)]).unwrap();
    let groups = json(get(
        &server,
        &format!("/v1/frameworks/math-3/competencies/{}", &encoded[2..]),
    ));
    assert_eq!(groups["identifier"], value!(identifier("3.OA.A.1")));
    assert_eq!(groups["prerequisites"].as_array().unwrap().len(), 1);
    assert!(groups["prerequisites"][0].get("fullStatement").is_none());
    assert_eq!(groups["related"][0]["associationType"], "exactMatchOf");

    let missing = get(&server, "/v1/frameworks/math-3/competencies/nope");
    assert_eq!(missing.status(), 404);
    assert_eq!(
        message(missing),
        "competency nope is not in framework math-3"
    );
    let missing = get(&server, "/v1/frameworks/math-4");
    assert_eq!(missing.status(), 404);
    assert_eq!(message(missing), "framework math-4 does not exist");

    let replaced = import(&server, "math-3", &sample());
    assert_eq!(replaced.status(), 200);
    assert_eq!(json(replaced)["competencyCount"], 12);
}

#[test]
fn a_broken_package_is_refused_with_400_naming_the_field() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let mut package = sample();
    package["CFItems"][3]
        .as_object_mut()
        .unwrap()
        .remove("fullStatement");
    let refused = import(&server, "math-3", &package);
    assert_eq!(refused.status(), 400);
    assert_eq!(message(refused), "CFItems[3].fullStatement: required");

    let mut package = sample();
    package["CFItems"][5]["identifier"] = package["CFItems"][1]["identifier"].clone();
    let refused = import(&server, "math-3", &package);
    assert_eq!(refused.status(), 400);
    assert!(message(refused).starts_with("CFItems[5].identifier: "));

    let mut package = sample();
    package["CFAssociations"][4]["destinationNodeURI"] = value!({"identifier": "not-here"});
    let refused = import(&server, "math-3", &package);
    assert_eq!(refused.status(), 400);
    assert!(message(refused).starts_with("CFAssociations[4].destinationNodeURI.uri: required"));

    let refused = import(&server, "math/3", &sample());
    assert_eq!(refused.status(), 404, "a slash is no framework id");
    let refused = import(&server, "math 3", &sample());
    assert_eq!(refused.status(), 400);
    assert!(message(refused).starts_with("framework id: "));
    assert_eq!(json(get(&server, "/v1/frameworks")), value!([]));

    assert_eq!(import(&server, "math-3", &sample()).status(), 201);
    let conflict = import(&server, "math-3-copy", &sample());
    assert_eq!(conflict.status(), 409);
    assert!(message(conflict).ends_with("is a competency of framework math-3"));
}

fn alignment(server: &Learnlog, method: Method, activity: &str) -> RequestBuilder {
    admin(server, method, "/v1/alignments").query(&[("activityId", activity)])
}

#[test]
fn alignments_are_set_resolved_read_and_deleted() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    assert_eq!(import(&server, "math-3", &sample()).status(), 201);
    let uri = item("3.NF.A.2")["uri"].as_str().unwrap().to_owned();
    let body = value!({"competencies": [uri, "district:number-sense", identifier("3.NF.A.2")]});
    let set = alignment(&server, Method::PUT, ACTIVITY)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(set.status(), 200);
    let expected = value!({
        "activityId": ACTIVITY,
        "competencies": [identifier("3.NF.A.2"), "district:number-sense"],
        "references": [uri, "district:number-sense", identifier("3.NF.A.2")],
    });
    assert_eq!(json(set), expected);
    let read = alignment(&server, Method::GET, ACTIVITY).send().unwrap();
    assert_eq!(json(read), expected);

    let deleted = alignment(&server, Method::DELETE, ACTIVITY).send().unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = alignment(&server, Method::GET, ACTIVITY).send().unwrap();
    assert_eq!(gone.status(), 404);
    assert!(message(gone).starts_with("activityId: no alignment is set"));

    let bad = |activity: &str, body: Value| {
        let response = alignment(&server, Method::PUT, activity)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(response.status(), 400);
        message(response)
    };
    assert_eq!(
        bad("not an iri", value!({"competencies": ["a"]})),
        "query parameter activityId: must be an IRI"
    );
    assert!(bad(ACTIVITY, value!({"competencies": ["a", " "]})).starts_with("competencies[1]: "));
    assert!(
        bad(ACTIVITY, value!({"competencies": []})).starts_with("competencies: give at least one")
    );
    assert_eq!(
        bad(ACTIVITY, value!({"competencies": [1]})),
        "competencies[0]: must be a string"
    );
    let no_activity = admin(&server, Method::GET, "/v1/alignments")
        .send()
        .unwrap();
    assert_eq!(no_activity.status(), 400);
}

#[test]
fn framework_writes_need_scope_all_and_reads_statements_read() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    assert_eq!(import(&server, "math-3", &sample()).status(), 201);
    let issue = |scope: &str| {
        let created = admin(&server, Method::POST, "/v1/admin/credentials")
            .json(&value!({"scopes": [scope]}))
            .send()
            .unwrap();
        let created = json(created);
        (
            created["key"].as_str().unwrap().to_owned(),
            created["secret"].as_str().unwrap().to_owned(),
        )
    };
    let as_credential = |(key, secret): &(String, String), method: Method, path: &str| {
        server
            .raw(method, path)
            .basic_auth(key, Some(secret))
            .body(sample().to_string())
            .send()
            .unwrap()
            .status()
    };
    let reader = issue("statements/read");
    assert_eq!(
        as_credential(&reader, Method::GET, "/v1/frameworks/math-3"),
        200
    );
    assert_eq!(
        as_credential(&reader, Method::PUT, "/v1/frameworks/math-3"),
        403
    );
    let path = format!("/v1/alignments?activityId={ACTIVITY}");
    assert_eq!(as_credential(&reader, Method::DELETE, &path), 403);
    let writer = issue("statements/write");
    assert_eq!(as_credential(&writer, Method::GET, "/v1/frameworks"), 403);
    let anonymous = server.raw(Method::GET, "/v1/frameworks").send().unwrap();
    assert_eq!(anonymous.status(), 401);
}

fn cli(server: &Learnlog, args: &[&str]) -> String {
    let output = Command::new(binary())
        .arg("frameworks")
        .args(args)
        .env("LEARNLOG_URL", &server.base)
        .env("LEARNLOG_ADMIN_CREDENTIAL", format!("{KEY}:{SECRET}"))
        .output()
        .expect("learnlog runs");
    assert!(
        output.status.success(),
        "learnlog frameworks {args:?}: {output:?}"
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_command_line_imports_and_lists_frameworks() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let imported = cli(&server, &["import", FIXTURE, "--id", "math-3"]);
    assert!(
        imported.starts_with(
            "Imported framework math-3: Grade 3 Mathematics (sample) (12 competencies)"
        ),
        "{imported}"
    );
    let again = cli(&server, &["import", FIXTURE, "--id", "math-3"]);
    assert!(again.starts_with("Replaced framework math-3"), "{again}");
    let listed = cli(&server, &["list"]);
    assert!(listed.lines().any(|line| line.starts_with("math-3 ")
        && line.contains(" 12 ")
        && line.ends_with("Grade 3 Mathematics (sample)")));

    // Without --id the framework is stored under its CFDocument identifier; the items
    // already belong to math-3, so the server refuses it and the command fails.
    let output = Command::new(binary())
        .args(["frameworks", "import", FIXTURE])
        .env("LEARNLOG_URL", &server.base)
        .env("LEARNLOG_ADMIN_CREDENTIAL", format!("{KEY}:{SECRET}"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("409") && stderr.contains("math-3"),
        "{stderr}"
    );
}

#[test]
fn frameworks_survive_a_restart_and_a_rebuild() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    assert_eq!(import(&server, "math-3", &sample()).status(), 201);
    let set = alignment(&server, Method::PUT, ACTIVITY)
        .json(&value!({"competencies": [identifier("3.NF.A.1")]}))
        .send()
        .unwrap();
    assert_eq!(set.status(), 200);
    let before = json(get(&server, "/v1/frameworks/math-3"));
    assert!(server.terminate().success());

    let digest = Learnlog::run_offline(data.path(), "digest");
    Learnlog::run_offline(data.path(), "rebuild");
    assert_eq!(Learnlog::run_offline(data.path(), "digest"), digest);
    assert!(digest.lines().any(|line| line.starts_with("frameworks ")));

    let server = Learnlog::start(data.path());
    assert_eq!(json(get(&server, "/v1/frameworks/math-3")), before);
    let read = alignment(&server, Method::GET, ACTIVITY).send().unwrap();
    assert_eq!(json(read)["competencies"], value!([identifier("3.NF.A.1")]));
}
