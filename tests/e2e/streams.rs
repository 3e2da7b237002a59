//! Subscriptions: `GET /v1/streams/…` as a Server-Sent Events client sees them, over
//! real HTTP: statements with disconnects at random points and `Last-Event-ID`
//! resumes, and a learner's mastery, profile and decisions changing as evidence,
//! goals and choices arrive.

use crate::support::{json, new_id, statement, Learnlog};
use reqwest::blocking::{RequestBuilder, Response};
use reqwest::Method;
use serde_json::Value;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};

/// One event as a client assembles it.
pub(crate) struct Event {
    pub id: String,
    pub name: String,
    pub data: String,
}

/// Reads a stream line by line, as an EventSource does.
pub(crate) struct Subscriber {
    lines: std::io::Lines<BufReader<Response>>,
}

impl Subscriber {
    /// Subscribes to the statement stream with `query`.
    pub fn open(server: &Learnlog, query: &str, last_event_id: Option<&str>) -> Self {
        Self::open_view(server, "statements", query, last_event_id)
    }

    /// Subscribes to the stream of `view` with `query`.
    pub fn open_view(
        server: &Learnlog,
        view: &str,
        query: &str,
        last_event_id: Option<&str>,
    ) -> Self {
        let mut request = server.xapi(Method::GET, &format!("/v1/streams/{view}{query}"));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        Self::from_request(request)
    }

    /// Subscribes with a request of the caller's making (its own credential, say).
    pub fn from_request(request: RequestBuilder) -> Self {
        let response = request.send().expect("the stream answers");
        if response.status() != 200 {
            let (url, status) = (response.url().clone(), response.status());
            panic!("{url}: {status} {:?}", response.text());
        }
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            lines: BufReader::new(response).lines(),
        }
    }

    /// The next whole event; `cut_after_lines` stops (as a dropped connection does)
    /// after that many lines of it, returning `None`.
    pub fn next(&mut self, cut_after_lines: Option<usize>) -> Option<Event> {
        let (mut id, mut name, mut data) = (None, None, Vec::new());
        let mut read = 0;
        loop {
            if cut_after_lines.is_some_and(|cut| read >= cut) {
                return None;
            }
            let line = self.lines.next()?.expect("the stream reads");
            read += 1;
            if line.is_empty() {
                if let (Some(id), Some(name)) = (id.take(), name.take()) {
                    return Some(Event {
                        id,
                        name,
                        data: data.join("\n"),
                    });
                }
                continue; // the end of a comment or of `retry:`
            }
            if let Some(value) = line.strip_prefix("id: ") {
                id = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("event: ") {
                name = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("data: ") {
                data.push(value.to_owned());
            }
        }
    }
}

pub(crate) fn statement_id(event: &Event) -> String {
    assert_eq!(event.name, "statement");
    let statement: Value = serde_json::from_str(&event.data).expect("data is a statement");
    statement["id"].as_str().expect("an id").to_owned()
}

/// A small deterministic generator for where to disconnect.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

pub(crate) fn post_batch(server: &Learnlog, ids: &[String], first: usize) {
    let body: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| statement(id, first + i))
        .collect();
    let response = server.post_statements(&format!("[{}]", body.join(",")));
    assert_eq!(response.status(), 200);
}

#[test]
fn a_subscriber_that_reconnects_with_last_event_id_misses_nothing_and_repeats_nothing() {
    const TOTAL: usize = 10_000;
    const BATCH: usize = 100;
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let ids: Vec<String> = (0..TOTAL).map(|_| new_id()).collect();
    // half stored before the first subscription, half while the subscriber reads
    for (n, chunk) in ids[..TOTAL / 2].chunks(BATCH).enumerate() {
        post_batch(&server, chunk, n * BATCH);
    }
    let received = std::thread::scope(|scope| {
        scope.spawn(|| {
            for (n, chunk) in ids[TOTAL / 2..].chunks(BATCH).enumerate() {
                post_batch(&server, chunk, TOTAL / 2 + n * BATCH);
            }
        });
        let mut random = Lcg(7);
        let mut received = Vec::with_capacity(TOTAL);
        let mut last_event_id: Option<String> = None;
        let mut connections = 0;
        while received.len() < TOTAL {
            let query = if last_event_id.is_none() {
                "?from=start"
            } else {
                ""
            };
            let mut subscriber = Subscriber::open(&server, query, last_event_id.as_deref());
            connections += 1;
            let events = 1 + random.below(1_500);
            for _ in 0..events {
                // one disconnect in four falls inside an event, which then never counts
                let cut = (random.below(4) == 0).then(|| random.below(3) as usize);
                let Some(event) = subscriber.next(cut) else {
                    break;
                };
                received.push(statement_id(&event));
                last_event_id = Some(event.id);
                if received.len() == TOTAL {
                    break;
                }
            }
        }
        assert!(
            connections > 10,
            "the subscriber reconnected ({connections} connections)"
        );
        received
    });
    let distinct: HashSet<&String> = received.iter().collect();
    assert_eq!(distinct.len(), received.len(), "no statement repeats");
    let posted: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct, posted, "every statement, and only those, arrives");
}

#[test]
fn filters_keep_what_they_name_and_the_stream_goes_on_live() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let post = |actor: &str, verb: &str| {
        let id = new_id();
        let body = serde_json::json!({
            "id": id,
            "actor": {"mbox": format!("mailto:{actor}@example.org")},
            "verb": {"id": format!("http://adlnet.gov/expapi/verbs/{verb}")},
            "object": {"id": "https://example.org/courses/algebra"}
        });
        assert_eq!(server.post_statements(&body.to_string()).status(), 200);
        id
    };
    let mut ada_completed = Vec::new();
    for n in 0..12 {
        let (actor, verb) = [
            ("ada", "completed"),
            ("ada", "attempted"),
            ("bob", "completed"),
        ][n % 3];
        let id = post(actor, verb);
        if (actor, verb) == ("ada", "completed") {
            ada_completed.push(id);
        }
    }
    let query = format!(
        "?from=start&learner={}&verb={}",
        crate::support::percent_encode(r#"{"mbox":"mailto:ada@example.org"}"#),
        crate::support::percent_encode("http://adlnet.gov/expapi/verbs/completed"),
    );
    let mut subscriber = Subscriber::open(&server, &query, None);
    let mut seen = Vec::new();
    for _ in 0..ada_completed.len() {
        seen.push(statement_id(&subscriber.next(None).expect("an event")));
    }
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        ada_completed.iter().collect::<HashSet<_>>()
    );
    // live: what passes arrives next, what does not never does
    post("bob", "completed");
    let live = post("ada", "completed");
    assert_eq!(
        statement_id(&subscriber.next(None).expect("the live event")),
        live
    );
}

#[test]
fn a_bad_position_or_parameter_is_refused_with_its_reason() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let answer = |query: &str, last: Option<&str>| {
        let mut request = server.xapi(Method::GET, &format!("/v1/streams/statements{query}"));
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        request.send().unwrap()
    };
    for (query, last, status, says) in [
        ("", Some("1.2"), 400, "Last-Event-ID"),
        ("?from=yesterday", None, 400, "from"),
        ("?colour=red", None, 400, "colour"),
        ("?class=nowhere", None, 404, "nowhere"),
    ] {
        let response = answer(query, last);
        assert_eq!(response.status(), status, "{query} {last:?}");
        let body = json(response);
        assert!(
            body.to_string().contains(says),
            "{query} {last:?}: the reason names {says}: {body}"
        );
    }
    let anonymous = server
        .raw(Method::GET, "/v1/streams/statements")
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// The `{learner, view}` data of the next event, which must be named `name`.
fn view_event(subscriber: &mut Subscriber, name: &str) -> Value {
    let event = subscriber.next(None).expect("an event");
    assert_eq!(event.name, name);
    serde_json::from_str(&event.data).expect("data is JSON")
}

#[test]
fn a_learners_mastery_profile_and_decisions_streams_follow_evidence_goals_and_choices() {
    use crate::decisions::{answer, call, framework, id, learner_path, post};
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let imported = call(
        &server,
        Method::PUT,
        "/v1/frameworks/fractions",
        Some(framework()),
    );
    assert_eq!(imported.status(), 201);
    let learner = format!("?learner={}", learner_path(1));
    let mut mastery = Subscriber::open_view(&server, "mastery", &learner, None);
    let mut profiles = Subscriber::open_view(&server, "profiles", &learner, None);
    let on_b = format!(
        "{learner}&competency={}",
        crate::support::percent_encode(&id("B"))
    );
    let mut decisions = Subscriber::open_view(&server, "decisions", &on_b, None);

    // pupil 2's answers pass none of these streams; pupil 1's three right answers on A
    // change pupil 1's mastery three times
    post(&server, &[answer(2, "A", Some(true), 0)]);
    post(
        &server,
        &(0..3)
            .map(|seq| answer(1, "A", Some(true), seq))
            .collect::<Vec<_>>(),
    );
    let mut last = Value::Null;
    for _ in 0..3 {
        last = view_event(&mut mastery, "mastery");
    }
    let read = json(
        server
            .xapi(
                Method::GET,
                &format!("/v1/learners/{}/mastery", learner_path(1)),
            )
            .send()
            .unwrap(),
    );
    let learner_id = read["learner"].clone();
    assert_eq!(last["learner"], learner_id);
    assert_eq!(
        last["view"]["competencies"], read["competencies"],
        "the last event shows the mastery a read shows"
    );
    assert_eq!(view_event(&mut profiles, "profile")["learner"], learner_id);

    // a goal changes the profile; a choice of B changes the decisions, with B first
    let goal = call(
        &server,
        Method::POST,
        &format!("/v1/learners/{}/goals", learner_path(1)),
        Some(serde_json::json!({"description": "Fractions by June"})),
    );
    assert_eq!(goal.status(), 201);
    let mut goals = Value::Null;
    for _ in 0..3 {
        // the two statements after the first, then the goal
        goals = view_event(&mut profiles, "profile");
    }
    assert_eq!(
        goals["view"]["goals"][0]["description"],
        "Fractions by June"
    );
    let chosen = call(
        &server,
        Method::POST,
        &format!("/v1/learners/{}/choices", learner_path(1)),
        Some(serde_json::json!({"competency": id("B")})),
    );
    assert_eq!(chosen.status(), 201);
    let changed = view_event(&mut decisions, "decisions");
    assert_eq!(changed["learner"], learner_id);
    let first_objective = changed["view"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "objective")
        .expect("an objective");
    assert_eq!(first_objective["competency"], id("B"));
}
