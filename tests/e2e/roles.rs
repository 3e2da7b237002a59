//! learnlog split into roles on Kafka: two projector processes (a consumer group shares
//! the partitions) and two api processes routing to them, against one tansu broker. A
//! projector is killed with SIGKILL while statements are being posted and started again;
//! every acknowledged statement must then be readable exactly once through both api
//! processes, conflicts must still answer 409, and the learner views (folded only by the
//! owner of each partition) must have counted every statement exactly once.

use crate::support::{json, new_id, statement, Learnlog};
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
const LEARNERS: usize = 97;

/// A free port on loopback, so a restarted projector comes back where the api
/// processes look for it.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A projector on `port`; `instance` is its static group membership name, as a
/// StatefulSet pod's name would be.
fn projector(data_dir: &Path, broker: &str, port: u16, instance: &str) -> Learnlog {
    let listen = format!("127.0.0.1:{port}");
    Learnlog::start_with(
        data_dir,
        &[
            "--role",
            "projector",
            "--log",
            broker,
            "--listen",
            &listen,
            "--group-instance-id",
            instance,
        ],
    )
}

fn api(data_dir: &Path, projectors: &str) -> Learnlog {
    Learnlog::start_with(data_dir, &["--role", "api", "--projectors", projectors])
}

/// Waits until `server` says it is ready.
fn wait_ready(server: &Learnlog, within: Duration) {
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

/// Every statement id a query returns through `server`, following `more`.
fn all_ids(server: &Learnlog) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = "/xapi/statements?limit=1000".to_owned();
    loop {
        let response = server.xapi(Method::GET, &next).send().unwrap();
        assert_eq!(response.status(), 200, "GET {next}");
        let page = json(response);
        seen.extend(
            page["statements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        match page["more"].as_str().unwrap() {
            "" => return seen,
            more => next = more.to_owned(),
        }
    }
}

/// The number of statements each learner's profile counted, summed over learners.
fn profile_statements(server: &Learnlog) -> u64 {
    (0..LEARNERS)
        .map(|learner| {
            let agent = crate::support::percent_encode(&format!(
                r#"{{"mbox":"mailto:learner{learner}@example.org"}}"#
            ));
            let response = server
                .xapi(Method::GET, &format!("/v1/learners/{agent}/profile"))
                .send()
                .unwrap();
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
        let seen = all_ids(server);
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

    // The learner views are folded by each partition's owner only, across the kill,
    // the restart and the rebalances: every statement counted once.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut counted = profile_statements(&apis[0]);
    while counted < total as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(2));
        counted = profile_statements(&apis[0]);
    }
    assert_eq!(
        counted, total as u64,
        "statements counted by the learner profiles"
    );
    assert_eq!(profile_statements(&apis[1]), total as u64);
    progress("learner profiles counted every statement once");

    for server in apis {
        assert!(server.terminate().success());
    }
    assert!(first.terminate().success());
    assert!(second.terminate().success());
    drop(broker);
}
