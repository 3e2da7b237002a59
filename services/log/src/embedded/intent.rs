//! The intent of the group commit being written: the partitions it extends, each from
//! which offset to which. The writer puts it in `DIR/group-intent` before it writes any
//! record of a group. Recovery reads it, and when the group did not reach every one of
//! its partitions (the process died between two partitions' writes), cuts the group
//! from all of them: no part of an append that was never acknowledged survives a crash,
//! so a batch of statements spread over several partitions is all there or not at all.
//!
//! One slot, overwritten by each group: only the last group can be incomplete, since
//! the writer writes and fsyncs a group before it starts the next. The slot is not
//! fsynced. It guards against the process dying, whose written pages the kernel keeps;
//! after a power loss the slot may be older than pages of the group that reached the
//! disk, and part of a group that was never acknowledged can then remain (nothing that
//! was acknowledged is lost either way).
//!
//! Layout: `magic "LLGI" | crc32(body): u32 LE | body_len: u32 LE | body`, body = a
//! `u32 LE` count of extents, each `topic_len: u16 LE | topic | partition: u32 LE |
//! start: u64 LE | end: u64 LE`.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

const MAGIC: &[u8; 4] = b"LLGI";
const HEADER_BYTES: usize = 12;

/// The slot's file name in the log directory.
pub(crate) const FILE_NAME: &str = "group-intent";

/// One partition a group extends: its records get offsets `start..end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Extent {
    pub topic: String,
    pub partition: u32,
    pub start: u64,
    pub end: u64,
}

/// The slot, open for the writer.
pub(crate) struct IntentSlot {
    path: PathBuf,
    file: File,
}

impl IntentSlot {
    /// Opens (or creates) the slot in the log directory `dir`.
    pub(crate) fn open(dir: &Path) -> Result<IntentSlot> {
        let path = dir.join(FILE_NAME);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        Ok(IntentSlot { path, file })
    }

    /// Records that the next group writes `extents`.
    pub(crate) fn write(&self, extents: &[Extent]) -> Result<()> {
        self.file
            .write_all_at(&encode(extents), 0)
            .map_err(|e| Error::io(format!("writing {}", self.path.display()), e))
    }
}

fn encode(extents: &[Extent]) -> Vec<u8> {
    let mut body = Vec::with_capacity(4 + extents.len() * 40);
    body.extend_from_slice(&(extents.len() as u32).to_le_bytes());
    for extent in extents {
        body.extend_from_slice(&(extent.topic.len() as u16).to_le_bytes());
        body.extend_from_slice(extent.topic.as_bytes());
        body.extend_from_slice(&extent.partition.to_le_bytes());
        body.extend_from_slice(&extent.start.to_le_bytes());
        body.extend_from_slice(&extent.end.to_le_bytes());
    }
    let mut out = Vec::with_capacity(HEADER_BYTES + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The last group's extents, or `None` when no group was ever written (or the slot is
/// unreadable: the writer writes it whole before any record of its group, so a slot
/// that does not check out belongs to a group none of whose records were written).
pub(crate) fn read(dir: &Path) -> Result<Option<Vec<Extent>>> {
    let path = dir.join(FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    Ok(decode(&bytes))
}

fn decode(bytes: &[u8]) -> Option<Vec<Extent>> {
    if bytes.get(..4)? != MAGIC {
        return None;
    }
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    let len = u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?) as usize;
    let body = bytes.get(HEADER_BYTES..HEADER_BYTES + len)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let mut at = 0;
    let mut take = |n: usize| {
        let part = body.get(at..at + n);
        at += n;
        part
    };
    let count = u32::from_le_bytes(take(4)?.try_into().ok()?);
    let mut extents = Vec::new();
    for _ in 0..count {
        let topic_len = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
        let topic = String::from_utf8(take(topic_len)?.to_vec()).ok()?;
        let partition = u32::from_le_bytes(take(4)?.try_into().ok()?);
        let start = u64::from_le_bytes(take(8)?.try_into().ok()?);
        let end = u64::from_le_bytes(take(8)?.try_into().ok()?);
        extents.push(Extent {
            topic,
            partition,
            start,
            end,
        });
    }
    Some(extents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extents() -> Vec<Extent> {
        vec![
            Extent {
                topic: "statements".into(),
                partition: 0,
                start: 10,
                end: 12,
            },
            Extent {
                topic: "statements".into(),
                partition: 3,
                start: 7,
                end: 9,
            },
        ]
    }

    #[test]
    fn a_written_intent_reads_back_and_a_shorter_one_overwrites_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        let slot = IntentSlot::open(dir.path()).unwrap();
        slot.write(&extents()).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(extents()));
        slot.write(&extents()[..1]).unwrap();
        assert_eq!(read(dir.path()).unwrap().unwrap(), extents()[..1]);
    }

    #[test]
    fn a_damaged_slot_reads_as_no_intent() {
        let encoded = encode(&extents());
        for at in [0, 5, 13, encoded.len() - 1] {
            let mut damaged = encoded.clone();
            damaged[at] ^= 0x01;
            assert_eq!(decode(&damaged), None, "flipped byte {at}");
        }
        assert_eq!(decode(&encoded[..encoded.len() - 1]), None);
    }
}
