//! The free-space floor of client writes. Below `--min-free-disk-bytes` free on the
//! data directory's filesystem, every write answers 507 before anything is appended,
//! so that neither the log nor a projection meets a full disk halfway through a write
//! (a projection that cannot fold holds up every write after it). Reads go on, and
//! writes resume as soon as space returns: the floor is checked on every write.

use crate::error::ApiError;
use crate::metrics;
use std::path::PathBuf;

/// Where the floor is checked and how high it is.
#[derive(Clone, Debug)]
pub struct DiskSpace {
    dir: PathBuf,
    /// 0: never refuse.
    min_free_bytes: u64,
}

impl DiskSpace {
    /// Refuses writes while `dir`'s filesystem has less than `min_free_bytes` free to
    /// unprivileged writers; 0 never refuses.
    pub fn new(dir: PathBuf, min_free_bytes: u64) -> Self {
        Self {
            dir,
            min_free_bytes,
        }
    }

    /// Fails with 507 while free space is below the floor.
    pub fn check(&self) -> Result<(), ApiError> {
        if self.min_free_bytes == 0 {
            return Ok(());
        }
        let free = self.free_bytes()?;
        metrics::DISK_FREE_BYTES.set(free as i64);
        if free < self.min_free_bytes {
            metrics::WRITES_REFUSED_DISK_FULL.inc();
            return Err(ApiError::InsufficientStorage {
                free_bytes: free,
                min_free_bytes: self.min_free_bytes,
            });
        }
        Ok(())
    }

    fn free_bytes(&self) -> Result<u64, ApiError> {
        let stats = nix::sys::statvfs::statvfs(&self.dir).map_err(|error| {
            ApiError::Internal(format!("free space of {}: {error}", self.dir.display()))
        })?;
        Ok(stats.blocks_available() as u64 * stats.fragment_size() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_above_the_disk_refuses_and_zero_never_does() {
        let dir = tempfile::tempdir().unwrap();
        let never = DiskSpace::new(dir.path().to_owned(), 0);
        assert!(never.check().is_ok());
        let always = DiskSpace::new(dir.path().to_owned(), u64::MAX);
        match always.check() {
            Err(ApiError::InsufficientStorage { min_free_bytes, .. }) => {
                assert_eq!(min_free_bytes, u64::MAX)
            }
            other => panic!("not refused: {other:?}"),
        }
        assert!(DiskSpace::new(dir.path().to_owned(), 1).check().is_ok());
    }
}
