//! Each learner's evidence in statement-timestamp order, kept so that evidence that
//! arrives late can be put in its place.
//!
//! Re-keying by learner keeps order only per source partition: two statements of one
//! learner posted together may reach `learner-events` in either order, and LMSs send
//! offline work late. The fold appends evidence that is not older than the learner's
//! last; anything older is inserted where its `timestamp` puts it and the learner's
//! states are folded again from the start (with the parameters in force), so a view
//! depends on the evidence, not on the order it arrived in.
//!
//! Stored in chunks of [`CHUNK`] entries under `learner key + chunk number (4, BE)`, so
//! an append rewrites one small value and no scan is needed inside a fold.

/// Entries per stored chunk.
pub const CHUNK: usize = 64;

use super::wire::{put_str, Cursor};
use learnlog_projection::{FoldError, FoldTree};

/// One piece of evidence as the history keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub timestamp_micros: i64,
    pub correct: bool,
    pub statement_id: String,
    pub activity_id: String,
    pub competencies: Vec<String>,
}

/// Encodes a chunk.
pub fn encode(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 96);
    for e in entries {
        out.extend_from_slice(&e.timestamp_micros.to_be_bytes());
        out.push(u8::from(e.correct));
        put_str(&mut out, &e.statement_id);
        put_str(&mut out, &e.activity_id);
        out.extend_from_slice(&(e.competencies.len() as u32).to_be_bytes());
        for c in &e.competencies {
            put_str(&mut out, c);
        }
    }
    out
}

/// Decodes a chunk; `None` when it is corrupt.
pub fn decode(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut cursor = Cursor(bytes);
    let mut entries = Vec::new();
    while !cursor.is_empty() {
        let timestamp_micros = cursor.i64()?;
        let correct = cursor.u8()? == 1;
        let statement_id = cursor.string()?;
        let activity_id = cursor.string()?;
        let n = cursor.u32()? as usize;
        let competencies = (0..n)
            .map(|_| cursor.string())
            .collect::<Option<Vec<_>>>()?;
        entries.push(Entry {
            timestamp_micros,
            correct,
            statement_id,
            activity_id,
            competencies,
        });
    }
    Some(entries)
}

/// Where a late entry goes: after every entry not later than it (arrival order breaks
/// ties).
pub fn insertion_point(entries: &[Entry], timestamp_micros: i64) -> usize {
    entries.partition_point(|e| e.timestamp_micros <= timestamp_micros)
}

/// One learner's stored history inside a fold.
pub(super) struct History<'a> {
    pub tree: FoldTree<'a>,
    pub learner: &'a [u8],
}

impl History<'_> {
    pub fn key(&self, chunk: usize) -> Vec<u8> {
        let mut key = self.learner.to_vec();
        key.extend_from_slice(&(chunk as u32).to_be_bytes());
        key
    }

    pub fn chunk(&self, chunk: usize) -> Result<Vec<Entry>, FoldError> {
        match self.tree.get(self.key(chunk))? {
            Some(bytes) => {
                decode(&bytes).ok_or_else(|| FoldError::BadEvent("corrupt evidence history".into()))
            }
            None => Ok(Vec::new()),
        }
    }

    /// Every entry of a history of `len` entries.
    pub fn load(&self, len: u32) -> Result<Vec<Entry>, FoldError> {
        let mut entries = Vec::with_capacity(len as usize + 1);
        for chunk in 0..(len as usize).div_ceil(CHUNK) {
            entries.extend(self.chunk(chunk)?);
        }
        Ok(entries)
    }

    /// Adds the entry after the `len` entries stored.
    pub fn append(&self, len: u32, entry: Entry) -> Result<(), FoldError> {
        let chunk = len as usize / CHUNK;
        let mut entries = self.chunk(chunk)?;
        entries.push(entry);
        self.tree.insert(self.key(chunk), encode(&entries))?;
        Ok(())
    }

    pub fn remove_chunk(&self, chunk: usize) -> Result<(), FoldError> {
        self.tree.remove(self.key(chunk))?;
        Ok(())
    }

    /// Stores `entries` (the whole history) from chunk `from` on.
    pub fn store(&self, entries: &[Entry], from: usize) -> Result<(), FoldError> {
        for (chunk, entries) in entries.chunks(CHUNK).enumerate().skip(from) {
            self.tree.insert(self.key(chunk), encode(entries))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(t: i64) -> Entry {
        Entry {
            timestamp_micros: t,
            correct: t % 2 == 0,
            statement_id: format!("s{t}"),
            activity_id: "https://example.org/a".into(),
            competencies: vec!["x".into(), "yé".into()],
        }
    }

    #[test]
    fn chunks_round_trip_and_corruption_is_detected() {
        let entries: Vec<Entry> = (0..5).map(entry).collect();
        let bytes = encode(&entries);
        assert_eq!(decode(&bytes).unwrap(), entries);
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[]).unwrap(), vec![]);
    }

    #[test]
    fn late_entries_go_after_their_equals() {
        let entries: Vec<Entry> = [1, 3, 3, 7].into_iter().map(entry).collect();
        assert_eq!(insertion_point(&entries, 0), 0);
        assert_eq!(insertion_point(&entries, 3), 3);
        assert_eq!(insertion_point(&entries, 5), 3);
        assert_eq!(insertion_point(&entries, 9), 4);
    }
}
