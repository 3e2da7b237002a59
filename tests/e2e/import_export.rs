//! `learnlog import` and `learnlog export` against real servers: 100,000 statements from
//! JSON lines (a third without ids, three invalid), interrupted once with SIGKILL and
//! resumed, stored exactly once, refusals written with their reasons; and an export
//! imported into an empty server exports the same statements.

use crate::support::{binary, Learnlog, KEY, SECRET};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const STATEMENTS: usize = 100_000;
/// Indexes of statements with no verb: refused.
const INVALID: [usize; 3] = [99_990, 99_991, 99_995];

fn statement(n: usize) -> Value {
    let mut statement = json!({
        "actor": {"mbox": format!("mailto:learner{}@example.org", n % 251)},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": format!("https://example.org/items/{}", n % 997)},
        "result": {"success": !n.is_multiple_of(3)},
        "timestamp": format!("2025-02-{:02}T{:02}:{:02}:00Z", 1 + n / 3600 % 28, n / 60 % 24, n % 60),
    });
    if !n.is_multiple_of(3) {
        statement["id"] = json!(uuid::Uuid::new_v4().to_string());
    }
    if INVALID.contains(&n) {
        statement.as_object_mut().unwrap().remove("verb");
    }
    statement
}

fn import(server: &Learnlog, dir: &Path, file: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .args(["import", "--url", &server.base, "--batch", "1000"])
        .arg("--credential")
        .arg(format!("{KEY}:{SECRET}"))
        .arg("--rejects")
        .arg(dir.join("rejects.jsonl"))
        .arg("--progress")
        .arg(dir.join("progress.json"))
        .arg(file)
        .env("RUST_LOG", "warn");
    command
}

fn export(server: &Learnlog, to: &Path) -> Vec<Value> {
    let output: Output = Command::new(binary())
        .args(["export", "--url", &server.base])
        .arg("--credential")
        .arg(format!("{KEY}:{SECRET}"))
        .arg("--output")
        .arg(to)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(to).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The records the progress file says are done.
fn done(dir: &Path) -> u64 {
    std::fs::read(dir.join("progress.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|progress| progress.as_object()?.values().next()?.as_u64())
        .unwrap_or(0)
}

/// A statement without what the storing LRS assigns: when it stored it, and the
/// authority (its own URL as `homePage`).
fn content(statement: &Value) -> Value {
    let mut statement = statement.clone();
    let fields = statement.as_object_mut().unwrap();
    fields.remove("stored");
    fields.remove("authority");
    statement
}

#[test]
fn an_interrupted_import_resumes_without_duplicates_and_an_export_round_trips() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("statements.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for n in 0..STATEMENTS {
        writeln!(out, "{}", statement(n)).unwrap();
    }
    out.flush().unwrap();
    drop(out);

    let first_dir = tempfile::tempdir().unwrap();
    let first = Learnlog::start(first_dir.path());

    // interrupted once, after some batches were stored
    let mut running = import(&first, work.path(), &file)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while done(work.path()) < 20_000 {
        assert!(Instant::now() < deadline, "the import made no progress");
        assert!(
            running.try_wait().unwrap().is_none(),
            "the import ended early"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    running.kill().unwrap();
    running.wait().unwrap();
    let interrupted_at = done(work.path());
    assert!(interrupted_at < STATEMENTS as u64);

    let resumed = import(&first, work.path(), &file).output().unwrap();
    assert!(resumed.status.success(), "{resumed:?}");
    let summary = String::from_utf8(resumed.stdout).unwrap();
    assert!(summary.contains(" 3 refused"), "{summary}");
    assert!(
        summary.contains(&format!("{interrupted_at} skipped")),
        "{summary}"
    );

    let rejects = std::fs::read_to_string(work.path().join("rejects.jsonl")).unwrap();
    let rejected: Vec<Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let indexes: Vec<u64> = rejected
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, INVALID.map(|i| i as u64));
    assert!(rejected.iter().all(|r| r["status"] == 400 && r["reason"].as_str().is_some_and(|s| s.contains("verb"))), "{rejects}");

    let exported = export(&first, &work.path().join("first.jsonl"));
    assert_eq!(
        exported.len(),
        STATEMENTS - INVALID.len(),
        "each statement once"
    );
    let ids: HashSet<&str> = exported.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), exported.len());

    // the export, imported into an empty server, exports the same statements
    let second_dir = tempfile::tempdir().unwrap();
    let second = Learnlog::start(second_dir.path());
    let again = tempfile::tempdir().unwrap();
    let imported = import(&second, again.path(), &work.path().join("first.jsonl"))
        .output()
        .unwrap();
    assert!(imported.status.success(), "{imported:?}");
    // Statements stored in one batch share their `stored` time, and xAPI orders
    // statements by `stored` only: the two imports batched differently (the first was
    // interrupted and refused three), so the comparison is by id.
    let by_id = |statements: &[Value]| -> BTreeMap<String, Value> {
        (statements.iter())
            .map(|s| (s["id"].as_str().unwrap().to_owned(), content(s)))
            .collect()
    };
    let round_trip = export(&second, &work.path().join("second.jsonl"));
    assert_eq!(round_trip.len(), exported.len());
    let (before, after) = (by_id(&exported), by_id(&round_trip));
    let differing = (before.iter()).find(|(id, statement)| after.get(*id) != Some(statement));
    assert!(
        differing.is_none(),
        "differs after the round trip: {differing:?}"
    );
}
