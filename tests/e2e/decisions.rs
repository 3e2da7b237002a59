//! Personalization decisions end to end: a CASE framework with prerequisites, a class,
//! statements posted through xAPI, and the decisions, class views and groups read
//! back — next objectives never include a competency with an unmastered prerequisite,
//! they change as evidence arrives, a wheel-spinning learner is flagged with its
//! evidence, a group's members share its objective, a learner's choice comes first, a
//! teacher's action is recorded. The scenario runs on the embedded log here and on
//! Kafka split roles in `roles`.

use crate::support::{json, Learnlog, KEY, SECRET};
use learnlog_projector_replicated::frameworks::{
    synthetic_identifier, synthetic_package, SyntheticItem,
};
use reqwest::blocking::Response;
use reqwest::Method;
use serde_json::{json as value, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const PACKAGE: &str = "Fractions sample";
const SKILLS: &str = "https://example.org/xapi/extensions/skills";
const QUESTION: &str = "http://adlnet.gov/expapi/activities/question";
const VIDEO: &str = "https://w3id.org/xapi/video/activity-type/video";
/// 2025-03-03T09:00:00Z
const START_SECONDS: i64 = 1_740_992_400;
const LEARNERS: usize = 8;
const SPINNER: usize = 6;
const NEWCOMER: usize = 7;

/// U = {A, B, C}; B and C need A; D needs B and C; E needs D; F stands alone.
pub(crate) fn framework() -> Value {
    let item = |code: &str, parent: Option<&str>, prerequisites: &[&str]| SyntheticItem {
        code: code.into(),
        title: format!("Skill {code}"),
        parent: parent.map(str::to_owned),
        prerequisites: prerequisites.iter().map(|p| p.to_string()).collect(),
    };
    synthetic_package(
        PACKAGE,
        &[
            item("U", None, &[]),
            item("A", Some("U"), &[]),
            item("B", Some("U"), &["A"]),
            item("C", Some("U"), &["A"]),
            item("D", None, &["B", "C"]),
            item("E", None, &["D"]),
            item("F", None, &[]),
        ],
    )
}

pub(crate) fn id(code: &str) -> String {
    synthetic_identifier(PACKAGE, code)
}

fn code_of(identifier: &str) -> String {
    ["U", "A", "B", "C", "D", "E", "F"]
        .into_iter()
        .find(|code| id(code) == identifier)
        .unwrap_or(identifier)
        .to_owned()
}

fn mbox(learner: usize) -> String {
    format!("mailto:pupil{learner}@example.org")
}

fn agent(learner: usize) -> Value {
    value!({"objectType": "Agent", "name": format!("Pupil {learner}"), "mbox": mbox(learner)})
}

pub(crate) fn learner_path(learner: usize) -> String {
    crate::support::percent_encode(&value!({"mbox": mbox(learner)}).to_string())
}

/// A scored answer (or, with `success` `None`, a watched video) of `learner` on an
/// activity aligned to `code`; `seq` orders the timestamps.
pub(crate) fn answer(learner: usize, code: &str, success: Option<bool>, seq: i64) -> Value {
    let (activity, activity_type) = match success {
        Some(_) => (
            format!("https://example.org/activities/{code}/quiz"),
            QUESTION,
        ),
        None => (
            format!("https://example.org/activities/{code}/video"),
            VIDEO,
        ),
    };
    let timestamp = chrono::DateTime::from_timestamp(START_SECONDS + seq * 60, 0).unwrap();
    let mut statement = value!({
        "id": uuid::Uuid::new_v4().to_string(),
        "actor": agent(learner),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": activity, "definition": {"type": activity_type,
            "extensions": {SKILLS: [id(code)]}}},
        "timestamp": timestamp.to_rfc3339(),
    });
    if let Some(success) = success {
        statement["result"] = value!({"success": success});
    }
    statement
}

pub(crate) fn call(server: &Learnlog, method: Method, path: &str, body: Option<Value>) -> Response {
    let request = server.raw(method, path).basic_auth(KEY, Some(SECRET));
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .expect("the server answers")
}

fn get(server: &Learnlog, path: &str) -> Value {
    let response = call(server, Method::GET, path, None);
    assert_eq!(response.status(), 200, "GET {path}");
    json(response)
}

pub(crate) fn post(server: &Learnlog, statements: &[Value]) {
    let response = server.post_statements(&Value::from(statements.to_vec()).to_string());
    assert_eq!(response.status(), 200, "{:?}", response.text());
}

fn decisions(server: &Learnlog, learner: usize, kind: &str) -> Vec<Value> {
    let path = format!(
        "/v1/learners/{}/decisions?kind={kind}",
        learner_path(learner)
    );
    get(server, &path)["decisions"].as_array().unwrap().clone()
}

fn objectives(server: &Learnlog, learner: usize) -> Vec<String> {
    decisions(server, learner, "objective")
        .iter()
        .map(|d| code_of(d["competency"].as_str().unwrap()))
        .collect()
}

/// Mastered competency codes of a learner, from the mastery view.
fn mastered(server: &Learnlog, learner: usize) -> HashSet<String> {
    let path = format!("/v1/learners/{}/mastery", learner_path(learner));
    let response = call(server, Method::GET, &path, None);
    if response.status() == 404 {
        return HashSet::new();
    }
    json(response)["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["mastered"] == true)
        .map(|c| code_of(c["competency"].as_str().unwrap()))
        .collect()
}

fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

const PREREQUISITES: [(&str, &[&str]); 6] = [
    ("A", &[]),
    ("B", &["A"]),
    ("C", &["A"]),
    ("D", &["B", "C"]),
    ("E", &["D"]),
    ("F", &[]),
];

fn assert_objectives_are_ready(server: &Learnlog, learner: usize) {
    let done = mastered(server, learner);
    let prerequisites: HashMap<&str, &[&str]> = PREREQUISITES.into_iter().collect();
    for objective in objectives(server, learner) {
        assert!(
            !done.contains(&objective),
            "pupil {learner}: {objective} is mastered already"
        );
        for p in prerequisites[objective.as_str()] {
            assert!(
                done.contains(*p),
                "pupil {learner}: objective {objective} has the unmastered prerequisite {p}"
            );
        }
    }
}

/// The whole scenario against `server` (a `serve` of every role, or an api process).
pub(crate) fn class_scenario(server: &Learnlog) {
    let imported = call(
        server,
        Method::PUT,
        "/v1/frameworks/fractions",
        Some(framework()),
    );
    assert_eq!(imported.status(), 201, "{:?}", imported.text());
    let members: Vec<Value> = (0..LEARNERS).map(agent).collect();
    let class = value!({"name": "Year 5 maths", "members": members, "teachers": ["ms-rivera"],
        "frameworks": ["fractions"]});
    let created = call(server, Method::PUT, "/v1/classes/5a", Some(class.clone()));
    assert_eq!(created.status(), 201, "{:?}", created.text());
    assert_eq!(
        call(server, Method::PUT, "/v1/classes/5a", Some(class)).status(),
        200
    );

    // pupils 0-5 master A (three right answers) and watch a video on B; pupil 6 gets A
    // wrong twelve times; pupil 7 does nothing
    let mut statements = Vec::new();
    let mut spinner_ids = HashSet::new();
    for learner in 0..SPINNER {
        for seq in 0..3 {
            statements.push(answer(learner, "A", Some(true), seq));
        }
        statements.push(answer(learner, "B", None, 4));
    }
    for seq in 0..12 {
        let wrong = answer(SPINNER, "A", Some(false), seq);
        spinner_ids.insert(wrong["id"].as_str().unwrap().to_owned());
        statements.push(wrong);
    }
    post(server, &statements);
    eventually("pupil 6's twelfth answer is folded", || {
        let flagged = decisions(server, SPINNER, "intervention");
        (!flagged.is_empty()).then_some(())
    });
    eventually("the pupils who answered A right have mastered it", || {
        (0..SPINNER)
            .all(|l| mastered(server, l).contains("A"))
            .then_some(())
    });

    // next objectives: B and C (both need only A) and F; never one with an
    // unmastered prerequisite
    for learner in 0..LEARNERS {
        assert_objectives_are_ready(server, learner);
    }
    let first: HashSet<String> = objectives(server, 0).into_iter().collect();
    let expected: HashSet<String> = ["B", "C", "F"].map(str::to_owned).into();
    assert_eq!(first, expected);
    assert_eq!(objectives(server, NEWCOMER), ["A", "F"]);
    let objective = &decisions(server, 0, "objective")[0];
    assert!(
        objective["reason"]
            .as_str()
            .unwrap()
            .contains("prerequisite is mastered (Skill A on 3 Mar 2025)"),
        "{objective}"
    );
    let objective_b = decisions(server, 0, "objective");
    let videos: Vec<&str> = objective_b
        .iter()
        .filter(|d| code_of(d["competency"].as_str().unwrap()) == "B")
        .flat_map(|d| d["objective"]["activities"].as_array().unwrap().iter())
        .map(|a| a["modality"].as_str().unwrap())
        .collect();
    assert_eq!(videos, ["video"], "B's aligned video is suggested");

    // the wheel-spinning pupil is flagged with the evidence
    let flagged = decisions(server, SPINNER, "intervention");
    let spinning = flagged
        .iter()
        .find(|d| d["type"] == "wheel_spinning")
        .unwrap_or_else(|| panic!("no wheel-spinning intervention in {flagged:?}"));
    assert_eq!(code_of(spinning["competency"].as_str().unwrap()), "A");
    assert_eq!(spinning["evidence"]["numbers"]["opportunities"], 12.0);
    assert_eq!(spinning["intervention"]["severity"], "high");
    for statement in spinning["evidence"]["statements"].as_array().unwrap() {
        assert!(spinner_ids.contains(statement.as_str().unwrap()));
    }
    assert!(decisions(server, 0, "intervention").is_empty());

    // groups: every member of a group has the group's objective
    let groups = get(server, "/v1/classes/5a/groups");
    let groups_list = groups["groups"].as_array().unwrap();
    assert!(!groups_list.is_empty(), "{groups}");
    for group in groups_list {
        let competency = code_of(group["competency"].as_str().unwrap());
        let members = group["learners"].as_array().unwrap();
        assert!((3..=6).contains(&members.len()), "{group}");
        for member in members {
            let learner = member.as_str().unwrap();
            let path = format!("/v1/learners/{learner}/decisions?kind=objective");
            let theirs: Vec<String> = get(server, &path)["decisions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| code_of(d["competency"].as_str().unwrap()))
                .collect();
            assert!(
                theirs.contains(&competency),
                "{learner} in a group for {competency}: {theirs:?}"
            );
        }
    }

    // a learner's choice moves that objective first
    assert_ne!(objectives(server, 1)[0], "F");
    let chosen = call(
        server,
        Method::POST,
        &format!("/v1/learners/{}/choices", learner_path(1)),
        Some(value!({"competency": id("F")})),
    );
    assert_eq!(chosen.status(), 201);
    assert_eq!(
        code_of(json(chosen)["decisions"][0]["competency"].as_str().unwrap()),
        "F"
    );
    assert_eq!(objectives(server, 1)[0], "F");
    let not_a_competency = call(
        server,
        Method::POST,
        &format!("/v1/learners/{}/choices", learner_path(1)),
        Some(value!({"competency": "no-such-thing"})),
    );
    assert_eq!(not_a_competency.status(), 400);

    // new evidence changes the objectives: with B and C mastered, D is ready
    let more: Vec<Value> = (10..13)
        .flat_map(|seq| {
            [
                answer(0, "B", Some(true), seq),
                answer(0, "C", Some(true), seq),
            ]
        })
        .collect();
    post(server, &more);
    eventually("pupil 0's objectives include D", || {
        objectives(server, 0)
            .contains(&"D".to_owned())
            .then_some(())
    });
    assert_objectives_are_ready(server, 0);
    let earned = decisions(server, 0, "advancement");
    assert_eq!(
        code_of(earned[0]["competency"].as_str().unwrap()),
        "U",
        "all of U is mastered"
    );
    let profile = get(server, &format!("/v1/learners/{}/profile", learner_path(0)));
    let shown = &profile["competencies"]["advancements"][0];
    assert_eq!(code_of(shown["competency"].as_str().unwrap()), "U");
    assert_eq!(shown["earned_at"], earned[0]["advancement"]["earned_at"]);

    // a teacher acts on the intervention; the view records it
    let intervention = spinning["id"].as_str().unwrap();
    let acted = call(
        server,
        Method::POST,
        &format!(
            "/v1/learners/{}/interventions/{intervention}",
            learner_path(SPINNER)
        ),
        Some(value!({"action": "acted", "note": "worked through A with blocks"})),
    );
    assert_eq!(acted.status(), 200, "{:?}", acted.text());
    let acted = json(acted);
    assert_eq!(acted["intervention"]["status"], "acted");
    assert_eq!(acted["intervention"]["actions"][0]["by"], KEY);
    assert_eq!(acted["intervention"]["followed"]["opportunities_since"], 0);
    let unknown = call(
        server,
        Method::POST,
        &format!(
            "/v1/learners/{}/interventions/{}",
            learner_path(0),
            uuid::Uuid::new_v4()
        ),
        Some(value!({"action": "dismissed"})),
    );
    assert_eq!(unknown.status(), 404);

    // the class views: the grid, every member's decisions
    let grid = get(server, "/v1/classes/5a/mastery");
    let columns: Vec<String> = grid["competencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| code_of(c["competency"].as_str().unwrap()))
        .collect();
    assert_eq!(columns, ["A", "B", "C", "D", "E", "F"]);
    let rows = grid["learners"].as_array().unwrap();
    assert_eq!(rows.len(), LEARNERS);
    let pupil0 = rows.iter().find(|r| r["display"] == "Pupil 0").unwrap();
    assert_eq!(pupil0["cells"][0]["mastered"], true);
    assert_eq!(pupil0["mastered"], 3);
    let pupil7 = rows.iter().find(|r| r["display"] == "Pupil 7").unwrap();
    assert!(pupil7["cells"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_null));
    let class_decisions = get(server, "/v1/classes/5a/decisions?kind=intervention");
    let flagged: Vec<&str> = class_decisions["learners"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| !l["decisions"].as_array().unwrap().is_empty())
        .map(|l| l["display"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["Pupil 6"]);

    // bad requests change nothing and say why
    let bad_kind = call(
        server,
        Method::GET,
        "/v1/classes/5a/decisions?kind=hunch",
        None,
    );
    assert_eq!(bad_kind.status(), 400);
    assert!(json(bad_kind)["message"]
        .as_str()
        .unwrap()
        .starts_with("kind:"));
    assert_eq!(
        call(server, Method::GET, "/v1/classes/none/groups", None).status(),
        404
    );
    let bad_member = call(
        server,
        Method::PUT,
        "/v1/classes/5b",
        Some(value!({"members": [{"name": "no id"}]})),
    );
    assert_eq!(bad_member.status(), 400);
    assert_eq!(
        call(server, Method::GET, "/v1/classes/5b", None).status(),
        404
    );
}

#[test]
fn a_class_gets_decisions_that_follow_its_evidence_on_the_embedded_log() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    class_scenario(&server);

    // the decisions are the same after a restart and a rebuild from the log
    let before = get(
        &server,
        &format!(
            "/v1/learners/{}/decisions?at=2025-03-04T00:00:00Z",
            learner_path(SPINNER)
        ),
    );
    server.terminate();
    Learnlog::run_offline(data.path(), "rebuild");
    let server = Learnlog::start(data.path());
    let after = get(
        &server,
        &format!(
            "/v1/learners/{}/decisions?at=2025-03-04T00:00:00Z",
            learner_path(SPINNER)
        ),
    );
    assert_eq!(before, after);
    assert_eq!(
        call(&server, Method::DELETE, "/v1/classes/5a", None).status(),
        204
    );
    assert_eq!(
        call(&server, Method::DELETE, "/v1/classes/5a", None).status(),
        404
    );
}
