//! Upgrades: the data directory records its format; a directory from before formats
//! were recorded is refused with the command that migrates it, which works; a directory
//! of a newer format is refused.

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
    assert_eq!(std::fs::read_to_string(&format).unwrap().trim(), "5");
    let migrate = format!("learnlog rebuild --data-dir {}", data.path().display());

    // as left by a learnlog from before the format was recorded, then by one that
    // wrote format 2 (statement bodies inside sled), 3 (no erasure indexes), then 4
    // (a sled tree per tree of a projection)
    let older_formats = [
        (1, None),
        (2, Some("2\n")),
        (3, Some("3\n")),
        (4, Some("4\n")),
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
        assert_eq!(std::fs::read_to_string(&format).unwrap().trim(), "5");
        let server = Learnlog::start(data.path());
        assert_eq!(server.get_statement(&id).status(), 200, "the data survived");
        assert!(server.terminate().success());
    }

    std::fs::write(&format, "6\n").unwrap();
    let refused = refusal(data.path());
    assert!(refused.contains("newer learnlog"), "{refused}");
}
