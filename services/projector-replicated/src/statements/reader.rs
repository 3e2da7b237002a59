//! Reading the statement store: records from its trees, bodies from the log or the
//! value log (`bodies`), opened with the learner's key when sealed (an erased
//! learner's statement reads as never stored).

use super::bodies;
use super::codec::{self, Record, StorePosition, StoredStatement};
use super::index::IndexKind;
use super::{BY_ID, BY_LEARNER, BY_STORED, VOIDING};
use learnlog_keys::LearnerKeys;
use learnlog_projection::Projection;
use learnlog_projector::{Error, Result};
use learnlog_proto::topics;
use std::sync::Arc;
use uuid::Uuid;

/// What a lookup by id found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Stored and not voided.
    Found(StoredStatement),
    /// Stored and voided by a stored voiding statement.
    Voided(StoredStatement),
    /// Not stored.
    Missing,
}

/// Reads the statement store's trees. Cheap to clone.
#[derive(Clone)]
pub struct StatementReader {
    projection: Projection,
    keys: Arc<LearnerKeys>,
    by_id: learnlog_projection::StoreTree,
    pub(super) by_stored: learnlog_projection::StoreTree,
    voiding: learnlog_projection::StoreTree,
    by_learner: learnlog_projection::StoreTree,
    /// The secondary indexes, in [`IndexKind::ALL`] order.
    indexes: Vec<learnlog_projection::StoreTree>,
}

impl StatementReader {
    /// A reader over the statement store projection's database, opening sealed
    /// statements with `keys`.
    pub fn new(projection: &Projection, keys: Arc<LearnerKeys>) -> Result<Self> {
        let mut indexes = Vec::with_capacity(IndexKind::ALL.len());
        for kind in IndexKind::ALL {
            indexes.push(projection.tree(kind.tree()));
        }
        Ok(Self {
            projection: projection.clone(),
            keys,
            by_id: projection.tree(BY_ID),
            by_stored: projection.tree(BY_STORED),
            voiding: projection.tree(VOIDING),
            by_learner: projection.tree(BY_LEARNER),
            indexes,
        })
    }

    pub(super) fn index(&self, kind: IndexKind) -> &learnlog_projection::StoreTree {
        let at = IndexKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or_default();
        &self.indexes[at]
    }

    /// The stored statement with this id, voided or not.
    pub fn get(&self, tenant: &str, id: Uuid) -> Result<Option<StoredStatement>> {
        let Some(record) = self.record(tenant, id)? else {
            return Ok(None);
        };
        Ok(self
            .body(tenant, record.position, record.body_at)?
            .map(|(_, statement)| statement))
    }

    /// The position of the submission the store keeps as statement `id`, without
    /// reading its body: `None` when no submission of `id` is stored. Unlike
    /// [`StatementReader::get`] it does not tell whether the statement's learner was
    /// erased since (its body is then unreadable).
    pub fn position(&self, tenant: &str, id: Uuid) -> Result<Option<StorePosition>> {
        Ok(self.record(tenant, id)?.map(|record| record.position))
    }

    fn record(&self, tenant: &str, id: Uuid) -> Result<Option<Record>> {
        let Some(value) = self.by_id.get(codec::id_key(tenant, id))? else {
            return Ok(None);
        };
        let record =
            Record::decode(&value).ok_or_else(|| Error::Corrupt(format!("statement {id}")))?;
        Ok(Some(record))
    }

    /// The statement of `tenant` stored at `position` whose body is at `body_at` (see
    /// `bodies`), and its id: `None` when it was sealed for a learner since erased.
    pub(super) fn body(
        &self,
        tenant: &str,
        position: StorePosition,
        body_at: u64,
    ) -> Result<Option<(Uuid, StoredStatement)>> {
        let in_log = body_at == bodies::IN_LOG;
        let bytes = if in_log {
            (self.projection).read_event(topics::STATEMENTS, position.partition, position.offset)
        } else {
            (self.projection).read_value(topics::STATEMENTS, position.partition, body_at)
        };
        let bytes = bytes.map_err(|e| Error::Corrupt(e.to_string()))?;
        let opened = bodies::open(&self.keys, tenant, &bytes, in_log)
            .map_err(|e| Error::Corrupt(format!("statement at {position:?}: {e}")))?;
        let Some((id, json)) = opened else {
            return Ok(None);
        };
        let statement = StoredStatement {
            stored_micros: position.stored_micros,
            partition: position.partition,
            offset: position.offset,
            json,
        };
        Ok(Some((id, statement)))
    }

    /// The statements sealed for `learner` of `tenant` (those whose actor they are,
    /// stored since sealing began), in stored order.
    pub fn learner_statements(&self, tenant: &str, learner: Uuid) -> Result<Vec<StoredStatement>> {
        let prefix = learnlog_projector::learners::learner_key(tenant, learner);
        let run_len = codec::learner_prefix(tenant, learner, 0).len();
        let mut statements = Vec::new();
        for block in self.by_learner.scan_prefix(prefix) {
            let (key, block) = block?;
            let entries = codec::LEARNER_STATEMENTS
                .entries(run_len, &key, &block)
                .ok_or_else(|| Error::Corrupt("by_learner block".into()))?;
            for id in codec::learner_entry_ids(entries) {
                statements.extend(self.get(tenant, id)?);
            }
        }
        statements.sort_by_key(|s| (s.stored_micros, s.partition, s.offset));
        Ok(statements)
    }

    /// Looks a statement up and tells whether it is voided.
    pub fn lookup(&self, tenant: &str, id: Uuid) -> Result<Lookup> {
        let Some(statement) = self.get(tenant, id)? else {
            return Ok(Lookup::Missing);
        };
        if self.is_voided(tenant, id, &statement)? {
            Ok(Lookup::Voided(statement))
        } else {
            Ok(Lookup::Found(statement))
        }
    }

    /// The ids of the statements that claimed (so far) to void `id`, accepted or not.
    pub fn voiding_claims(&self, tenant: &str, id: Uuid) -> Result<Vec<Uuid>> {
        let target = codec::id_key(tenant, id);
        if !self.voiding.contains_key(&target)? {
            return Ok(Vec::new());
        }
        self.voiding
            .scan_prefix(&target)
            .filter(|claim| {
                claim
                    .as_ref()
                    .map_or(true, |(key, _)| key.len() > target.len())
            })
            .map(|claim| {
                let (key, _) = claim?;
                key.get(key.len() - 16..)
                    .and_then(|bytes| Uuid::from_slice(bytes).ok())
                    .ok_or_else(|| Error::Corrupt("voiding key".into()))
            })
            .collect()
    }

    /// A statement is voided when it is not itself a voiding statement and a stored
    /// voiding statement targets it.
    pub(super) fn is_voided(
        &self,
        tenant: &str,
        id: Uuid,
        statement: &StoredStatement,
    ) -> Result<bool> {
        let claims = self.voiding_claims(tenant, id)?;
        if claims.is_empty() || voided_target(&statement.json).is_some() {
            return Ok(false);
        }
        for voiding in claims {
            if let Some(voiding_statement) = self.get(tenant, voiding)? {
                if voided_target(&voiding_statement.json) == Some(id) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

fn voided_target(json: &[u8]) -> Option<Uuid> {
    let statement: serde_json::Value = serde_json::from_slice(json).ok()?;
    learnlog_xapi::voided_target(&statement)
}
