//! The writer thread and its group commit.
//!
//! Every append is a request on one channel. The thread blocks for the first request,
//! drains whatever else is queued (up to [`MAX_GROUP_BYTES`]), assigns offsets, writes
//! each touched partition's frames with one `pwrite` per segment, fsyncs each touched
//! file once, publishes the new high watermarks and only then answers every request. A
//! segment that fills up is fsync'd before its successor is created (and the directory
//! is fsync'd after), which is what lets recovery treat only the last segment as
//! possibly torn.
//!
//! Before it writes a group's first record, the thread records which partitions the
//! group extends (see [`super::intent`]), so that recovery can cut a group the process
//! died in the middle of from every partition it reached.
//!
//! After a failed write or fsync the thread answers every later append with
//! `Error::WriterFailed`: once fsync has failed the page cache cannot be trusted, and
//! reopening (recovery) is the way back.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::frame::encode_frame;
use super::intent::{Extent, IntentSlot};
use super::segment::Segment;
use super::topic::{sync_dir, Topic};
use crate::stats::Counters;
use crate::{Error, Position, Record, Result};

/// The most record bytes one group commit takes before writing.
const MAX_GROUP_BYTES: usize = 32 * 1024 * 1024;

pub(crate) enum Command {
    Append(AppendRequest),
    Close(oneshot::Sender<()>),
}

pub(crate) struct AppendRequest {
    pub topic: Arc<Topic>,
    /// Each record with the partition its key chose.
    pub records: Vec<(u32, Record)>,
    pub reply: oneshot::Sender<Result<Vec<Position>>>,
}

impl AppendRequest {
    fn bytes(&self) -> usize {
        self.records
            .iter()
            .map(|(_, r)| r.key.len() + r.value.len())
            .sum()
    }
}

pub(crate) struct Writer {
    pub segment_bytes: u64,
    pub fsync: bool,
    pub counters: Arc<Counters>,
    pub intent: IntentSlot,
    /// Crash tests only ([`DIE_AFTER_PARTITION_WRITES`]): a group that writes more
    /// partitions than this aborts the process after writing this many.
    pub die_after_partition_writes: Option<usize>,
}

/// The environment variable of crash tests: when it holds a number N, a group commit
/// that writes more than N partitions aborts the process (no cleanup runs, as with
/// SIGKILL) right after the N-th partition's records are written and before the next.
pub(crate) const DIE_AFTER_PARTITION_WRITES: &str = "LEARNLOG_FAULT_DIE_AFTER_PARTITION_WRITES";

impl Writer {
    /// Serves requests until the channel closes or a `Close` arrives.
    pub(crate) fn run(self, mut requests: mpsc::UnboundedReceiver<Command>) {
        let mut failure: Option<String> = None;
        while let Some(first) = requests.blocking_recv() {
            let mut group = Vec::new();
            let mut bytes = 0;
            let mut close = None;
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Close(reply) => {
                        close = Some(reply);
                        break;
                    }
                    Command::Append(request) => {
                        bytes += request.bytes();
                        group.push(request);
                    }
                }
                if bytes < MAX_GROUP_BYTES {
                    next = requests.try_recv().ok();
                }
            }
            if let Some(reason) = &failure {
                for request in group {
                    let _ = request.reply.send(Err(Error::WriterFailed(reason.clone())));
                }
            } else {
                match self.commit(&group) {
                    Ok(positions) => {
                        for (request, positions) in group.into_iter().zip(positions) {
                            let _ = request.reply.send(Ok(positions));
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, "log write failed; the writer stops accepting appends");
                        let reason = error.to_string();
                        for request in group {
                            let _ = request.reply.send(Err(same_error(&error)));
                        }
                        failure = Some(reason);
                    }
                }
            }
            if let Some(reply) = close {
                let _ = reply.send(());
                return;
            }
        }
    }

    /// Writes and syncs one group; returns each request's positions.
    fn commit(&self, group: &[AppendRequest]) -> Result<Vec<Vec<Position>>> {
        let mut pending: Vec<Pending> = Vec::new();
        let mut slots: HashMap<(*const Topic, u32), usize> = HashMap::new();
        let mut positions = Vec::with_capacity(group.len());
        let mut record_bytes = 0u64;
        for request in group {
            let mut request_positions = Vec::with_capacity(request.records.len());
            for (partition, record) in &request.records {
                let slot = *slots
                    .entry((Arc::as_ptr(&request.topic), *partition))
                    .or_insert_with(|| {
                        pending.push(Pending::new(request.topic.clone(), *partition));
                        pending.len() - 1
                    });
                let offset = pending[slot].push(record);
                record_bytes += (record.key.len() + record.value.len()) as u64;
                request_positions.push(Position {
                    partition: *partition,
                    offset,
                });
            }
            positions.push(request_positions);
        }
        let extents: Vec<Extent> = pending
            .iter()
            .filter_map(|partition| {
                Some(Extent {
                    topic: partition.topic.name.clone(),
                    partition: partition.partition,
                    start: partition.frames.first()?.offset,
                    end: partition.next,
                })
            })
            .collect();
        if !extents.is_empty() {
            self.intent.write(&extents)?;
        }
        let mut to_sync: Vec<(Arc<File>, std::path::PathBuf)> = Vec::new();
        for (written, partition) in pending.iter().enumerate() {
            if self
                .die_after_partition_writes
                .is_some_and(|n| written == n && n > 0)
            {
                tracing::error!(written, "{DIE_AFTER_PARTITION_WRITES}: aborting mid-group");
                std::process::abort();
            }
            self.write(partition, &mut to_sync)?;
        }
        if self.fsync {
            for (file, path) in &to_sync {
                file.sync_data()
                    .map_err(|e| Error::io(format!("syncing {}", path.display()), e))?;
                self.counters.fsynced();
            }
        }
        for partition in &pending {
            partition.topic.partitions[partition.partition as usize].publish(partition.next);
        }
        let records = positions.iter().map(|p| p.len() as u64).sum();
        self.counters.appended(records, record_bytes);
        Ok(positions)
    }

    /// Writes one partition's frames, rolling segments at `segment_bytes`.
    ///
    /// The writer is the only thread that changes a partition's segments, so it holds the
    /// lock only to look at and update them, never across a `pwrite` or fsync: readers
    /// locating an offset are not held up by I/O.
    fn write(
        &self,
        pending: &Pending,
        to_sync: &mut Vec<(Arc<File>, std::path::PathBuf)>,
    ) -> Result<()> {
        let partition = &pending.topic.partitions[pending.partition as usize];
        let frames = &pending.frames;
        let mut i = 0;
        while i < frames.len() {
            let (file, path, size) = {
                let mut segments = partition.segments();
                let active = segments.active();
                (active.file.clone(), active.path.clone(), active.size)
            };
            let mut end = i;
            let mut run = 0;
            while end < frames.len() {
                let len = frames[end].len;
                if size + run > 0 && size + run + len > self.segment_bytes {
                    break;
                }
                run += len;
                end += 1;
            }
            if end == i {
                // The active segment is full: make it durable before its successor exists.
                if self.fsync {
                    self.sync(&file, &path)?;
                }
                to_sync.retain(|(synced, _)| !Arc::ptr_eq(synced, &file));
                let next = Segment::create(&partition.dir, frames[i].offset)?;
                if self.fsync {
                    self.sync(&next.file, &next.path)?;
                    sync_dir(&partition.dir)?;
                    self.counters.fsynced();
                }
                partition.segments().list.push(next);
                continue;
            }
            let start = frames[i].start;
            let stop = frames[end - 1].start + frames[end - 1].len as usize;
            file.write_all_at(&pending.buf[start..stop], size)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            {
                let mut segments = partition.segments();
                let active = segments.active();
                for frame in &frames[i..end] {
                    active.note_record(frame.offset, frame.len);
                }
            }
            if !to_sync.iter().any(|(synced, _)| Arc::ptr_eq(synced, &file)) {
                to_sync.push((file, path));
            }
            i = end;
        }
        Ok(())
    }

    fn sync(&self, file: &File, path: &std::path::Path) -> Result<()> {
        file.sync_data()
            .map_err(|e| Error::io(format!("syncing {}", path.display()), e))?;
        self.counters.fsynced();
        Ok(())
    }
}

/// One partition's frames of a group, encoded back to back.
struct Pending {
    topic: Arc<Topic>,
    partition: u32,
    buf: Vec<u8>,
    frames: Vec<PendingFrame>,
    /// Offset of the next record for this partition.
    next: u64,
}

struct PendingFrame {
    offset: u64,
    start: usize,
    len: u64,
}

impl Pending {
    fn new(topic: Arc<Topic>, partition: u32) -> Pending {
        let next = topic.partitions[partition as usize]
            .segments()
            .next_offset();
        Pending {
            topic,
            partition,
            buf: Vec::new(),
            frames: Vec::new(),
            next,
        }
    }

    fn push(&mut self, record: &Record) -> u64 {
        let offset = self.next;
        let start = self.buf.len();
        encode_frame(&mut self.buf, offset, &record.key, &record.value);
        self.frames.push(PendingFrame {
            offset,
            start,
            len: (self.buf.len() - start) as u64,
        });
        self.next += 1;
        offset
    }
}

/// The error each request of a failed group gets (`std::io::Error` is not `Clone`).
fn same_error(error: &Error) -> Error {
    match error {
        Error::Io { context, source } => Error::Io {
            context: context.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        other => Error::WriterFailed(other.to_string()),
    }
}
