//! The repartitioner's checkpoints: per `statements` partition, the next source offset
//! to re-publish, in the sled tree `published` (keyed by the partition number, both
//! big-endian).

use crate::{Error, Result};

/// The tree holding the checkpoints.
pub(crate) const TREE: &str = "published";

fn checkpoint_key(partition: u32) -> [u8; 4] {
    partition.to_be_bytes()
}

/// The next source offset to re-publish in `partition`: 0 when none is recorded.
pub(crate) fn load(checkpoints: &sled::Tree, partition: u32) -> Result<u64> {
    Ok(match checkpoints.get(checkpoint_key(partition))? {
        Some(bytes) => {
            u64::from_be_bytes(bytes.as_ref().try_into().map_err(|_| {
                Error::Reader(format!("corrupt checkpoint of partition {partition}"))
            })?)
        }
        None => 0,
    })
}

/// Records that everything before `next` in `partition` is re-published.
pub(crate) fn save(checkpoints: &sled::Tree, partition: u32, next: u64) -> Result<()> {
    checkpoints.insert(checkpoint_key(partition), &next.to_be_bytes())?;
    Ok(())
}
