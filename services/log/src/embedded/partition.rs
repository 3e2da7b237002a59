//! One partition of the embedded log: its chain of segments, its high watermark, and the
//! read path.
//!
//! The writer thread is the only one that appends to the segments; readers take the lock
//! just long enough to find the segment and index position for an offset, then read with
//! `pread` outside it. The high watermark is published (after fsync) through a
//! `tokio::sync::watch`, which both bounds what readers return and wakes
//! `wait_for_offset`.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use super::frame::{FrameReader, Scan};
use super::segment::Segment;
use crate::{Error, Result, StoredRecord};

/// Bytes fetched per `pread` when serving reads.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Bytes a read of one record fetches at a time: frames before it are skipped by their
/// headers, so a read mostly takes one or two `pread`s of this size.
const READ_ONE_CHUNK_BYTES: usize = 4 * 1024;
/// A read that starts within this many bytes of the end of the active segment is served
/// on the calling task: those bytes were just written, so they are in the page cache and
/// copying them costs tens of microseconds, less than a hop to the blocking pool.
const HOT_TAIL_BYTES: u64 = 128 * 1024;

/// A partition's segments, oldest first; the last one is being appended to.
#[derive(Debug)]
pub(crate) struct Segments {
    pub list: Vec<Segment>,
}

impl Segments {
    /// The offset the next appended record gets.
    pub(crate) fn next_offset(&self) -> u64 {
        self.list.last().map_or(0, |segment| segment.next_offset)
    }

    pub(crate) fn active(&mut self) -> &mut Segment {
        let last = self.list.len() - 1;
        &mut self.list[last]
    }
}

#[derive(Debug)]
pub(crate) struct Partition {
    pub dir: PathBuf,
    segments: Mutex<Segments>,
    /// Number of durable records; only the writer (and recovery) sends.
    high_watermark: watch::Sender<u64>,
}

impl Partition {
    /// A partition over recovered segments (at least one) whose records are all durable.
    pub(crate) fn new(dir: PathBuf, list: Vec<Segment>) -> Partition {
        let segments = Segments { list };
        let durable = segments.next_offset();
        Partition {
            dir,
            segments: Mutex::new(segments),
            high_watermark: watch::Sender::new(durable),
        }
    }

    /// Locks the segment chain. A panic elsewhere while holding the lock leaves the data
    /// as consistent as any crash would, so poisoning is ignored.
    pub(crate) fn segments(&self) -> MutexGuard<'_, Segments> {
        self.segments
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn high_watermark(&self) -> u64 {
        *self.high_watermark.borrow()
    }

    /// Makes records below `offset` visible; called after they are durable.
    pub(crate) fn publish(&self, offset: u64) {
        self.high_watermark.send_if_modified(|current| {
            let advanced = offset > *current;
            if advanced {
                *current = offset;
            }
            advanced
        });
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.high_watermark.subscribe()
    }

    /// Whether a read from `from` touches only the hot tail of the active segment (see
    /// [`HOT_TAIL_BYTES`]), so it may run without `spawn_blocking`.
    pub(crate) fn is_hot(&self, from: u64) -> bool {
        let mut segments = self.segments();
        let active = segments.active();
        from >= active.base && active.size - active.locate(from) <= HOT_TAIL_BYTES
    }

    /// Reads durable records from `from`; see `EventLog::read` for the limits. Blocking.
    pub(crate) fn read(
        &self,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<StoredRecord>> {
        self.read_chunked(from, max_records, max_bytes, READ_CHUNK_BYTES)
    }

    /// The durable record at `offset` (below the high watermark): from the segment's
    /// index entry before it, the frames before it by their headers alone. Blocking.
    pub(crate) fn read_one(&self, offset: u64) -> Result<StoredRecord> {
        let mut records = self.read_chunked(offset, 1, usize::MAX, READ_ONE_CHUNK_BYTES)?;
        // a durable record below the high watermark is always found or reported corrupt
        records.pop().ok_or_else(|| Error::Corrupt {
            path: self.dir.clone(),
            position: 0,
            reason: format!("durable record {offset} is missing"),
        })
    }

    fn read_chunked(
        &self,
        from: u64,
        max_records: usize,
        max_bytes: usize,
        chunk: usize,
    ) -> Result<Vec<StoredRecord>> {
        let end = self.high_watermark();
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut next = from;
        while next < end && out.len() < max_records {
            let (file, path, position, size) = {
                let segments = self.segments();
                let after = segments.list.partition_point(|s| s.base <= next);
                let segment = &segments.list[after.saturating_sub(1)];
                let position = segment.locate(next);
                (
                    segment.file.clone(),
                    segment.path.clone(),
                    position,
                    segment.size,
                )
            };
            let mut reader = FrameReader::new(&file, position, size, chunk);
            reader
                .skip_to(next)
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            let mut progressed = false;
            loop {
                let scan = reader
                    .next_frame()
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                let frame = match scan {
                    Scan::Frame(frame) => frame,
                    // The segment ended: the next record is in the following segment.
                    Scan::End | Scan::Invalid { .. } if progressed => break,
                    Scan::End | Scan::Invalid { .. } => {
                        return Err(Error::Corrupt {
                            path,
                            position: reader.position(),
                            reason: format!("durable record {next} is missing"),
                        })
                    }
                };
                if frame.offset < next {
                    continue;
                }
                if frame.offset != next {
                    return Err(Error::Corrupt {
                        path,
                        position: frame.position,
                        reason: format!("found offset {} where {next} belongs", frame.offset),
                    });
                }
                let size = frame.key.len() + frame.value.len();
                if !out.is_empty() && bytes + size > max_bytes {
                    return Ok(out);
                }
                bytes += size;
                out.push(StoredRecord {
                    offset: frame.offset,
                    key: frame.key,
                    value: frame.value,
                });
                next += 1;
                progressed = true;
                if next >= end || out.len() >= max_records {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }
}
