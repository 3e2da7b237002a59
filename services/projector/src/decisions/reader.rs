//! Reading the decisions projection: a learner's record and the activities aligned to
//! a competency.

use super::record::{CatalogEntry, DecisionRecord};
use super::{catalog_prefix, CATALOG, LEARNERS};
use crate::learners::learner_key;
use crate::{Error, Result};
use learnlog_decisions::Activity;
use uuid::Uuid;

/// Most activities listed per competency.
pub const MAX_CATALOG_ACTIVITIES: usize = 50;

/// Reads the decisions projection. Cheap to clone.
#[derive(Clone)]
pub struct DecisionReader {
    learners: sled::Tree,
    catalog: sled::Tree,
}

impl DecisionReader {
    pub fn new(db: &sled::Db) -> Result<Self> {
        Ok(Self {
            learners: db.open_tree(LEARNERS)?,
            catalog: db.open_tree(CATALOG)?,
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

    /// Activities seen aligned to `competency`, by id, at most
    /// [`MAX_CATALOG_ACTIVITIES`].
    pub fn activities(&self, tenant: &str, competency: &str) -> Result<Vec<Activity>> {
        let prefix = catalog_prefix(tenant, competency);
        self.catalog
            .scan_prefix(&prefix)
            .take(MAX_CATALOG_ACTIVITIES)
            .map(|entry| {
                let (key, value) = entry?;
                let id = String::from_utf8(key[prefix.len()..].to_vec())
                    .map_err(|_| Error::Corrupt("catalog key".into()))?;
                let entry: CatalogEntry = serde_json::from_slice(&value)
                    .map_err(|e| Error::Corrupt(format!("catalog entry: {e}")))?;
                Ok(Activity {
                    id,
                    activity_type: entry.activity_type,
                    modality: entry.modality,
                })
            })
            .collect()
    }
}
