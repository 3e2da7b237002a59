//! The rules every backend applies to topic names and partition counts before touching
//! storage, so that a name accepted by the embedded log is one Kafka accepts too.

use crate::{Error, Result, MAX_PARTITIONS};

/// Checks Kafka's topic naming rule, which also keeps names safe as directory names.
pub(crate) fn validate_name(topic: &str) -> Result<()> {
    let invalid = |rule| {
        Err(Error::InvalidTopic {
            topic: topic.to_owned(),
            rule,
        })
    };
    if topic.is_empty() || topic.len() > 249 {
        return invalid("must be 1 to 249 characters long");
    }
    if topic == "." || topic == ".." {
        return invalid("must not be \".\" or \"..\"");
    }
    if !topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return invalid("may contain only ASCII letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

/// Checks that a partition count is between 1 and [`MAX_PARTITIONS`].
pub(crate) fn validate_partition_count(partitions: u32) -> Result<()> {
    if partitions == 0 || partitions > MAX_PARTITIONS {
        return Err(Error::InvalidPartitionCount {
            requested: partitions,
            max: MAX_PARTITIONS,
        });
    }
    Ok(())
}
