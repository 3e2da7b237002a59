//! Which partitions this process answers for. A process running every role owns every
//! partition (`AppState::owned` is `None`); a projector owns what its consumer group
//! assigned it, and answers requests about other partitions with 421 naming the
//! partition, so the api process that routed it can ask the owner instead.

use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;
use learnlog_proto::topics;
use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

pub use learnlog_cluster::PARTITION_HEADER;

/// The partitions a projector owns now (partition `p` of documents, learner-events and
/// the repartitioning of statements). Cheap to clone; shared with the ownership follower.
#[derive(Clone, Debug, Default)]
pub struct OwnedPartitions(Arc<RwLock<BTreeSet<u32>>>);

impl OwnedPartitions {
    /// Adds a partition whose work has started.
    pub fn insert(&self, partition: u32) {
        let mut owned = self.0.write().unwrap_or_else(|p| p.into_inner());
        owned.insert(partition);
        metrics::OWNED_PARTITIONS.set(owned.len() as i64);
    }

    /// Removes a partition before its work stops.
    pub fn remove(&self, partition: u32) {
        let mut owned = self.0.write().unwrap_or_else(|p| p.into_inner());
        owned.remove(&partition);
        metrics::OWNED_PARTITIONS.set(owned.len() as i64);
    }

    pub fn contains(&self, partition: u32) -> bool {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&partition)
    }

    /// The partitions owned now, in order.
    pub fn snapshot(&self) -> BTreeSet<u32> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl AppState {
    /// True when this process answers for `partition`.
    pub fn owns(&self, partition: u32) -> bool {
        self.owned
            .as_ref()
            .is_none_or(|owned| owned.contains(partition))
    }

    /// `Ok` when this process answers for `partition`, 421 naming it otherwise.
    pub fn check_owner(&self, partition: u32) -> Result<(), ApiError> {
        if self.owns(partition) {
            Ok(())
        } else {
            Err(ApiError::NotOwner(partition))
        }
    }

    /// The learner-events partition of `learner` (the repartitioner keys by learner id).
    pub fn learner_partition(&self, learner: Uuid) -> Result<u32, ApiError> {
        Ok(self
            .log
            .partition_for(topics::LEARNER_EVENTS, learner.to_string().as_bytes())?)
    }

    /// `Ok` when this process answers for `learner`'s views, 421 otherwise.
    pub fn check_learner_owner(&self, learner: Uuid) -> Result<(), ApiError> {
        self.check_owner(self.learner_partition(learner)?)
    }
}
