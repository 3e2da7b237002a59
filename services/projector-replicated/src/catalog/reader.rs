//! Reading the activity catalog.

use super::{catalog_prefix, CatalogEntry, ACTIVITIES};
use learnlog_decisions::Activity;
use learnlog_projection::Projection;
use learnlog_projector::{Error, Result};

/// Most activities listed per competency.
pub const MAX_CATALOG_ACTIVITIES: usize = 50;

/// Reads the catalog. Cheap to clone.
#[derive(Clone)]
pub struct CatalogReader {
    activities: learnlog_projection::StoreTree,
}

impl CatalogReader {
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            activities: projection.tree(ACTIVITIES),
        })
    }

    /// Activities seen aligned to `competency`, by id, at most
    /// [`MAX_CATALOG_ACTIVITIES`].
    pub fn activities(&self, tenant: &str, competency: &str) -> Result<Vec<Activity>> {
        let prefix = catalog_prefix(tenant, competency);
        self.activities
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
