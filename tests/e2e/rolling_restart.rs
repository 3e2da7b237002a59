//! A rolling restart on Kafka: two api and two projector processes on one broker, each
//! stopped in turn with SIGTERM (as Kubernetes does, one pod at a time) and started
//! again while four clients post statements. Every acknowledged statement is stored
//! once, and every learner's profile equals the one a single process folds from the
//! same statements.

use crate::kafka::query_ids;
use crate::roles::{learner_profile, projector, wait_ready, LEARNERS};
use crate::support::{free_port, json, new_id, statement, Learnlog, KEY, SECRET};
use learnlog_testkit::Broker;
use reqwest::blocking::Client;
use reqwest::Method;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const STATEMENTS: usize = 20_000;
const BATCH: usize = 200;

/// Statement `n` with a timestamp of its own, so that its learner's profile does not
/// depend on when a deployment stored it.
fn timed(id: &str, n: usize) -> String {
    let mut statement: Value = serde_json::from_str(&statement(id, n)).unwrap();
    statement["timestamp"] = Value::from(format!(
        "2025-01-{:02}T{:02}:{:02}:{:02}Z",
        1 + n / 86_400 % 28,
        n / 3_600 % 24,
        n / 60 % 60,
        n % 60
    ));
    statement.to_string()
}

fn body(ids: &[String], first: usize) -> String {
    let statements: Vec<String> = (ids.iter().enumerate())
        .map(|(i, id)| timed(id, first + i))
        .collect();
    format!("[{}]", statements.join(","))
}

/// Posts one batch until one of `bases` acknowledges it, going to the other while one
/// is away.
fn post(client: &Client, bases: &[String], ids: &[String], first: usize) {
    let body = body(ids, first);
    let deadline = Instant::now() + Duration::from_secs(180);
    for attempt in 0.. {
        let base = &bases[attempt % bases.len()];
        let answer = client
            .post(format!("{base}/xapi/statements"))
            .basic_auth(KEY, Some(SECRET))
            .header("X-Experience-API-Version", "2.0.0")
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send();
        match answer {
            Ok(response) if response.status() == 200 => {
                let acknowledged: Vec<String> = response.json().unwrap();
                assert_eq!(acknowledged, ids, "batch at {first}");
                return;
            }
            Ok(response) => assert_eq!(response.status(), 503, "batch at {first}"),
            Err(_) => {}
        }
        assert!(
            Instant::now() < deadline,
            "batch at {first} not acknowledged"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn api(data_dir: &Path, projectors: &str, port: u16) -> Learnlog {
    let listen = format!("127.0.0.1:{port}");
    Learnlog::start_with(
        data_dir,
        &[
            "--role",
            "api",
            "--projectors",
            projectors,
            "--listen",
            &listen,
        ],
    )
}

/// Every learner's profile, in learner order; `Err` names a learner whose partition
/// has no owner right now (503).
fn profiles(server: &Learnlog) -> Result<Vec<Value>, String> {
    (0..LEARNERS)
        .map(|learner| {
            let response = learner_profile(server, learner);
            match response.status().as_u16() {
                200 => Ok(json(response)),
                503 => Err(format!(
                    "learner {learner}: 503 {}",
                    response.text().unwrap()
                )),
                other => panic!("profile of learner {learner}: {other}"),
            }
        })
        .collect()
}

#[test]
fn a_rolling_restart_with_sigterm_under_load_loses_and_repeats_nothing() {
    let broker = Broker::start();
    let url = broker.url();
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let instance = |i: usize| format!("projector-{i}");
    let start_projector = |i: usize| projector(dirs[i].path(), &url, ports[i], &instance(i));
    let mut processes: Vec<Option<Learnlog>> =
        vec![Some(start_projector(0)), Some(start_projector(1))];
    let projectors = format!(
        "http://127.0.0.1:{},http://127.0.0.1:{}",
        ports[0], ports[1]
    );
    let start_api = |i: usize| api(dirs[i].path(), &projectors, ports[i]);
    processes.push(Some(start_api(2)));
    processes.push(Some(start_api(3)));
    for process in processes.iter().flatten() {
        wait_ready(process, Duration::from_secs(60));
    }
    let bases: Vec<String> = ports[2..]
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();

    let ids: Vec<String> = (0..STATEMENTS).map(|_| new_id()).collect();
    let next_batch = AtomicUsize::new(0);
    let posted = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for poster in 0..4 {
            let (ids, next_batch, posted) = (&ids, &next_batch, &posted);
            // each poster starts on its own api process
            let mut bases = bases.clone();
            bases.rotate_left(poster % 2);
            scope.spawn(move || {
                let client = Client::builder()
                    .timeout(Duration::from_secs(60))
                    .pool_idle_timeout(Duration::from_secs(2))
                    .build()
                    .unwrap();
                loop {
                    let start = next_batch.fetch_add(1, Ordering::Relaxed) * BATCH;
                    if start >= ids.len() {
                        return;
                    }
                    let end = (start + BATCH).min(ids.len());
                    post(&client, &bases, &ids[start..end], start);
                    posted.fetch_add(end - start, Ordering::Relaxed);
                }
            });
        }
        // one process at a time, apis first, each when another fifth is posted
        for (turn, process) in [2, 3, 0, 1].into_iter().enumerate() {
            while posted.load(Ordering::Relaxed) < STATEMENTS * (turn + 1) / 5 {
                std::thread::sleep(Duration::from_millis(50));
            }
            let stopping = processes[process].take().unwrap();
            assert!(
                stopping.terminate().success(),
                "process {process} stops cleanly"
            );
            let started = if process < 2 {
                start_projector(process)
            } else {
                start_api(process)
            };
            wait_ready(&started, Duration::from_secs(120));
            processes[process] = Some(started);
        }
    });
    assert_eq!(posted.load(Ordering::Relaxed), STATEMENTS);

    let expected: HashSet<&String> = ids.iter().collect();
    for api in &processes[2..] {
        let api = api.as_ref().unwrap();
        let seen = query_ids(api, "/xapi/statements?limit=1000");
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no statement twice");
        assert_eq!(unique, expected, "every acknowledged statement");
    }

    // the same statements, folded by one process
    let single_dir = tempfile::tempdir().unwrap();
    let single = Learnlog::start(single_dir.path());
    for (chunk, batch_ids) in ids.chunks(BATCH * 5).enumerate() {
        let response = single.post_statements(&body(batch_ids, chunk * BATCH * 5));
        assert_eq!(response.status(), 200);
    }
    let api = processes[2].as_ref().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (cluster, alone) = (profiles(api), profiles(&single));
        if cluster.is_ok() && cluster == alone {
            break;
        }
        if Instant::now() >= deadline {
            let owners: Vec<String> = (processes[..2].iter().flatten())
                .map(|p| {
                    let answer = p.raw(Method::GET, "/internal/v1/ownership").send().unwrap();
                    format!("{}: {}", p.base, answer.text().unwrap())
                })
                .collect();
            panic!("profiles differ:\n{cluster:?}\n{alone:?}\nownership: {owners:#?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    for process in processes.into_iter().flatten() {
        assert!(process.terminate().success());
    }
}
