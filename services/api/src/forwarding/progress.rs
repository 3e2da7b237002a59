//! How far each forwarding has delivered, kept by the delivering process: one small
//! file per forwarding (`{hex tenant}.{id}.json`: the forwarding's creation time, the
//! stream position after the last delivered statement, how many were delivered),
//! replaced atomically (write, fsync, rename) after every delivered batch. A restart
//! resumes after the last batch the target acknowledged.

use crate::streams::StreamPosition;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The progress of one forwarding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The `created_micros` of the forwarding this progress belongs to.
    pub created_micros: i64,
    /// The next offset to deliver in each partition of the statements topic.
    pub position: Vec<u64>,
    /// Statements delivered so far.
    pub delivered: u64,
}

/// The directory of progress files.
#[derive(Clone, Debug)]
pub struct ProgressFiles {
    dir: PathBuf,
}

impl ProgressFiles {
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    fn path(&self, tenant: &str, id: &str) -> PathBuf {
        self.dir
            .join(format!("{}.{id}.json", hex::encode(tenant.as_bytes())))
    }

    /// The progress of forwarding `id` created at `created_micros`; `None` when there is
    /// none, or it belongs to an earlier forwarding of the same id.
    pub fn load(&self, tenant: &str, id: &str, created_micros: i64) -> Option<Progress> {
        let bytes = std::fs::read(self.path(tenant, id)).ok()?;
        let progress: Progress = serde_json::from_slice(&bytes).ok()?;
        (progress.created_micros == created_micros).then_some(progress)
    }

    /// Replaces the progress of `id`, durably.
    pub fn save(&self, tenant: &str, id: &str, progress: &Progress) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(progress).map_err(std::io::Error::other)?;
        crate::durable_file::replace(&self.path(tenant, id), &bytes)
    }

    /// Forgets the progress of a removed forwarding.
    pub fn forget(&self, tenant: &str, id: &str) {
        let _ = std::fs::remove_file(self.path(tenant, id));
    }
}

impl Progress {
    pub fn at(&self) -> StreamPosition {
        StreamPosition(self.position.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_back_only_for_the_same_incarnation_and_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let files = ProgressFiles::open(dir.path()).unwrap();
        assert_eq!(files.load("t", "a", 1), None);
        let progress = Progress {
            created_micros: 1,
            position: vec![3, 0, 9],
            delivered: 12,
        };
        files.save("t", "a", &progress).unwrap();
        assert_eq!(files.load("t", "a", 1), Some(progress.clone()));
        assert_eq!(
            files.load("t", "a", 2),
            None,
            "a newer forwarding starts over"
        );
        assert_eq!(files.load("u", "a", 1), None, "tenants apart");
        files.forget("t", "a");
        assert_eq!(files.load("t", "a", 1), None);
    }
}
