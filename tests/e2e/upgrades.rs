//! Upgrades: the data directory records its format; a directory from before formats
//! were recorded, or of any older format, is refused with the command that migrates it,
//! which works (and converts a format-5 key store's layout); a directory of a newer
//! format is refused.

use crate::support::{binary, new_id, statement, Learnlog};
use std::path::Path;
use std::process::Command;

/// `learnlog serve` over `dir` when it must refuse to start: its error output.
fn refusal(dir: &Path) -> String {
    let output = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(!output.status.success(), "serve started over {dir:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_old_directory_is_refused_with_its_migration_which_works_and_a_newer_one_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let id = new_id();
    assert_eq!(server.put_statement(&id, &statement(&id, 1)).status(), 204);
    assert!(server.terminate().success());
    let format = data.path().join("FORMAT");
    assert_eq!(std::fs::read_to_string(&format).unwrap().trim(), "9");
    let migrate = format!("learnlog rebuild --data-dir {}", data.path().display());

    // as left by a learnlog from before the format was recorded, then by one that
    // wrote format 2 (statement bodies inside sled), 3 (no erasure indexes), 4 (a sled
    // tree per tree of a projection), 6 (a key per activity definition leaf), 7 (an
    // outcome per accepted statement, a `by_stored` key per statement), then 8 (posting
    // blocks of a second, bodies copied into the value log)
    let older_formats = [
        (1, None),
        (2, Some("2\n")),
        (3, Some("3\n")),
        (4, Some("4\n")),
        (6, Some("6\n")),
        (7, Some("7\n")),
        (8, Some("8\n")),
    ];
    for (older, marker) in older_formats {
        match marker {
            None => std::fs::remove_file(&format).unwrap(),
            Some(marker) => std::fs::write(&format, marker).unwrap(),
        }
        let refused = refusal(data.path());
        assert!(
            refused.contains(&format!("data format {older}")),
            "{refused}"
        );
        assert!(refused.contains(&migrate), "{refused}");

        Learnlog::run_offline(data.path(), "rebuild");
        assert_eq!(std::fs::read_to_string(&format).unwrap().trim(), "9");
        let server = Learnlog::start(data.path());
        assert_eq!(server.get_statement(&id).status(), 200, "the data survived");
        assert!(server.terminate().success());
    }

    std::fs::write(&format, "10\n").unwrap();
    let refused = refusal(data.path());
    assert!(refused.contains("newer learnlog"), "{refused}");
}

/// Bytes of a key slot: learner id (16), key id and key (48), CRC-32 (4).
const KEY_SLOT_BYTES: usize = 68;

#[test]
fn a_format_5_directory_with_a_key_file_per_learner_is_rebuilt_and_converted() {
    let data = tempfile::tempdir().unwrap();
    let server = Learnlog::start(data.path());
    let ids: Vec<String> = (0..3).map(|_| new_id()).collect();
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(server.put_statement(id, &statement(id, n)).status(), 204);
    }
    assert!(server.terminate().success());

    // the keys as format 5 kept them: one file per learner, its keys back to back
    let mut tenants = Vec::new();
    for entry in std::fs::read_dir(data.path().join("keys")).unwrap() {
        let tenant = entry.unwrap().path();
        if !tenant.is_dir() {
            continue;
        }
        let slots = std::fs::read(tenant.join("slots")).unwrap();
        assert_eq!(slots.len() % KEY_SLOT_BYTES, 0);
        for slot in slots.chunks(KEY_SLOT_BYTES) {
            let learner = uuid::Uuid::from_slice(&slot[..16]).unwrap();
            std::fs::write(tenant.join(learner.to_string()), &slot[16..64]).unwrap();
        }
        std::fs::remove_file(tenant.join("slots")).unwrap();
        tenants.push(tenant);
    }
    assert!(!tenants.is_empty());
    let format = data.path().join("FORMAT");
    std::fs::write(&format, "5\n").unwrap();
    assert!(refusal(data.path()).contains("data format 5"));

    Learnlog::run_offline(data.path(), "rebuild");
    let server = Learnlog::start(data.path());
    for id in &ids {
        let response = server.get_statement(id);
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().unwrap();
        assert!(
            body["actor"]["mbox"]
                .as_str()
                .unwrap()
                .starts_with("mailto:learner"),
            "the sealed actor opens with the converted key: {body}"
        );
    }
    assert!(server.terminate().success());
    assert_eq!(std::fs::read_to_string(&format).unwrap().trim(), "9");
    for tenant in tenants {
        let names: Vec<String> = (std::fs::read_dir(&tenant).unwrap())
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["slots"], "{tenant:?}");
    }
}
