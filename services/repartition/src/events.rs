//! Building the learner events of a batch the statement store has folded: a
//! `LearnerStatement` per submission it accepted and has not voided, with its
//! competencies resolved, and the take-backs of the batch's voiding claims (in
//! `voiding`); each in an envelope keyed by the learner.

use crate::{facts, Error, Inner, Result};
use learnlog_log::{Record, StoredRecord};
use learnlog_projector_replicated::statements::Lookup;
use learnlog_proto::v1::{envelope::Event, Envelope, StatementSubmitted};
use learnlog_proto::Message;
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

impl Inner {
    /// The learner events of a batch of `statements` records the store has folded (and
    /// whose voiding statements it has folded too).
    pub(crate) fn learner_events(
        &self,
        partition: u32,
        records: &[StoredRecord],
    ) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for record in records {
            let Ok(envelope) = Envelope::decode(record.value.as_slice()) else {
                continue;
            };
            let tenant = &envelope.tenant;
            let event = match &envelope.event {
                Some(Event::StatementSubmitted(submitted)) => {
                    self.learner_statement_record(tenant, submitted, partition, record.offset)?
                }
                Some(Event::StatementVoided(claim)) => {
                    self.taken_back(tenant, claim, partition, record.offset)?
                }
                _ => None,
            };
            out.extend(event);
        }
        Ok(out)
    }

    /// The `LearnerStatement` of the submission at `partition`/`offset`: none unless the
    /// store accepted it and has not voided it already (then it is never re-published).
    fn learner_statement_record(
        &self,
        tenant: &str,
        submitted: &StatementSubmitted,
        partition: u32,
        offset: u64,
    ) -> Result<Option<Record>> {
        let Ok(id) = Uuid::parse_str(&submitted.statement_id) else {
            return Ok(None);
        };
        // read from the store (the submission's JSON may be sealed for its learner),
        // once: the lookup tells whether it is voided too
        let lookup = (self.reader.lookup(tenant, id)).map_err(|e| Error::Reader(e.to_string()))?;
        let Lookup::Found(stored) = lookup else {
            return Ok(None);
        };
        if (stored.partition, stored.offset) != (partition, offset) {
            return Ok(None);
        }
        let Ok(statement) = serde_json::from_slice(&stored.json) else {
            return Ok(None);
        };
        let Some(mut facts) = facts::learner_statement(&statement) else {
            return Ok(None);
        };
        facts.source_partition = partition;
        facts.source_offset = offset;
        if facts.stored_micros == 0 {
            facts.stored_micros = submitted.stored_micros;
        }
        facts.competency_ids = self
            .resolver
            .competencies(tenant, &statement, &facts.activity_id, &facts.category_ids)
            .map_err(Error::Reader)?;
        let key = facts.learner_id.clone();
        Ok(Some(learner_record(
            tenant,
            key,
            Event::LearnerStatement(facts),
        )))
    }

    /// True when the store keeps the submission at `partition`/`offset` as `id`. Reads
    /// only the id's position, not the statement: this is asked of every submission
    /// of a batch, before [`Inner::learner_events`] reads the ones it publishes.
    pub(crate) fn accepted_here(
        &self,
        tenant: &str,
        id: Uuid,
        partition: u32,
        offset: u64,
    ) -> Result<bool> {
        let position =
            (self.reader.position(tenant, id)).map_err(|e| Error::Reader(e.to_string()))?;
        Ok(position.is_some_and(|at| (at.partition, at.offset) == (partition, offset)))
    }

    pub(crate) fn is_voided(&self, tenant: &str, id: Uuid) -> Result<bool> {
        let lookup = self
            .reader
            .lookup(tenant, id)
            .map_err(|e| Error::Reader(e.to_string()))?;
        Ok(matches!(lookup, Lookup::Voided(_)))
    }
}

/// A `learner-events` record: `event` in an envelope of `tenant`, keyed by `key`.
pub(crate) fn learner_record(tenant: &str, key: String, event: Event) -> Record {
    let envelope = Envelope {
        event_id: Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: key.clone(),
        produced_at_micros: now_micros(),
        event: Some(event),
    };
    Record {
        key: key.into_bytes(),
        value: envelope.encode_to_vec(),
    }
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
