//! Damaged log files, as an operator meets them: a corrupt record at the tail of a
//! partition's last segment is cut on start and the server says so in its log; a
//! corrupt byte in an earlier segment (acknowledged data) makes `serve` refuse to start,
//! naming the file and the byte, and changes nothing on disk.

use crate::support::{binary, new_id, statement, Learnlog, KEY, SECRET};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Small segments, so that every partition has several.
const SEGMENT_BYTES: &str = "16384";

fn fill(data: &Path) -> Vec<String> {
    let server = Learnlog::start_with(data, &["--segment-bytes", SEGMENT_BYTES]);
    let mut ids = Vec::new();
    for n in 0..4 {
        let batch: Vec<String> = (0..50).map(|_| new_id()).collect();
        let bodies: Vec<String> = batch
            .iter()
            .enumerate()
            .map(|(i, id)| statement(id, n * 50 + i))
            .collect();
        let response = server.post_statements(&format!("[{}]", bodies.join(",")));
        assert_eq!(response.status(), 200);
        ids.extend(batch);
    }
    assert!(server.terminate().success());
    ids
}

fn segments(data: &Path, partition: u32) -> Vec<PathBuf> {
    let dir = data.join(format!("log/topics/statements/{partition}"));
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
}

fn flip_byte(file: &Path, at: u64) {
    let mut bytes = fs::read(file).unwrap();
    bytes[at as usize] ^= 0x5a;
    fs::write(file, bytes).unwrap();
}

/// Runs `serve` until it prints its address (then stops it) or exits; answers whether
/// it started and what it logged (stderr).
fn serve(data: &Path) -> (bool, String) {
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(binary())
        .args(["serve", "--partitions", "4", "--listen", "127.0.0.1:0"])
        .args(["--segment-bytes", SEGMENT_BYTES])
        .arg("--data-dir")
        .arg(data)
        .args(["--admin-credential", &format!("{KEY}:{SECRET}")])
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(logs.reopen().unwrap()))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("learnlog listening on") {
                let _ = sender.send(());
            }
        }
    });
    let started = receiver.recv_timeout(Duration::from_secs(120)).is_ok();
    let _ = child.kill();
    child.wait().unwrap();
    (started, fs::read_to_string(logs.path()).unwrap())
}

#[test]
fn a_corrupt_byte_in_an_earlier_segment_refuses_to_start_naming_the_file() {
    let data = tempfile::tempdir().unwrap();
    fill(data.path());
    let files = segments(data.path(), 0);
    assert!(files.len() >= 2, "{files:?}");
    let damaged = &files[0];
    let length = fs::metadata(damaged).unwrap().len();
    flip_byte(damaged, length / 2);
    let before = fs::read(damaged).unwrap();

    let (started, log) = serve(data.path());
    assert!(!started, "started on a damaged log: {log}");
    assert!(
        log.contains("corrupt log file") && log.contains(&damaged.display().to_string()),
        "{log}"
    );
    assert!(log.contains("at byte"), "{log}");
    assert_eq!(
        fs::read(damaged).unwrap(),
        before,
        "the damaged file was changed"
    );
    assert_eq!(segments(data.path(), 0), files, "segments were removed");
}

#[test]
fn a_corrupt_record_at_the_tail_is_cut_on_start_and_the_log_says_so() {
    let data = tempfile::tempdir().unwrap();
    let ids = fill(data.path());
    let last = segments(data.path(), 0).pop().unwrap();
    let length = fs::metadata(&last).unwrap().len();
    flip_byte(&last, length - 1);

    let (started, log) = serve(data.path());
    assert!(started, "{log}");
    assert!(
        log.contains("truncated the unacknowledged tail of a segment")
            && log.contains(&last.display().to_string()),
        "{log}"
    );
    // the earlier batches are all there
    let server = Learnlog::start_with(data.path(), &["--segment-bytes", SEGMENT_BYTES]);
    for id in &ids[..150] {
        assert_eq!(server.get_statement(id).status(), 200, "{id}");
    }
}
