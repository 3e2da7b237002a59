//! The value log: large values a fold keeps beside its trees (statement bodies), so
//! sled's leaves hold fixed-width references instead of copies.
//!
//! One append-only file per topic partition, `values/<topic>.<partition>`, written only
//! by the task folding that partition, in log order: a value's offset depends on the
//! partition's events alone, so a replay writes the same bytes at the same offsets.
//! Each record is `len(4 BE) crc32(4 BE) bytes`.
//!
//! Crash safety: a batch writes its values at and after the partition's committed end
//! before it commits, and the new end is committed in the same sled batch as the
//! checkpoint. A crash between the two leaves bytes past the committed end, which
//! opening truncates; folding the batch again writes the same bytes again. The
//! projection syncs the value log before every sled flush, so after a power failure
//! sled's committed end is never past the file's durable bytes; a file shorter than
//! its committed end anyway (damaged) refuses to open: rebuild the projection from
//! the log.

use crate::{Error, Result};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Bytes before each value: its length and its CRC-32.
pub(crate) const HEADER: usize = 8;

/// The value files of one projection.
pub(crate) struct ValueLog {
    dir: PathBuf,
    files: Mutex<HashMap<(String, u32), Arc<File>>>,
}

impl ValueLog {
    /// The value log under a projection's directory (created on first write).
    pub(crate) fn new(projection_dir: &Path) -> Self {
        Self {
            dir: projection_dir.join("values"),
            files: Mutex::new(HashMap::new()),
        }
    }

    fn path(&self, topic: &str, partition: u32) -> PathBuf {
        self.dir.join(format!("{topic}.{partition}"))
    }

    fn file(&self, topic: &str, partition: u32) -> std::io::Result<Arc<File>> {
        let mut files = self
            .files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(file) = files.get(&(topic.to_owned(), partition)) {
            return Ok(file.clone());
        }
        std::fs::create_dir_all(&self.dir)?;
        let file = Arc::new(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(self.path(topic, partition))?,
        );
        files.insert((topic.to_owned(), partition), file.clone());
        Ok(file)
    }

    /// Makes the file of a partition end at its committed `end`: bytes a crash left
    /// past it are cut; a file shorter than it is an error.
    pub(crate) fn recover(&self, topic: &str, partition: u32, end: u64) -> Result<()> {
        let path = self.path(topic, partition);
        let length = match std::fs::metadata(&path) {
            Ok(metadata) => metadata.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(self.error(&path, e.to_string())),
        };
        if length < end {
            return Err(self.error(
                &path,
                format!(
                    "holds {length} bytes but the projection committed {end}: values were \
                     lost (a power failure?); rebuild this projection from the log"
                ),
            ));
        }
        if length > end {
            tracing::info!(file = %path.display(), length, end, "cutting value log bytes past the committed end");
            let file = self
                .file(topic, partition)
                .map_err(|e| self.error(&path, e))?;
            file.set_len(end).map_err(|e| self.error(&path, e))?;
        }
        Ok(())
    }

    /// Writes `value` at `offset` of a partition's file; returns where the next value
    /// starts.
    pub(crate) fn write(
        &self,
        topic: &str,
        partition: u32,
        offset: u64,
        value: &[u8],
    ) -> std::io::Result<u64> {
        let length = u32::try_from(value.len()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "value over 4 GiB")
        })?;
        let mut record = Vec::with_capacity(HEADER + value.len());
        record.extend_from_slice(&length.to_be_bytes());
        record.extend_from_slice(&crc32fast::hash(value).to_be_bytes());
        record.extend_from_slice(value);
        self.file(topic, partition)?.write_all_at(&record, offset)?;
        Ok(offset + record.len() as u64)
    }

    /// The value written at `offset` of a partition's file, its checksum verified.
    pub(crate) fn read(&self, topic: &str, partition: u32, offset: u64) -> Result<Vec<u8>> {
        let path = || self.path(topic, partition);
        let file = self
            .file(topic, partition)
            .map_err(|e| self.error(&path(), e))?;
        let mut header = [0u8; HEADER];
        file.read_exact_at(&mut header, offset)
            .map_err(|e| self.error(&path(), format!("reading at {offset}: {e}")))?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let mut value = vec![0u8; length];
        file.read_exact_at(&mut value, offset + HEADER as u64)
            .map_err(|e| self.error(&path(), format!("reading at {offset}: {e}")))?;
        if crc32fast::hash(&value) != crc {
            return Err(self.error(&path(), format!("checksum mismatch at {offset}")));
        }
        Ok(value)
    }

    /// Feeds the first `end` bytes of a partition's file to `hasher`.
    pub(crate) fn hash_into(
        &self,
        hasher: &mut sha2::Sha256,
        topic: &str,
        partition: u32,
        end: u64,
    ) -> Result<()> {
        use sha2::Digest;
        if end == 0 {
            return Ok(());
        }
        let path = self.path(topic, partition);
        let file = self
            .file(topic, partition)
            .map_err(|e| self.error(&path, e))?;
        let mut buffer = vec![0u8; 1 << 20];
        let mut at = 0;
        while at < end {
            let take = buffer.len().min((end - at) as usize);
            file.read_exact_at(&mut buffer[..take], at)
                .map_err(|e| self.error(&path, e))?;
            hasher.update(&buffer[..take]);
            at += take as u64;
        }
        Ok(())
    }

    /// Bytes of every value file of the projection (0 before the first write).
    pub(crate) fn bytes(&self) -> Result<u64> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(self.error(&self.dir, e.to_string())),
        };
        let mut total = 0;
        for entry in entries {
            let length = entry.and_then(|entry| entry.metadata()).map(|m| m.len());
            total += length.map_err(|e| self.error(&self.dir, e.to_string()))?;
        }
        Ok(total)
    }

    /// Writes the files' data to disk.
    pub(crate) fn sync(&self) -> Result<()> {
        let files: Vec<Arc<File>> = self
            .files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .cloned()
            .collect();
        for file in files {
            file.sync_data()
                .map_err(|e| self.error(&self.dir, e.to_string()))?;
        }
        Ok(())
    }

    fn error(&self, path: &Path, why: impl std::fmt::Display) -> Error {
        Error::Values(format!("{}: {why}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_reads_back_and_a_flipped_byte_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let values = ValueLog::new(dir.path());
        let next = values.write("t", 0, 0, b"first").unwrap();
        assert_eq!(next, (HEADER + 5) as u64);
        let end = values.write("t", 0, next, b"second").unwrap();
        assert_eq!(values.read("t", 0, next).unwrap(), b"second");
        assert_eq!(values.read("t", 0, 0).unwrap(), b"first");

        let path = dir.path().join("values").join("t.0");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[end as usize - 1] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let error = values.read("t", 0, next).unwrap_err().to_string();
        assert!(error.contains("checksum mismatch"), "{error}");
    }

    #[test]
    fn its_bytes_are_every_partition_file_together() {
        let dir = tempfile::tempdir().unwrap();
        let values = ValueLog::new(dir.path());
        assert_eq!(values.bytes().unwrap(), 0, "nothing written yet");
        let next = values.write("t", 0, 0, b"first").unwrap();
        values.write("t", 0, next, b"second").unwrap();
        values.write("t", 1, 0, b"third").unwrap();
        assert_eq!(values.bytes().unwrap(), (3 * HEADER + 5 + 6 + 5) as u64);
    }

    #[test]
    fn recovery_cuts_an_uncommitted_tail_and_refuses_a_short_file() {
        let dir = tempfile::tempdir().unwrap();
        let values = ValueLog::new(dir.path());
        let committed = values.write("t", 3, 0, b"kept").unwrap();
        values.write("t", 3, committed, b"uncommitted").unwrap();

        let reopened = ValueLog::new(dir.path());
        reopened.recover("t", 3, committed).unwrap();
        let path = dir.path().join("values").join("t.3");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), committed);
        assert_eq!(reopened.read("t", 3, 0).unwrap(), b"kept");

        let error = reopened
            .recover("t", 3, committed + 1)
            .unwrap_err()
            .to_string();
        assert!(error.contains("rebuild this projection"), "{error}");
        reopened.recover("t", 4, 0).unwrap();
    }
}
