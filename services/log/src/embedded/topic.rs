//! Topics of the embedded log: name rules, the `meta` file and durable creation.
//!
//! Layout: `DIR/topics/<topic>/meta` holds `partitions=<n>`; partition `p` lives in
//! `DIR/topics/<topic>/<p>/`. A topic exists once its `meta` file does: it is written
//! last (temp file, fsync, rename, fsync of the directory), so a crash mid-creation leaves
//! a directory without `meta` that is ignored on open and completed by the next
//! `ensure_topic`.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use super::partition::Partition;
use super::recovery::recover_partition;
use super::segment::{self, Segment};
pub(crate) use crate::topic_rules::{validate_name, validate_partition_count};
use crate::{Error, Result};

#[derive(Debug)]
pub(crate) struct Topic {
    pub name: String,
    pub partitions: Vec<Partition>,
}

impl Topic {
    pub(crate) fn partition(&self, partition: u32) -> Result<&Partition> {
        self.partitions
            .get(partition as usize)
            .ok_or_else(|| Error::UnknownPartition {
                topic: self.name.clone(),
                partition,
                partitions: self.partitions.len() as u32,
            })
    }

    pub(crate) fn partition_count(&self) -> u32 {
        self.partitions.len() as u32
    }
}

/// Reads a topic's partition count, or `None` if the topic was never completely created.
pub(crate) fn read_meta(topic_dir: &Path) -> Result<Option<u32>> {
    let path = topic_dir.join("meta");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let corrupt = || Error::Corrupt {
        path: path.clone(),
        position: 0,
        reason: "expected partitions=<count>".to_owned(),
    };
    let count = text
        .trim()
        .strip_prefix("partitions=")
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(corrupt)?;
    validate_partition_count(count).map_err(|_| corrupt())?;
    Ok(Some(count))
}

/// Creates a topic's directories, first segments and `meta`, durably.
pub(crate) fn create(topics_dir: &Path, name: &str, partitions: u32, fsync: bool) -> Result<Topic> {
    let topic_dir = topics_dir.join(name);
    create_dir(&topic_dir)?;
    let mut list = Vec::with_capacity(partitions as usize);
    for id in 0..partitions {
        let dir = topic_dir.join(id.to_string());
        create_dir(&dir)?;
        if !dir.join(segment::file_name(0)).exists() {
            let first = Segment::create(&dir, 0)?;
            if fsync {
                first
                    .file
                    .sync_all()
                    .map_err(|e| Error::io(format!("syncing {}", first.path.display()), e))?;
                sync_dir(&dir)?;
            }
        }
        list.push(recover_partition(dir, fsync)?);
    }
    let temp = topic_dir.join("meta.tmp");
    let mut file =
        File::create(&temp).map_err(|e| Error::io(format!("creating {}", temp.display()), e))?;
    file.write_all(format!("partitions={partitions}\n").as_bytes())
        .map_err(|e| Error::io(format!("writing {}", temp.display()), e))?;
    if fsync {
        file.sync_all()
            .map_err(|e| Error::io(format!("syncing {}", temp.display()), e))?;
    }
    let meta = topic_dir.join("meta");
    fs::rename(&temp, &meta)
        .map_err(|e| Error::io(format!("renaming to {}", meta.display()), e))?;
    if fsync {
        sync_dir(&topic_dir)?;
        sync_dir(topics_dir)?;
    }
    Ok(Topic {
        name: name.to_owned(),
        partitions: list,
    })
}

fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))
}

/// Makes the directory's entries (new files, renames) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("syncing directory {}", dir.display()), e))
}
