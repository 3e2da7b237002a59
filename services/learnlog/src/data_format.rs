//! The data directory's format: `DATA_DIR/FORMAT` holds the version of the layout of
//! the projection state in it, so that a newer learnlog opens an older directory or
//! says how to migrate it, and an older one never misreads a newer one. The log is not
//! versioned here: its events only gain fields (see `proto/`), and every version reads
//! them.
//!
//! Versions:
//! - 1: directories from before this file existed.
//! - 2: the mastery projection marks competencies whose evidence was all voided
//!   (`mastery.removed`, read by the view topics). Migrating is a rebuild: the log is
//!   folded again.
//! - 3: the statement store keeps each statement's body once, in a value log beside its
//!   trees, and files index entries under hashed values (ADR 16). Migrating is a
//!   rebuild.
//! - 4: erasure (ADR 17): the statement store lists the statements sealed for each
//!   learner (`statements.by_learner`) and what they told of their actor, and the
//!   document store lists each learner's documents (`documents.by_agent`). Migrating
//!   is a rebuild.
//! - 5: each projection keeps all its trees in one sled tree, under a one-byte prefix
//!   per tree, and commits a batch as one sled batch instead of a transaction (ADR 18).
//!   Migrating is a rebuild.
//! - 6: the learner keys of a tenant are slots of one file, `keys/<tenant>/slots`,
//!   instead of one file per learner (ADR 19). Migrating happened in place: opening the
//!   key store moves the keys into slots (it still does, in a rebuild).
//! - 7: the statement store keeps one key per Activity definition instead of one per
//!   definition leaf, files an entry of a related kind (agent, activity) only under the
//!   direct kind when the statement has both, and keeps index entries in posting blocks
//!   of one value, partition and second (ADR 20). Migrating is a rebuild.
//! - 8: the statement store records an outcome only for a submission it did not store
//!   (a duplicate or a conflict), keeps `by_stored` in posting blocks too, and a
//!   `by_learner` entry holds only the statement id (ADR 21).
//!   Migrating is a rebuild.
//! - 9: the statement store keeps index entries, stored order and each learner's
//!   sealed statements in runs: blocks of about 32 entries whose boundaries the
//!   entries decide, one run per learner, item and registration across partitions;
//!   on the embedded log it reads a statement's body from its event instead of a
//!   value-log copy; a voiding claim also marks its target (ADR 23). Migrating is a
//!   rebuild.

use anyhow::{bail, Context};
use std::path::Path;

/// The format this build writes.
pub const CURRENT: u32 = 9;
const FILE: &str = "FORMAT";

/// Why the directory is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// To serve from its state: it must be in [`CURRENT`] format.
    Serve,
    /// To fold the log again (`rebuild`) or read the state (`digest`): older formats
    /// too.
    Rebuild,
}

/// The format of the directory: its file, else 1 when it already holds projection
/// state, else (a new directory) [`CURRENT`], written down.
fn found(data_dir: &Path) -> anyhow::Result<u32> {
    let path = data_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{} does not hold a format number", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if crate::node::projections_dir(data_dir).exists() {
                return Ok(1);
            }
            record_current(data_dir)?;
            Ok(CURRENT)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Checks that this build may open `data_dir` for `opening`.
pub fn check(data_dir: &Path, opening: Opening) -> anyhow::Result<()> {
    let format = found(data_dir)?;
    let dir = data_dir.display();
    if format > CURRENT {
        bail!(
            "{dir} is in data format {format}, written by a newer learnlog; this one reads \
             formats up to {CURRENT}. Run the newer learnlog."
        );
    }
    if format < CURRENT && opening == Opening::Serve {
        bail!(
            "{dir} is in data format {format}; this learnlog serves format {CURRENT}. \
             Migrate it with `learnlog rebuild --data-dir {dir}` (with the same --log), which \
             folds the log again; the log is kept as it is."
        );
    }
    Ok(())
}

/// Records that `data_dir` is in [`CURRENT`] format (a new directory, or a whole
/// rebuild done).
pub fn record_current(data_dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let path = data_dir.join(FILE);
    std::fs::write(&path, format!("{CURRENT}\n"))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_directories_get_the_current_format_and_others_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new");
        check(&new, Opening::Serve).unwrap();
        assert_eq!(
            std::fs::read_to_string(new.join(FILE)).unwrap().trim(),
            CURRENT.to_string()
        );

        let old = dir.path().join("old");
        std::fs::create_dir_all(crate::node::projections_dir(&old)).unwrap();
        let refused = check(&old, Opening::Serve).unwrap_err().to_string();
        assert!(refused.contains("learnlog rebuild --data-dir"), "{refused}");
        check(&old, Opening::Rebuild).unwrap();
        assert!(!old.join(FILE).exists(), "checking writes nothing");

        let previous = dir.path().join("previous");
        std::fs::create_dir_all(crate::node::projections_dir(&previous)).unwrap();
        std::fs::write(previous.join(FILE), (CURRENT - 1).to_string()).unwrap();
        let refused = check(&previous, Opening::Serve).unwrap_err().to_string();
        assert!(
            refused.contains(&format!("data format {}", CURRENT - 1)),
            "{refused}"
        );
        check(&previous, Opening::Rebuild).unwrap();

        std::fs::write(new.join(FILE), "99").unwrap();
        let newer = check(&new, Opening::Rebuild).unwrap_err().to_string();
        assert!(newer.contains("newer learnlog"), "{newer}");
        std::fs::write(new.join(FILE), "two").unwrap();
        assert!(check(&new, Opening::Serve).is_err());
    }
}
