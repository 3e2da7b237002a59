//! The Activities and Agents resources: canonical Activities merged from every
//! statement, the Person object, and their parameter rules.

use crate::support::{json, Learnlog};
use reqwest::Method;
use serde_json::{json as value, Value};

const ACTIVITY: &str = "https://example.org/activities/fractions";

fn get(server: &Learnlog, path: &str, query: &[(&str, &str)]) -> reqwest::blocking::Response {
    server
        .xapi(Method::GET, path)
        .query(query)
        .send()
        .expect("GET answers")
}

fn post(server: &Learnlog, statements: Value) {
    let response = server.post_statements(&statements.to_string());
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
}

fn answered(actor: Value, object: Value) -> Value {
    value!({
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": object,
    })
}

#[test]
fn activity_definitions_merge_language_by_language_and_later_scalars_win() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let ada = value!({"mbox": "mailto:ada@example.org"});
    post(
        &server,
        answered(
            ada.clone(),
            value!({"id": ACTIVITY, "definition": {
                "name": {"en-US": "Fractions"},
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "extensions": {"https://example.org/ext/a": 1},
            }}),
        ),
    );
    post(
        &server,
        answered(
            ada.clone(),
            value!({"id": ACTIVITY, "definition": {
                "name": {"fr-FR": "Fractions (fr)"},
                "type": "http://adlnet.gov/expapi/activities/module",
                "extensions": {"https://example.org/ext/b": 2},
            }}),
        ),
    );
    post(&server, answered(ada, value!({"id": ACTIVITY})));

    let response = get(&server, "/xapi/activities", &[("activityId", ACTIVITY)]);
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response),
        value!({"objectType": "Activity", "id": ACTIVITY, "definition": {
            "extensions": {"https://example.org/ext/a": 1, "https://example.org/ext/b": 2},
            "name": {"en-US": "Fractions", "fr-FR": "Fractions (fr)"},
            "type": "http://adlnet.gov/expapi/activities/module",
        }})
    );
}

#[test]
fn activities_in_context_and_sub_statements_are_defined_too() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let parent = "https://example.org/courses/math";
    let inner = "https://example.org/activities/inner";
    let mut statement = answered(
        value!({"mbox": "mailto:ada@example.org"}),
        value!({"objectType": "SubStatement",
            "actor": {"mbox": "mailto:bob@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"id": inner, "definition": {"name": {"en-US": "Inner"}}}}),
    );
    statement["context"] = value!({"contextActivities": {
        "parent": {"id": parent, "definition": {"name": {"en-US": "Math"}}}
    }});
    post(&server, statement);

    let course = json(get(&server, "/xapi/activities", &[("activityId", parent)]));
    assert_eq!(course["definition"]["name"], value!({"en-US": "Math"}));
    let sub = json(get(&server, "/xapi/activities", &[("activityId", inner)]));
    assert_eq!(sub["definition"]["name"], value!({"en-US": "Inner"}));
}

#[test]
fn an_unknown_activity_is_only_its_object_type_and_id() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let id = "http://example.org/never/../seen";
    let response = get(&server, "/xapi/activities", &[("activityId", id)]);
    assert_eq!(response.status(), 200);
    assert_eq!(json(response), value!({"objectType": "Activity", "id": id}));
    let head = server
        .xapi(Method::HEAD, "/xapi/activities")
        .query(&[("activityId", id)])
        .send()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.text().unwrap().is_empty(), "HEAD has no body");
}

#[test]
fn activities_reject_missing_invalid_and_unknown_parameters() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    assert_eq!(get(&server, "/xapi/activities", &[]).status(), 400);
    assert_eq!(
        get(&server, "/xapi/activities", &[("activityId", "not an iri")]).status(),
        400
    );
    let unknown = [("activityId", ACTIVITY), ("foo", "bar")];
    assert_eq!(get(&server, "/xapi/activities", &unknown).status(), 400);
}

#[test]
fn a_person_gathers_every_name_seen_with_one_ifi() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let object = value!({"id": ACTIVITY});
    post(
        &server,
        answered(
            value!({"name": "Ada", "mbox": "mailto:ada@example.org"}),
            object.clone(),
        ),
    );
    post(
        &server,
        answered(
            value!({"name": "Ada L.", "mbox": "mailto:ada@example.org"}),
            object.clone(),
        ),
    );
    let team = value!({"objectType": "Group", "member": [
        {"name": "Member", "account": {"homePage": "https://lms.example.org", "name": "m-1"}}
    ]});
    let mut with_team = answered(value!({"mbox": "mailto:bob@example.org"}), object);
    with_team["context"] = value!({"team": team});
    post(&server, with_team);

    let agent = value!({"mbox": "mailto:ada@example.org"}).to_string();
    let response = get(&server, "/xapi/agents", &[("agent", &agent)]);
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response),
        value!({"objectType": "Person", "name": ["Ada", "Ada L."], "mbox": ["mailto:ada@example.org"]})
    );
    let member = value!({"account": {"homePage": "https://lms.example.org", "name": "m-1"}});
    let person = json(get(
        &server,
        "/xapi/agents",
        &[("agent", &member.to_string())],
    ));
    assert_eq!(
        person["name"],
        value!(["Member"]),
        "team members are recorded"
    );
}

#[test]
fn an_unknown_agent_is_a_person_built_from_the_query() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let agent = value!({"objectType": "Agent", "openid": "https://openid.example.org/zoe"});
    let response = get(&server, "/xapi/agents", &[("agent", &agent.to_string())]);
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(response),
        value!({"objectType": "Person", "openid": ["https://openid.example.org/zoe"]})
    );
}

#[test]
fn agents_need_exactly_one_ifi_and_known_parameters() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let two = value!({"mbox": "mailto:a@example.org", "openid": "https://id.example.org/a"});
    assert_eq!(
        get(&server, "/xapi/agents", &[("agent", &two.to_string())]).status(),
        400
    );
    let none = value!({"objectType": "Agent", "name": "Nobody"});
    assert_eq!(
        get(&server, "/xapi/agents", &[("agent", &none.to_string())]).status(),
        400
    );
    assert_eq!(get(&server, "/xapi/agents", &[]).status(), 400);
    let one = value!({"mbox": "mailto:a@example.org"}).to_string();
    assert_eq!(
        get(
            &server,
            "/xapi/agents",
            &[("agent", one.as_str()), ("limit", "1")]
        )
        .status(),
        400
    );
}
