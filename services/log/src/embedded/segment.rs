//! One segment file: its name, its open file and the in-memory sparse index from offset
//! to byte position.
//!
//! A segment is named by the offset of its first record (`<20-digit base>.log`) and holds
//! frames (see [`super::frame`]) back to back. It is written positionally (`pwrite` at
//! its known size), never through a shared cursor, so a truncated tail is simply
//! overwritten by the next append.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Error, Result};

/// An index entry is added when this many bytes have been written since the last one.
const INDEX_INTERVAL_BYTES: u64 = 4096;

/// The file name of the segment whose first record has offset `base`.
pub(crate) fn file_name(base: u64) -> String {
    format!("{base:020}.log")
}

/// The base offset of a segment file name, or `None` for any other file.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".log")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An open segment file and what is known about its records.
#[derive(Debug)]
pub(crate) struct Segment {
    /// Offset of the first record (also the file name).
    pub base: u64,
    pub path: PathBuf,
    pub file: Arc<File>,
    /// Bytes of whole records written (durable or not yet).
    pub size: u64,
    /// Offset the next record written here gets.
    pub next_offset: u64,
    /// Sparse index: (offset, byte position), ascending; the first record is always in it.
    index: Vec<(u64, u64)>,
}

impl Segment {
    /// Creates an empty segment file; the caller fsyncs the directory.
    pub(crate) fn create(dir: &Path, base: u64) -> Result<Segment> {
        let path = dir.join(file_name(base));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(format!("creating segment {}", path.display()), e))?;
        Ok(Segment::new(base, path, file))
    }

    /// Opens an existing segment file for recovery; it starts out empty in memory and
    /// [`Segment::note_record`] adds each valid record found.
    pub(crate) fn open(path: PathBuf, base: u64) -> Result<Segment> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("opening segment {}", path.display()), e))?;
        Ok(Segment::new(base, path, file))
    }

    fn new(base: u64, path: PathBuf, file: File) -> Segment {
        Segment {
            base,
            path,
            file: Arc::new(file),
            size: 0,
            next_offset: base,
            index: Vec::new(),
        }
    }

    /// Records that a frame of `len` bytes for `offset` now ends the segment.
    pub(crate) fn note_record(&mut self, offset: u64, len: u64) {
        let indexed_at = self.index.last().map(|&(_, position)| position);
        if indexed_at.is_none_or(|at| self.size - at >= INDEX_INTERVAL_BYTES) {
            self.index.push((offset, self.size));
        }
        self.size += len;
        self.next_offset = offset + 1;
    }

    /// The byte position of the last indexed record at or before `offset`.
    pub(crate) fn locate(&self, offset: u64) -> u64 {
        let after = self.index.partition_point(|&(o, _)| o <= offset);
        after.checked_sub(1).map_or(0, |i| self.index[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_base_offset() {
        assert_eq!(file_name(42), "00000000000000000042.log");
        assert_eq!(parse_file_name("00000000000000000042.log"), Some(42));
        assert_eq!(parse_file_name("42.log"), None);
        assert_eq!(parse_file_name("00000000000000000042.tmp"), None);
    }

    #[test]
    fn the_sparse_index_finds_the_last_entry_at_or_before_an_offset() {
        let file = tempfile::tempfile().unwrap();
        let mut segment = Segment::new(100, PathBuf::from("x"), file);
        for offset in 100..200 {
            segment.note_record(offset, 1000);
        }
        assert_eq!(segment.locate(100), 0);
        assert!(segment.locate(150) <= 50 * 1000);
        assert!(
            segment.locate(150) >= 45 * 1000,
            "index entries are at most ~4 KiB apart"
        );
        assert_eq!(segment.next_offset, 200);
        assert_eq!(segment.size, 100_000);
    }
}
