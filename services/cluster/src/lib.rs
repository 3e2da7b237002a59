//! The protocol between learnlog's processes on Kafka (ADR 10), written once for both
//! sides: a projector answers [`OWNERSHIP_PATH`] with an [`Ownership`], and names the
//! owner's partition in [`PARTITION_HEADER`] when it answers 421 for a partition it
//! does not own; an api process reads both to route requests.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where a projector says what it owns.
pub const OWNERSHIP_PATH: &str = "/internal/v1/ownership";

/// The response header of a 421: the partition the request belongs to.
pub const PARTITION_HEADER: &str = "learnlog-partition";

/// What a projector says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    /// The partitions it answers for now (all of them without `--role projector`).
    pub partitions: BTreeSet<u32>,
    /// Partitions of the statements topic: every owner together must cover them.
    pub partition_count: u32,
    /// Whether its projections have caught up with the log as it was at start.
    pub ready: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ownership_answer_reads_back_as_written() {
        let ownership = Ownership {
            partitions: BTreeSet::from([0, 2]),
            partition_count: 4,
            ready: true,
        };
        let text = serde_json::to_string(&ownership).unwrap();
        assert_eq!(
            text,
            r#"{"partitions":[0,2],"partition_count":4,"ready":true}"#
        );
        assert_eq!(serde_json::from_str::<Ownership>(&text).unwrap(), ownership);
    }
}
