//! The statement store: statements by id and in stored order, duplicate and conflict
//! detection, voiding.
//!
//! Submissions are keyed by statement id, so every submission of one id is folded by
//! one partition, in log order: the first one is stored; a later one is a duplicate
//! when [`learnlog_xapi::statements_equivalent`] says so, a conflict otherwise. The
//! writer waiting on a submission reads its outcome: a duplicate or a conflict is
//! recorded; an accepted statement records none (a folded submission without an
//! outcome was accepted), which saves a key per stored statement.
//!
//! Voiding: the API appends a `StatementVoided` event keyed by the *target* id beside
//! the voiding statement. The fold records the claim; the reader confirms it against
//! the stored voiding statement, so the target and the voiding statement may arrive in
//! either order and a rejected voiding statement voids nothing.
//!
//! Bodies: an accepted statement's body is its submission event, read back from the
//! log where the log reads events in place (the embedded log); elsewhere (Kafka) its
//! JSON is appended once to the value log of its partition. Every tree holds only
//! where it is (see `bodies`, `codec`).
//!
//! Erasure: a statement whose actor is a learner arrives sealed with the learner's
//! data key and stays sealed in the log and the value log; it is opened on every read. A
//! `LearnerErased` event (one on every partition) removes the learner's statements of
//! that partition from `by_id`, and what they told about the actor from
//! `agents.persons` (see `erasure`); once the key is destroyed, their bodies and the
//! `by_stored` and index entries left pointing at them read as never stored, and a
//! replay skips their submissions.
//!
//! Queries: the fold maintains one secondary index per filter in the same commit
//! as the statement (see `index`), and [`StatementReader::query`] range-scans them in
//! stored order (see `query`).

mod bodies;
mod codec;
mod erasure;
mod index;
mod query;
mod reader;
mod runs;
mod scan;

pub use codec::{StorePosition, StoredStatement};
pub use index::{own_entries, ref_target, Entry, IndexKind};
pub use query::{Page, StatementQuery, MAX_LIMIT};
pub use reader::{Lookup, StatementReader};

use learnlog_keys::LearnerKeys;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::sealing::{submitted_json, SubmittedJson};
use learnlog_proto::v1::{envelope::Event, statement_outcome::Kind, Envelope, StatementOutcome};
use learnlog_proto::{topics, Message};
use std::sync::Arc;
use uuid::Uuid;

pub(crate) const BY_ID: &str = "statements.by_id";
pub(crate) const BY_STORED: &str = "statements.by_stored";
pub(crate) const VOIDING: &str = "statements.voiding";
pub(crate) const BY_LEARNER: &str = "statements.by_learner";

/// The statement store fold.
pub struct StatementStore {
    /// Opens statements sealed for their learner.
    keys: Arc<LearnerKeys>,
}

impl StatementStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "statements";

    /// The fold, opening sealed statements with `keys`.
    pub fn new(keys: Arc<LearnerKeys>) -> Self {
        Self { keys }
    }
}

fn parse_id(value: &str, field: &str) -> Result<Uuid, FoldError> {
    Uuid::parse_str(value).map_err(|_| FoldError::BadEvent(format!("{field} is not a uuid")))
}

impl Fold for StatementStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::STATEMENTS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[
            BY_ID,
            BY_STORED,
            VOIDING,
            BY_LEARNER,
            crate::activities::DEFINITIONS,
            crate::agents::PERSONS,
            crate::agents::LEARNER_PERSONS,
            index::BY_AGENT,
            index::BY_RELATED_AGENT,
            index::BY_VERB,
            index::BY_ACTIVITY,
            index::BY_RELATED_ACTIVITY,
            index::BY_REGISTRATION,
            index::REFS,
        ]
    }

    fn reads_committed(&self, partition: u32, event: &Envelope) -> Vec<(&'static str, Vec<u8>)> {
        match &event.event {
            Some(Event::LearnerErased(erased)) => Uuid::parse_str(&erased.learner_id)
                .map(|learner| erasure::ranges(&event.tenant, learner, partition))
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        partition: u32,
        offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        match &event.event {
            Some(Event::StatementSubmitted(submitted)) => {
                let id = parse_id(&submitted.statement_id, "statement_id")?;
                let not_stored = |kind: Kind| Folded {
                    outcome: Some(
                        StatementOutcome {
                            kind: kind as i32,
                            statement_id: submitted.statement_id.clone(),
                        }
                        .encode_to_vec(),
                    ),
                };
                let opened = submitted_json(&self.keys, &event.tenant, submitted)
                    .map_err(|e| e.into_fold_error("statement json"))?;
                let Some(SubmittedJson {
                    json: json_bytes,
                    sealed_for: learner,
                }) = opened
                else {
                    // sealed for a learner erased since: as if stored and then erased
                    return Ok(Folded::default());
                };
                let key = codec::id_key(&event.tenant, id);
                let by_id = trees.tree(BY_ID);
                if let Some(existing) = by_id.get(&key)? {
                    let existing = codec::Record::decode(&existing)
                        .ok_or_else(|| FoldError::BadEvent("stored record corrupt".into()))?;
                    let existing = index::stored_json(trees, &self.keys, &event.tenant, existing)?;
                    let same =
                        existing.is_some_and(|existing| same_statement(&existing, &json_bytes));
                    return Ok(not_stored(if same {
                        Kind::Duplicate
                    } else {
                        Kind::Conflict
                    }));
                }
                // Parsed before any write: a fold that rejects an event must not have
                // written part of it.
                let json: serde_json::Value = serde_json::from_slice(&json_bytes)
                    .map_err(|e| FoldError::BadEvent(format!("statement json: {e}")))?;
                let position = StorePosition {
                    stored_micros: submitted.stored_micros,
                    partition,
                    offset,
                };
                let body_at = if trees.events_in_place() {
                    bodies::IN_LOG
                } else {
                    trees.append_value(&match learner {
                        Some(learner) => {
                            codec::sealed_body(id, learner, &submitted.sealed_statement_json)
                        }
                        None => codec::body(id, &json_bytes),
                    })?
                };
                let record = codec::Record { position, body_at };
                let every_statement = learnlog_projector::tenant_prefix(&event.tenant);
                let run = codec::run(&every_statement, partition);
                runs::add(
                    &trees.tree(BY_STORED),
                    codec::POSITIONS,
                    &run,
                    &record.encode(),
                )?;
                by_id.insert(key, &record.encode())?;
                if let Some(learner) = learner {
                    erasure::record_sealed(trees, &event.tenant, learner, id, position, &json)?;
                }
                crate::activities::record_statement(trees, &event.tenant, position, &json)?;
                index::index_accepted(trees, &self.keys, &event.tenant, id, record, &json)?;
                Ok(Folded::default())
            }
            Some(Event::StatementVoided(voided)) => {
                let target = parse_id(&voided.target_statement_id, "target_statement_id")?;
                let voiding = parse_id(&voided.voiding_statement_id, "voiding_statement_id")?;
                let claims = trees.tree(VOIDING);
                claims.insert(codec::voiding_key(&event.tenant, target, voiding), &[])?;
                // the claimed target alone, so a reader asks with a get whether any claim
                // names a statement before it scans them
                claims.insert(codec::id_key(&event.tenant, target), &[])?;
                Ok(Folded::default())
            }
            Some(Event::LearnerErased(erased)) => {
                let learner = parse_id(&erased.learner_id, "learner_id")?;
                erasure::erase(trees, &event.tenant, learner, partition)?;
                Ok(Folded::default())
            }
            _ => Ok(Folded::default()),
        }
    }
}

/// Whether two stored statement JSONs are the same statement for duplicate detection.
fn same_statement(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => learnlog_xapi::statements_equivalent(&a, &b),
        _ => false,
    }
}

/// The store folding a real embedded log, its reader, and the directory of the keys
/// they share: what the given/when/then tests run on.
#[cfg(test)]
fn running_store() -> (
    learnlog_projector::test_support::FoldHarness,
    StatementReader,
    tempfile::TempDir,
) {
    running_store_over(learnlog_projector::test_support::FoldHarness::new)
}

/// [`running_store`] over the harness `over` starts for the fold and its topic.
#[cfg(test)]
fn running_store_over(
    over: fn(Arc<dyn Fold>, &'static str) -> learnlog_projector::test_support::FoldHarness,
) -> (
    learnlog_projector::test_support::FoldHarness,
    StatementReader,
    tempfile::TempDir,
) {
    let keys_dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(LearnerKeys::open(keys_dir.path()).unwrap());
    let fold = over(
        Arc::new(StatementStore::new(keys.clone())),
        topics::STATEMENTS,
    );
    let reader = StatementReader::new(&fold.projection, keys).unwrap();
    (fold, reader, keys_dir)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod query_tests;
