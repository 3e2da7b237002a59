//! Learner profiles and goals over HTTP: `/v1/learners/{learner}/…`, with the learner
//! named by id or by agent JSON.

use crate::support::{json, new_id, percent_encode, Learnlog, KEY, SECRET};
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;
use serde_json::{json as value, Value};

const AGENT: &str = r#"{"account":{"homePage":"https://lms.example.org/users","name":"ada"}}"#;

fn as_admin(server: &Learnlog, method: Method, path: &str) -> RequestBuilder {
    server.raw(method, path).basic_auth(KEY, Some(SECRET))
}

fn post_goal(server: &Learnlog, learner: &str, body: Value) -> Response {
    as_admin(
        server,
        Method::POST,
        &format!("/v1/learners/{learner}/goals"),
    )
    .json(&body)
    .send()
    .expect("POST answers")
}

fn message(response: Response) -> String {
    json(response)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn goals_are_set_listed_replaced_and_removed_for_a_learner_named_by_agent_or_id() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let agent = percent_encode(AGENT);
    let created = post_goal(
        &server,
        &agent,
        value!({"description": "Master fractions", "competency": "math.fractions", "target": "2030-05-01"}),
    );
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let goal = json(created);
    let goal_id = goal["id"].as_str().unwrap().to_owned();
    assert_eq!(goal["description"], "Master fractions");
    assert_eq!(goal["competency"], "math.fractions");
    assert_eq!(goal["target"], "2030-05-01T00:00:00.000Z");
    assert!(goal["set_at"].as_str().unwrap().ends_with('Z'));

    // the profile names the learner id; the id works wherever the agent does
    let profile = as_admin(
        &server,
        Method::GET,
        &format!("/v1/learners/{agent}/profile"),
    )
    .send()
    .unwrap();
    assert_eq!(profile.status(), 200);
    let profile = json(profile);
    assert!(profile.get("competencies").is_none());
    assert_eq!(profile["statements"], 0);
    assert_eq!(profile["goals"][0]["id"], value!(goal_id));
    let learner = profile["learner"].as_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("/v1/learners/{learner}/goals/")));
    let fetched = as_admin(&server, Method::GET, &location).send().unwrap();
    assert_eq!(json(fetched)["id"], value!(goal_id));

    let replaced = post_goal(
        &server,
        &learner,
        value!({"id": goal_id, "description": "Master fractions and decimals"}),
    );
    assert_eq!(replaced.status(), 200);
    assert!(json(replaced).get("competency").is_none());
    let second = post_goal(&server, &learner, value!({"description": "Read two books"}));
    assert_eq!(second.status(), 201);
    let list = as_admin(&server, Method::GET, &format!("/v1/learners/{agent}/goals"))
        .send()
        .unwrap();
    let list = json(list);
    let descriptions: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|goal| goal["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        descriptions,
        ["Master fractions and decimals", "Read two books"]
    );

    let delete = |id: &str| {
        as_admin(
            &server,
            Method::DELETE,
            &format!("/v1/learners/{learner}/goals/{id}"),
        )
        .send()
        .unwrap()
        .status()
    };
    assert_eq!(delete(&goal_id), 204);
    assert_eq!(delete(&goal_id), 404);
    let left = as_admin(
        &server,
        Method::GET,
        &format!("/v1/learners/{learner}/goals"),
    )
    .send()
    .unwrap();
    assert_eq!(json(left).as_array().unwrap().len(), 1);
}

#[test]
fn bad_learners_and_goals_get_400_naming_the_problem_and_unknown_ones_404() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let get = |path: &str| as_admin(&server, Method::GET, path).send().unwrap();

    let not_a_learner = get("/v1/learners/not-a-learner/profile");
    assert_eq!(not_a_learner.status(), 400);
    assert!(message(not_a_learner).starts_with("learner:"));
    let no_ifi = get(&format!(
        "/v1/learners/{}/goals",
        percent_encode(r#"{"name":"Ada"}"#)
    ));
    assert_eq!(no_ifi.status(), 400);
    assert!(message(no_ifi).contains("identifier"));

    let learner = new_id();
    let unknown = get(&format!("/v1/learners/{learner}/profile"));
    assert_eq!(unknown.status(), 404);
    let none = get(&format!("/v1/learners/{learner}/goals"));
    assert_eq!((none.status().as_u16(), json(none)), (200, value!([])));
    let unknown_goal = get(&format!("/v1/learners/{learner}/goals/{}", new_id()));
    assert_eq!(unknown_goal.status(), 404);
    let delete_unknown = as_admin(
        &server,
        Method::DELETE,
        &format!("/v1/learners/{learner}/goals/{}", new_id()),
    )
    .send()
    .unwrap();
    assert_eq!(delete_unknown.status(), 404);
    let bad_goal_id = get(&format!("/v1/learners/{learner}/goals/42"));
    assert_eq!(bad_goal_id.status(), 400);
    assert!(message(bad_goal_id).starts_with("goal_id:"));

    for (body, field) in [
        (value!({"competency": "math"}), "description:"),
        (value!({"description": "  "}), "description:"),
        (
            value!({"description": "d", "target": "next May"}),
            "target:",
        ),
        (value!({"description": "d", "id": "goal-1"}), "id:"),
        (value!({"description": "d", "competency": 7}), "competency:"),
        (value!({"description": "d", "owner": "me"}), "owner:"),
    ] {
        let response = post_goal(&server, &learner, body.clone());
        assert_eq!(response.status(), 400, "{body}");
        let message = message(response);
        assert!(message.starts_with(field), "{body}: {message}");
    }
    let not_json = as_admin(
        &server,
        Method::POST,
        &format!("/v1/learners/{learner}/goals"),
    )
    .body("description=d")
    .send()
    .unwrap();
    assert_eq!(not_json.status(), 400);
    // nothing was appended for the rejected requests
    assert_eq!(
        get(&format!("/v1/learners/{learner}/profile")).status(),
        404
    );
}

#[test]
fn goal_writes_need_statements_write_and_reads_statements_read() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let issue = |scope: &str| {
        let created = as_admin(&server, Method::POST, "/v1/admin/credentials")
            .json(&value!({"scopes": [scope], "label": scope}))
            .send()
            .unwrap();
        assert_eq!(created.status(), 201);
        let created = json(created);
        (
            created["key"].as_str().unwrap().to_owned(),
            created["secret"].as_str().unwrap().to_owned(),
        )
    };
    let (writer, reader) = (issue("statements/write"), issue("statements/read"));
    let learner = new_id();
    let goals = format!("/v1/learners/{learner}/goals");
    let request = |(key, secret): &(String, String), method: Method| {
        server.raw(method, &goals).basic_auth(key, Some(secret))
    };
    let body = value!({"description": "Finish the unit"});
    assert_eq!(
        request(&reader, Method::POST)
            .json(&body)
            .send()
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        request(&writer, Method::POST)
            .json(&body)
            .send()
            .unwrap()
            .status(),
        201
    );
    assert_eq!(request(&writer, Method::GET).send().unwrap().status(), 403);
    assert_eq!(request(&reader, Method::GET).send().unwrap().status(), 200);
    let anonymous = server.raw(Method::GET, &goals).send().unwrap();
    assert_eq!(anonymous.status(), 401);
}
