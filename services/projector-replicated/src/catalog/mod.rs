//! The activity catalog: per tenant, the activities seen aligned to each competency
//! (with their type and modality), folded from every partition of `learner-events` by
//! every process, so suggested activities are the same whichever projector answers.
//!
//! Tree: `catalog.activities` (`tenant \0 competency \0 activity` → [`CatalogEntry`] as
//! JSON). Re-published statements write the same entry again.

mod reader;

pub use reader::{CatalogReader, MAX_CATALOG_ACTIVITIES};

use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::modality::modality_of;
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub(crate) const ACTIVITIES: &str = "catalog.activities";

/// An activity seen aligned to a competency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub activity_type: String,
    pub modality: String,
}

pub(crate) fn catalog_prefix(tenant: &str, competency: &str) -> Vec<u8> {
    let mut key = learnlog_projector::tenant_prefix(tenant);
    key.extend_from_slice(competency.as_bytes());
    key.push(0);
    key
}

/// The catalog fold.
#[derive(Debug, Default)]
pub struct CatalogStore;

impl CatalogStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "catalog";
}

impl Fold for CatalogStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::LEARNER_EVENTS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[ACTIVITIES]
    }

    /// No writer waits for the catalog: statements gather into larger batches.
    fn linger(&self, _topic: &str) -> Duration {
        crate::classes::STATEMENTS_LINGER
    }

    /// Statements on an activity aligned to at least one competency.
    fn wants(&self, event: &Envelope) -> bool {
        matches!(&event.event, Some(Event::LearnerStatement(statement))
            if !statement.activity_id.is_empty() && !statement.competency_ids.is_empty())
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let Some(Event::LearnerStatement(statement)) = &event.event else {
            return Ok(Folded::default());
        };
        if statement.activity_id.is_empty() {
            return Ok(Folded::default());
        }
        let modality = modality_of(
            &statement.activity_type,
            &statement.category_ids,
            &statement.verb_id,
        );
        let entry = CatalogEntry {
            activity_type: statement.activity_type.clone(),
            modality: modality.name().to_owned(),
        };
        let value = serde_json::to_vec(&entry)
            .map_err(|e| FoldError::BadEvent(format!("catalog entry: {e}")))?;
        let activities = trees.tree(ACTIVITIES);
        for competency in &statement.competency_ids {
            if !competency.is_empty() && !competency.contains('\0') {
                let mut key = catalog_prefix(&event.tenant, competency);
                key.extend_from_slice(statement.activity_id.as_bytes());
                // most statements are on activities listed already: read, not write
                if activities.get(&key)?.as_deref() != Some(value.as_slice()) {
                    activities.insert(key, value.as_slice())?;
                }
            }
        }
        Ok(Folded::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use learnlog_projector::test_support::FoldHarness;
    use learnlog_proto::v1::LearnerStatement;
    use std::sync::Arc;

    #[tokio::test]
    async fn activities_are_listed_under_every_competency_they_are_aligned_to() {
        let harness = FoldHarness::new(Arc::new(CatalogStore), topics::LEARNER_EVENTS);
        let reader = CatalogReader::new(&harness.projection).unwrap();
        for (activity, activity_type) in [
            ("quiz-2", "http://adlnet.gov/expapi/activities/question"),
            ("film-1", "https://w3id.org/xapi/video/activity-type/video"),
            ("quiz-2", "http://adlnet.gov/expapi/activities/question"),
        ] {
            let statement = LearnerStatement {
                learner_id: uuid::Uuid::new_v4().to_string(),
                activity_id: activity.into(),
                activity_type: activity_type.into(),
                competency_ids: vec!["fractions".into(), "decimals".into()],
                ..LearnerStatement::default()
            };
            harness
                .append("t", activity, 1, Event::LearnerStatement(statement))
                .await;
        }
        let listed = reader.activities("t", "fractions").unwrap();
        let found: Vec<(&str, &str)> = listed
            .iter()
            .map(|a| (a.id.as_str(), a.modality.as_str()))
            .collect();
        assert_eq!(found, [("film-1", "video"), ("quiz-2", "practice")]);
        assert_eq!(reader.activities("t", "decimals").unwrap().len(), 2);
        assert!(reader.activities("other", "fractions").unwrap().is_empty());
    }
}
