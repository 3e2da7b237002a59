//! Reading the decisions projection: a learner's record.

use super::record::DecisionRecord;
use super::LEARNERS;
use learnlog_projection::Projection;
use learnlog_projector::learners::learner_key;
use learnlog_projector::{Error, Result};
use uuid::Uuid;

/// Reads the decisions projection. Cheap to clone.
#[derive(Clone)]
pub struct DecisionReader {
    learners: learnlog_projection::StoreTree,
}

impl DecisionReader {
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            learners: projection.tree(LEARNERS),
        })
    }

    /// The learner's record; empty when nothing was folded about them.
    pub fn learner(&self, tenant: &str, learner: Uuid) -> Result<DecisionRecord> {
        match self.learners.get(learner_key(tenant, learner))? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::Corrupt(format!("decision record of {learner}: {e}"))),
            None => Ok(DecisionRecord::default()),
        }
    }
}
