//! The voiding follow-up: before a batch is re-published, the voiding statements that
//! matter to it must be folded (accepted or not); a voiding claim whose target was
//! re-published before it takes the target back with a `LearnerStatementVoided`.

use crate::task::IDLE_POLL;
use crate::{facts, Error, Inner, Result};
use learnlog_log::{partition_for_key, Record, StoredRecord};
use learnlog_proto::v1::{envelope::Event, Envelope, LearnerStatementVoided, StatementVoided};
use learnlog_proto::{topics, Message};
use std::collections::BTreeSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

impl Inner {
    /// Waits until the statement store has folded (accepted or not) the voiding
    /// statements that matter to this batch, before anything is decided about their
    /// targets; false when `cancel` fired first.
    pub(crate) async fn voiding_folded(
        &self,
        partition: u32,
        records: &[StoredRecord],
        cancel: &CancellationToken,
    ) -> Result<bool> {
        for voiding_partition in self.voiding_partitions(partition, records)? {
            let end = self
                .log
                .ask_high_watermark(topics::STATEMENTS, voiding_partition)
                .await?;
            while self
                .statements
                .folded(topics::STATEMENTS, voiding_partition)?
                < end
            {
                if cancel.is_cancelled() {
                    return Ok(false);
                }
                let _ = self
                    .statements
                    .wait_folded(topics::STATEMENTS, voiding_partition, end - 1, IDLE_POLL)
                    .await;
            }
        }
        Ok(true)
    }

    /// The `statements` partitions holding the voiding statements that matter to this
    /// batch: those of its voiding claims, and those claiming to void its submissions.
    fn voiding_partitions(
        &self,
        partition: u32,
        records: &[StoredRecord],
    ) -> Result<BTreeSet<u32>> {
        let count = self.published.len() as u32;
        let mut partitions = BTreeSet::new();
        for record in records {
            let Ok(envelope) = Envelope::decode(record.value.as_slice()) else {
                continue;
            };
            let voiding: Vec<Uuid> = match &envelope.event {
                Some(Event::StatementVoided(claim)) => Uuid::parse_str(&claim.voiding_statement_id)
                    .into_iter()
                    .collect(),
                Some(Event::StatementSubmitted(submitted)) => {
                    match Uuid::parse_str(&submitted.statement_id) {
                        Ok(id)
                            if self.accepted_here(
                                &envelope.tenant,
                                id,
                                partition,
                                record.offset,
                            )? =>
                        {
                            self.reader
                                .voiding_claims(&envelope.tenant, id)
                                .map_err(|e| Error::Reader(e.to_string()))?
                        }
                        _ => Vec::new(),
                    }
                }
                _ => Vec::new(),
            };
            for id in voiding {
                partitions.insert(partition_for_key(id.to_string().as_bytes(), count));
            }
        }
        Ok(partitions)
    }

    /// The `LearnerStatementVoided` of a voiding claim at `partition`/`offset`: the
    /// target, when it was re-published before this claim, is taken back.
    pub(crate) fn taken_back(
        &self,
        tenant: &str,
        claim: &StatementVoided,
        partition: u32,
        offset: u64,
    ) -> Result<Option<Record>> {
        let Ok(target) = Uuid::parse_str(&claim.target_statement_id) else {
            return Ok(None);
        };
        let stored = self
            .reader
            .get(tenant, target)
            .map_err(|e| Error::Reader(e.to_string()))?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        if stored.partition != partition
            || stored.offset > offset
            || !self.is_voided(tenant, target)?
        {
            return Ok(None);
        }
        let Ok(statement) = serde_json::from_slice(&stored.json) else {
            return Ok(None);
        };
        let Some(facts) = facts::learner_statement(&statement) else {
            return Ok(None);
        };
        let voided = LearnerStatementVoided {
            learner_id: facts.learner_id.clone(),
            statement_id: facts.statement_id,
            source_partition: partition,
            source_offset: offset,
        };
        Ok(Some(crate::events::learner_record(
            tenant,
            facts.learner_id,
            Event::LearnerStatementVoided(voided),
        )))
    }
}
