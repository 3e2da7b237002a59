//! Recovery on open: rebuilds each partition's segment chain and sparse index from its
//! files, truncates a torn tail, and cuts the last group commit from every partition
//! when it did not reach all of them (see [`super::intent`]).
//!
//! The writer fsyncs a segment completely before it creates the next one, and
//! acknowledges records only after their segment is fsync'd. So only the last segment of
//! a partition can hold unacknowledged bytes: a torn or invalid frame there (and
//! everything after it) was never acknowledged and is cut off. An invalid frame in an
//! earlier segment, a gap in the offset chain, or a segment that does not start where
//! its predecessor ended is damage to acknowledged data and fails the open with
//! [`Error::Corrupt`] rather than silently dropping records.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::frame::{FrameReader, Scan};
use super::intent::{self, Extent};
use super::partition::Partition;
use super::segment::{self, Segment};
use super::topic::{self, Topic};
use crate::{Error, Result};

/// Bytes fetched per `pread` while scanning segments.
const SCAN_CHUNK_BYTES: usize = 1024 * 1024;

/// Loads every completely created topic under `topics_dir` of the log directory
/// `log_dir`, without any part of a group commit the process died in the middle of.
pub(crate) fn load_topics(
    log_dir: &Path,
    topics_dir: &Path,
    fsync: bool,
) -> Result<HashMap<String, Arc<Topic>>> {
    let mut topics = load_partitions(topics_dir, fsync)?;
    if let Some(extents) = intent::read(log_dir)? {
        cut_incomplete_group(&mut topics, &extents, fsync)?;
    }
    Ok(topics
        .into_iter()
        .map(|(name, partitions)| (name.clone(), Arc::new(Topic { name, partitions })))
        .collect())
}

/// When the last group did not reach the end of every partition it extends, cuts it
/// from those it reached: it was never acknowledged (the writer answers after the whole
/// group is written and synced).
fn cut_incomplete_group(
    topics: &mut HashMap<String, Vec<Partition>>,
    extents: &[Extent],
    fsync: bool,
) -> Result<()> {
    let next_offset = |topics: &HashMap<String, Vec<Partition>>, extent: &Extent| {
        topics
            .get(&extent.topic)
            .and_then(|partitions| partitions.get(extent.partition as usize))
            .map(|partition| partition.segments().next_offset())
    };
    let incomplete = extents
        .iter()
        .any(|extent| next_offset(topics, extent).is_some_and(|next| next < extent.end));
    if !incomplete {
        return Ok(());
    }
    for extent in extents {
        let Some(next) = next_offset(topics, extent) else {
            continue;
        };
        if next <= extent.start {
            continue;
        }
        let partitions = topics.get_mut(&extent.topic).expect("looked up above");
        let slot = &mut partitions[extent.partition as usize];
        tracing::warn!(
            topic = %extent.topic,
            partition = extent.partition,
            dropped_records = next - extent.start,
            "cut the records of an append the process died in the middle of \
             (it never reached every partition, and was never acknowledged)"
        );
        cut_partition(slot, extent.start, fsync)?;
        *slot = recover_partition(slot.dir.clone(), fsync)?;
    }
    Ok(())
}

/// Removes every record of `partition` from offset `start` on, in its files: later
/// segments are deleted, the one holding `start` is truncated before it.
fn cut_partition(partition: &Partition, start: u64, fsync: bool) -> Result<()> {
    let segments = partition.segments();
    for segment in segments.list.iter().rev() {
        if segment.next_offset <= start {
            break;
        }
        let path = &segment.path;
        if segment.base >= start && segment.base > 0 {
            fs::remove_file(path)
                .map_err(|e| Error::io(format!("removing {}", path.display()), e))?;
            continue;
        }
        let mut reader = FrameReader::new(
            &segment.file,
            segment.locate(start),
            segment.size,
            SCAN_CHUNK_BYTES,
        );
        let position = loop {
            let scan = reader
                .next_frame()
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            match scan {
                Scan::Frame(frame) if frame.offset == start => break frame.position,
                Scan::Frame(_) => continue,
                Scan::End | Scan::Invalid { .. } => {
                    return Err(Error::Corrupt {
                        path: path.clone(),
                        position: reader.position(),
                        reason: format!("offset {start} of the last group is not in the segment"),
                    })
                }
            }
        };
        segment
            .file
            .set_len(position)
            .map_err(|e| Error::io(format!("truncating {}", path.display()), e))?;
        if fsync {
            segment
                .file
                .sync_all()
                .map_err(|e| Error::io(format!("syncing {}", path.display()), e))?;
        }
    }
    if fsync {
        super::topic::sync_dir(&partition.dir)?;
    }
    Ok(())
}

/// Every completely created topic's partitions, by topic name.
fn load_partitions(topics_dir: &Path, fsync: bool) -> Result<HashMap<String, Vec<Partition>>> {
    let mut topics = HashMap::new();
    let entries = fs::read_dir(topics_dir)
        .map_err(|e| Error::io(format!("listing {}", topics_dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing {}", topics_dir.display()), e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let dir = entry.path();
        if !dir.is_dir() || topic::validate_name(&name).is_err() {
            continue;
        }
        let Some(count) = topic::read_meta(&dir)? else {
            tracing::warn!(topic = %name, "ignored a topic whose creation did not finish");
            continue;
        };
        let partitions = (0..count)
            .map(|id| recover_partition(dir.join(id.to_string()), fsync))
            .collect::<Result<Vec<_>>>()?;
        topics.insert(name, partitions);
    }
    Ok(topics)
}

/// Rebuilds one partition from its directory, truncating a torn tail of its last segment.
pub(crate) fn recover_partition(dir: PathBuf, fsync: bool) -> Result<Partition> {
    let mut bases = Vec::new();
    let entries =
        fs::read_dir(&dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        if let Some(base) = entry
            .file_name()
            .to_str()
            .and_then(segment::parse_file_name)
        {
            bases.push(base);
        }
    }
    bases.sort_unstable();
    if bases.first() != Some(&0) {
        return Err(Error::Corrupt {
            path: dir.join(segment::file_name(0)),
            position: 0,
            reason: "the partition's first segment is missing".to_owned(),
        });
    }
    let last = bases.len() - 1;
    let mut list = Vec::with_capacity(bases.len());
    let mut expected = 0;
    for (i, base) in bases.into_iter().enumerate() {
        let path = dir.join(segment::file_name(base));
        if base != expected {
            return Err(Error::Corrupt {
                path,
                position: 0,
                reason: format!(
                    "segment starts at offset {base} but the previous one ends at {expected}"
                ),
            });
        }
        let mut segment = Segment::open(path, base)?;
        scan_segment(&mut segment, i == last, fsync)?;
        expected = segment.next_offset;
        list.push(segment);
    }
    Ok(Partition::new(dir, list))
}

/// Reads every frame of a segment into its index; cuts an invalid tail if it is the last.
fn scan_segment(segment: &mut Segment, is_last: bool, fsync: bool) -> Result<()> {
    let file = segment.file.clone();
    let path = segment.path.clone();
    let length = file
        .metadata()
        .map_err(|e| Error::io(format!("reading metadata of {}", path.display()), e))?
        .len();
    let mut reader = FrameReader::new(&file, 0, length, SCAN_CHUNK_BYTES);
    loop {
        let scan = reader
            .next_frame()
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let (position, reason) = match scan {
            Scan::End => return Ok(()),
            Scan::Frame(frame) if frame.offset == segment.next_offset => {
                segment.note_record(frame.offset, frame.len);
                continue;
            }
            Scan::Frame(frame) => (
                frame.position,
                format!(
                    "found offset {} where {} belongs",
                    frame.offset, segment.next_offset
                ),
            ),
            Scan::Invalid { position, reason } => (position, reason.to_owned()),
        };
        if !is_last {
            return Err(Error::Corrupt {
                path,
                position,
                reason,
            });
        }
        tracing::warn!(
            path = %path.display(),
            position,
            dropped_bytes = length - position,
            %reason,
            "truncated the unacknowledged tail of a segment"
        );
        file.set_len(position)
            .map_err(|e| Error::io(format!("truncating {}", path.display()), e))?;
        if fsync {
            file.sync_all()
                .map_err(|e| Error::io(format!("syncing {}", path.display()), e))?;
        }
        return Ok(());
    }
}
