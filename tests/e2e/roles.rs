//! learnlog split into roles on Kafka: projector processes (a consumer group shares the
//! partitions) and api processes routing to them, against one tansu broker.
//!
//! - A projector is killed with SIGKILL while statements are posted through two api
//!   processes, and started again: every acknowledged statement is then readable exactly
//!   once through both, and conflicts still answer 409.
//! - With the partitions shared out, the learner views and documents (folded only by each
//!   partition's owner) are answered through an api process as one process would.
//! - A statement stream read from one projector resumes through an api process on the
//!   other once the first is killed; a learner's profile stream goes to its owner.

use crate::kafka::query_ids;
use crate::support::{free_port, json, new_id, statement, Learnlog};
use learnlog_testkit::Broker;
use reqwest::Method;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Statements posted in the test (the issue's figure); `LEARNLOG_E2E_ROLES_STATEMENTS`
/// lowers it for a quick local run.
fn statement_count() -> usize {
    std::env::var("LEARNLOG_E2E_ROLES_STATEMENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

const BATCH: usize = 250;
/// Learners of `support::statement` (`n % 97`).
pub(crate) const LEARNERS: usize = 97;

/// A projector on `port`; `instance` is its static group membership name, as a
/// StatefulSet pod's name would be.
pub(crate) fn projector(data_dir: &Path, broker: &str, port: u16, instance: &str) -> Learnlog {
    let listen = format!("127.0.0.1:{port}");
    let args = ["--role", "projector", "--log", broker, "--listen", &listen];
    Learnlog::start_with(
        data_dir,
        &[&args[..], &["--group-instance-id", instance]].concat(),
    )
}

fn api(data_dir: &Path, projectors: &str) -> Learnlog {
    Learnlog::start_with(data_dir, &["--role", "api", "--projectors", projectors])
}

/// Two projectors and an api process routing to them over the broker at `url`, all
/// ready; the data directories live as long as the first value.
fn two_projectors_and_an_api(url: &str) -> (Vec<tempfile::TempDir>, Learnlog, Learnlog, Learnlog) {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let first = projector(dirs[0].path(), url, free_port(), "projector-0");
    let second = projector(dirs[1].path(), url, free_port(), "projector-1");
    let router = api(dirs[2].path(), &format!("{},{}", first.base, second.base));
    for server in [&first, &second, &router] {
        wait_ready(server, Duration::from_secs(60));
    }
    (dirs, first, second, router)
}

/// Waits until `server` says it is ready.
pub(crate) fn wait_ready(server: &Learnlog, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let ready = server.raw(Method::GET, "/readyz").send();
        if ready.as_ref().is_ok_and(|r| r.status() == 200) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} not ready: {ready:?}",
            server.base
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Posts one batch until it is acknowledged: a 503 (no projector could take it, or
/// the one taking it was killed mid-request) or a lost connection is retried with the
/// same ids, which the store acknowledges again without storing twice.
fn post_until_acknowledged(server: &Learnlog, ids: &[String], first_n: usize) {
    let body: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| statement(id, first_n + i))
        .collect();
    let body = format!("[{}]", body.join(","));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let answer = server
            .xapi(Method::POST, "/xapi/statements")
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send();
        match answer {
            Ok(response) if response.status() == 200 => {
                let acknowledged: Vec<String> = serde_json::from_value(json(response)).unwrap();
                assert_eq!(acknowledged, ids, "batch at {first_n}");
                return;
            }
            Ok(response) => assert_eq!(
                response.status(),
                503,
                "batch at {first_n}: {:?}",
                response.text()
            ),
            Err(error) => eprintln!("batch at {first_n}: {error}; sending it again"),
        }
        assert!(
            Instant::now() < deadline,
            "batch at {first_n} not acknowledged in 120 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `GET /v1/learners/{agent}/profile` of learner `n` of `support::statement`.
pub(crate) fn learner_profile(server: &Learnlog, n: usize) -> reqwest::blocking::Response {
    let agent =
        crate::support::percent_encode(&format!(r#"{{"mbox":"mailto:learner{n}@example.org"}}"#));
    server
        .xapi(Method::GET, &format!("/v1/learners/{agent}/profile"))
        .send()
        .unwrap()
}

/// The number of statements each learner's profile counted, summed over learners.
fn profile_statements(server: &Learnlog) -> u64 {
    (0..LEARNERS)
        .map(|learner| {
            let response = learner_profile(server, learner);
            match response.status().as_u16() {
                200 => json(response)["statements"].as_u64().unwrap(),
                404 | 503 => 0,
                other => panic!("profile of learner {learner}: {other}"),
            }
        })
        .sum()
}

#[test]
fn two_api_and_two_projector_processes_keep_every_statement_exactly_once_through_a_sigkill() {
    let total = statement_count();
    let broker = Broker::start();
    let url = broker.url();
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let ports = [free_port(), free_port()];
    let first = projector(dirs[0].path(), &url, ports[0], "projector-0");
    let second = projector(dirs[1].path(), &url, ports[1], "projector-1");
    let projectors = format!("{},{}", first.base, second.base);
    let apis = [
        api(dirs[2].path(), &projectors),
        api(dirs[3].path(), &projectors),
    ];
    for server in [&first, &second, &apis[0], &apis[1]] {
        wait_ready(server, Duration::from_secs(60));
    }

    // Four posters, two per api process, take batches in turn; halfway through, the
    // first projector is killed and started again over its data directory.
    let ids: Vec<String> = (0..total).map(|_| new_id()).collect();
    let began = Instant::now();
    let progress = |what: &str| eprintln!("roles: {:>6.1} s {what}", began.elapsed().as_secs_f64());
    let next_batch = AtomicUsize::new(0);
    let posted = AtomicUsize::new(0);
    let first = Mutex::new(Some(first));
    std::thread::scope(|scope| {
        for poster in 0..4 {
            let (apis, ids, next_batch, posted) = (&apis, &ids, &next_batch, &posted);
            scope.spawn(move || loop {
                let start = next_batch.fetch_add(1, Ordering::Relaxed) * BATCH;
                if start >= ids.len() {
                    return;
                }
                let end = (start + BATCH).min(ids.len());
                post_until_acknowledged(&apis[poster % 2], &ids[start..end], start);
                posted.fetch_add(end - start, Ordering::Relaxed);
            });
        }
        while posted.load(Ordering::Relaxed) < total / 2 {
            std::thread::sleep(Duration::from_millis(100));
        }
        progress("half posted; SIGKILL the first projector");
        first.lock().unwrap().take().unwrap().kill();
        std::thread::sleep(Duration::from_secs(2));
        *first.lock().unwrap() = Some(projector(dirs[0].path(), &url, ports[0], "projector-0"));
        progress("first projector started again");
    });
    progress("every statement acknowledged");
    assert_eq!(posted.load(Ordering::Relaxed), total);
    let first = first.into_inner().unwrap().unwrap();
    wait_ready(&first, Duration::from_secs(300));
    progress("first projector ready");

    // Every acknowledged statement exactly once, through each api process.
    let expected: HashSet<&String> = ids.iter().collect();
    for server in &apis {
        let seen = query_ids(server, "/xapi/statements?limit=1000");
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "no statement twice via {}",
            server.base
        );
        assert_eq!(unique, expected, "every statement via {}", server.base);
    }
    for (i, id) in ids.iter().enumerate().step_by(997) {
        let response = apis[i % 2].get_statement(id);
        assert_eq!(response.status(), 200, "GET {id}");
        assert_eq!(json(response)["id"], id.as_str());
    }

    progress("read back exactly once through both api processes");
    // Conflicts are still decided by the store: 409 through either api process.
    let taken = &ids[total / 3];
    for server in &apis {
        let conflicting = server.put_statement(taken, &statement(taken, total + 1));
        assert_eq!(conflicting.status(), 409, "same id, other content");
        let same = server.put_statement(taken, &statement(taken, total / 3));
        assert_eq!(same.status(), 204, "same id, same content");
    }

    for server in apis {
        assert!(server.terminate().success());
    }
    assert!(first.terminate().success());
    assert!(second.terminate().success());
    drop(broker);
}

#[test]
fn views_folded_by_partition_owners_are_answered_through_an_api_process() {
    let broker = Broker::start();
    let url = broker.url();
    let (_dirs, first, second, router) = two_projectors_and_an_api(&url);
    // Each projector owns some partitions, and not all of them.
    let owned = |server: &Learnlog| -> Vec<u64> {
        let answer = json(
            server
                .raw(Method::GET, "/internal/v1/ownership")
                .send()
                .unwrap(),
        );
        let partitions = answer["partitions"].as_array().unwrap();
        partitions.iter().map(|p| p.as_u64().unwrap()).collect()
    };
    let (mine, theirs) = (owned(&first), owned(&second));
    assert!(
        !mine.is_empty() && !theirs.is_empty(),
        "{mine:?} / {theirs:?}"
    );
    assert_eq!(
        mine.len() + theirs.len(),
        4,
        "4 partitions, each owned once"
    );

    let ids: Vec<String> = (0..2_000).map(|_| new_id()).collect();
    for (start, chunk) in ids.chunks(BATCH).enumerate() {
        post_until_acknowledged(&router, chunk, start * BATCH);
    }
    // Every learner's profile is folded by one owner; through the api process they
    // add up to every statement, each counted once.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut counted = profile_statements(&router);
    while counted < ids.len() as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        counted = profile_statements(&router);
    }
    assert_eq!(
        counted,
        ids.len() as u64,
        "statements counted by the learner profiles"
    );

    // Asked directly, a projector refuses the learners of partitions it does not own
    // with 421 naming the partition; the api process answers for every learner.
    let mut misdirected = 0;
    for learner in 0..LEARNERS {
        let agent = crate::support::percent_encode(&format!(
            r#"{{"mbox":"mailto:learner{learner}@example.org"}}"#
        ));
        let path = format!("/v1/learners/{agent}/profile");
        let direct = first.xapi(Method::GET, &path).send().unwrap();
        if direct.status() == 421 {
            let partition: u64 = direct.headers()["learnlog-partition"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                theirs.contains(&partition),
                "partition {partition} is the other's"
            );
            misdirected += 1;
        } else {
            assert_eq!(direct.status(), 200);
        }
        assert_eq!(
            router.xapi(Method::GET, &path).send().unwrap().status(),
            200
        );
    }
    assert!(misdirected > 0, "some learners live on the other projector");

    // The learners of a competency live with their owners: the api process asks both
    // projectors and merges the lists, so every learner with evidence is in it once.
    let skilled: Vec<String> = (0..20)
        .map(|learner| {
            format!(
                concat!(
                    r#"{{"actor":{{"mbox":"mailto:learner{learner}@example.org"}},"#,
                    r#""verb":{{"id":"http://adlnet.gov/expapi/verbs/answered"}},"#,
                    r#""object":{{"id":"https://example.org/items/skilled","definition":{{"#,
                    r#""extensions":{{"https://example.org/xapi/extensions/skills":["roles-c"]}}}}}},"#,
                    r#""result":{{"success":true}}}}"#
                ),
                learner = learner
            )
        })
        .collect();
    let posted = router.post_statements(&format!("[{}]", skilled.join(",")));
    assert_eq!(posted.status(), 200);
    let listed = |server: &Learnlog| -> Vec<String> {
        let answer = server
            .xapi(Method::GET, "/v1/competencies/roles-c/learners?close=0")
            .send()
            .unwrap();
        assert_eq!(answer.status(), 200);
        let answer = json(answer);
        ["mastered", "close"]
            .iter()
            .flat_map(|list| answer[list].as_array().unwrap().clone())
            .map(|entry| entry["learner"].as_str().unwrap().to_owned())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut learners = listed(&router);
    while learners.len() < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        learners = listed(&router);
    }
    assert_eq!(
        learners.len(),
        20,
        "every learner with evidence: {learners:?}"
    );
    assert_eq!(
        learners.iter().collect::<HashSet<_>>().len(),
        20,
        "each once"
    );
    let (from_first, from_second) = (listed(&first).len(), listed(&second).len());
    assert!(
        from_first > 0 && from_second > 0,
        "{from_first} + {from_second}"
    );
    assert_eq!(
        from_first + from_second,
        20,
        "each projector lists its own learners"
    );

    // Documents: written and read through the api process, whoever owns them; a
    // stale If-Match is still 412.
    for learner in 0..20 {
        let agent = crate::support::percent_encode(&format!(
            r#"{{"mbox":"mailto:learner{learner}@example.org"}}"#
        ));
        let path = format!(
            "/xapi/activities/state?activityId=https://example.org/a&agent={agent}&stateId=s"
        );
        let put = router
            .xapi(Method::PUT, &path)
            .header("Content-Type", "application/json")
            .body(format!(r#"{{"learner":{learner}}}"#))
            .send()
            .unwrap();
        assert_eq!(put.status(), 204, "PUT state of learner {learner}");
        let got = router.xapi(Method::GET, &path).send().unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(json(got)["learner"], learner);
        let stale = router
            .xapi(Method::PUT, &path)
            .header("Content-Type", "application/json")
            .header("If-Match", "\"0000000000000000000000000000000000000000\"")
            .body("{}")
            .send()
            .unwrap();
        assert_eq!(stale.status(), 412, "stale If-Match for learner {learner}");
    }

    for server in [router, first, second] {
        assert!(server.terminate().success());
    }
    drop(broker);
}

#[test]
fn a_class_gets_its_decisions_and_groups_through_an_api_process_over_two_projectors() {
    let broker = Broker::start();
    let url = broker.url();
    let (_dirs, first, second, router) = two_projectors_and_an_api(&url);
    crate::decisions::class_scenario(&router);

    // each projector lists the members it owns; the api process lists them all
    let rows = |server: &Learnlog| {
        let grid = server
            .raw(Method::GET, "/v1/classes/5a/mastery")
            .basic_auth(crate::support::KEY, Some(crate::support::SECRET))
            .send()
            .unwrap();
        json(grid)["learners"].as_array().unwrap().len()
    };
    let (mine, theirs) = (rows(&first), rows(&second));
    assert!(mine > 0 && theirs > 0, "{mine} / {theirs}");
    assert_eq!(mine + theirs, rows(&router));
    drop(broker);
}

#[test]
fn streams_pass_through_an_api_process_to_the_owner_and_resume_on_another_projector() {
    use crate::streams::{post_batch, statement_id, Subscriber};
    let broker = Broker::start();
    let url = broker.url();
    let (_dirs, first, _second, router) = two_projectors_and_an_api(&url);
    let ids: Vec<String> = (0..400).map(|_| new_id()).collect();
    for (n, chunk) in ids.chunks(100).enumerate() {
        post_batch(&router, chunk, n * 100);
    }
    // a learner's profile stream goes to the owner of the learner's partition: learner
    // 5 of `support::statement` acted in statements 5, 102, 199, 296 and 393
    let learner = crate::support::percent_encode(r#"{"mbox":"mailto:learner5@example.org"}"#);
    let query = format!("?from=start&learner={learner}");
    let mut profiles = Subscriber::open_view(&router, "profiles", &query, None);
    for _ in 0..5 {
        let event = profiles.next(None).expect("a profile event");
        assert_eq!(event.name, "profile");
        let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
        assert!(data["view"].is_object(), "{data}");
    }
    let mut received = Vec::new();
    let mut subscriber = Subscriber::open(&first, "?from=start", None);
    let mut last = None;
    for _ in 0..150 {
        let event = subscriber.next(None).expect("an event");
        received.push(statement_id(&event));
        last = Some(event.id);
    }
    drop(subscriber);
    first.kill();
    // positions are offsets on the shared log: the other projector resumes from them
    let mut subscriber = Subscriber::open(&router, "", last.as_deref());
    while received.len() < ids.len() {
        received.push(statement_id(&subscriber.next(None).expect("an event")));
    }
    let distinct: HashSet<&String> = received.iter().collect();
    assert_eq!(distinct.len(), received.len(), "no statement repeats");
    assert_eq!(distinct, ids.iter().collect::<HashSet<_>>());

    drop(broker);
}
