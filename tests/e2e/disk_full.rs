//! A full disk: writes answer 507 with a clear message before anything is appended,
//! reads go on, writes resume when space returns, and nothing acknowledged is lost.
//! The server runs in user and mount namespaces of its own (`unshare`, no privileges
//! needed) with its data directory on a small tmpfs that the test makes and fills.

use crate::durability::all_ids;
use crate::support::{json, new_id, statement, Learnlog};
use reqwest::Method;
use std::process::Command;

/// The small disk.
const DISK: &str = "80m";
/// What the server must keep free: `--min-free-disk-bytes`, 16 MiB.
const FLOOR: &str = "16777216";
/// A file taking 16 MiB of the disk, removed to give space back.
const FILLER_MIB: u32 = 16;

/// Runs `script` in the server's namespaces, where its disk is mounted.
fn in_servers_namespaces(server: &Learnlog, script: &str) {
    let status = Command::new("nsenter")
        .args(["--target", &server.pid().to_string(), "--user", "--mount"])
        .args(["sh", "-c", script])
        .status()
        .expect("nsenter runs");
    assert!(status.success(), "{script}: {status}");
}

fn batch(first: usize) -> (Vec<String>, String) {
    let ids: Vec<String> = (0..100).map(|_| new_id()).collect();
    let statements: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| statement(id, first + i))
        .collect();
    (ids, format!("[{}]", statements.join(",")))
}

#[test]
fn a_full_disk_refuses_writes_with_507_keeps_reads_and_resumes_when_space_returns() {
    let outer = tempfile::tempdir().unwrap();
    let disk = outer.path().join("small-disk");
    std::fs::create_dir(&disk).unwrap();
    let setup = format!(
        "mount -t tmpfs -o size={DISK} tmpfs \"$0\" && \
         head -c {FILLER_MIB}M /dev/zero > \"$0/filler\" && exec \"$@\""
    );
    let disk_path = disk.to_str().unwrap();
    let wrapper = [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        &setup,
        disk_path,
    ];
    let server = Learnlog::start_wrapped(
        &wrapper,
        &disk.join("data"),
        &["--min-free-disk-bytes", FLOOR],
    );

    let mut acknowledged = Vec::new();
    let mut refused = None;
    for n in 0..200 {
        let (ids, body) = batch(n * 100);
        let response = server.post_statements(&body);
        match response.status().as_u16() {
            200 => acknowledged.extend(ids),
            507 => {
                refused = Some((ids, body, json(response)));
                break;
            }
            other => panic!("batch {n}: {other} {:?}", response.text()),
        }
    }
    let (refused_ids, refused_body, answer) = refused.expect("the disk fills up");
    assert!(!acknowledged.is_empty());
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("--min-free-disk-bytes (16777216)") && message.contains("reads go on"),
        "{message}"
    );

    // nothing of the refused batch is stored; everything acknowledged is served
    for id in &refused_ids {
        assert_eq!(server.get_statement(id).status(), 404, "{id}");
    }
    let mut served = all_ids(&server).expect("queries are served on a full disk");
    served.sort();
    acknowledged.sort();
    assert_eq!(served, acknowledged);
    // every kind of write is refused, not only statements
    let document = server
        .xapi(Method::PUT, "/xapi/activities/profile")
        .query(&[("activityId", "https://example.org/a"), ("profileId", "p")])
        .header("If-None-Match", "*")
        .json(&serde_json::json!({"a": 1}))
        .send()
        .unwrap();
    assert_eq!(document.status(), 507);
    assert!(server
        .metrics()
        .contains("learnlog_writes_refused_disk_full_total 2"));

    // space returns: the refused batch is accepted as it was sent
    in_servers_namespaces(&server, &format!("rm {disk_path}/filler"));
    let response = server.post_statements(&refused_body);
    assert_eq!(response.status(), 200, "{:?}", response.text());
    acknowledged.extend(refused_ids);
    let mut served = all_ids(&server).expect("queries are served");
    served.sort();
    acknowledged.sort();
    assert_eq!(served, acknowledged);
}
