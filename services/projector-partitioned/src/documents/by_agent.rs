//! `documents.by_agent`: the sets keyed by an agent (state, agent profile) that hold
//! documents, listed by the agent's learner id and the partition that folds them, so
//! erasing a learner finds their documents without a scan.
//!
//! Key: `tenant \0 learner(16) partition(4)` then the set's key without its tenant
//! prefix; the value is empty. A set is listed while it holds a document. Keyed by
//! partition because a learner's sets are spread over the partitions of `documents`:
//! each partition lists, and erases, only the sets it folds, so its erasure never
//! races the writes of another partition.

use super::codec::DocumentSet;
use learnlog_projector::learners::{learner_key, learner_of_ifi_key};
use learnlog_projector::tenant_prefix;
use uuid::Uuid;

/// `tenant \0 learner(16) partition(4)`: the prefix of the sets of `learner` that
/// `partition` folds.
pub(crate) fn prefix(tenant: &str, learner: Uuid, partition: u32) -> Vec<u8> {
    let mut key = learner_key(tenant, learner);
    key.extend_from_slice(&partition.to_be_bytes());
    key
}

/// The entry of `set` folded by `partition`; `None` for a set without an agent.
pub(crate) fn entry(tenant: &str, set: &DocumentSet, partition: u32) -> Option<Vec<u8>> {
    if set.agent_key.is_empty() {
        return None;
    }
    let mut key = prefix(tenant, learner_of_ifi_key(&set.agent_key), partition);
    key.extend_from_slice(&set.prefix(tenant)[tenant_prefix(tenant).len()..]);
    Some(key)
}

/// The key of the set (in `documents.sets`, and the prefix of its documents) that an
/// entry under `prefix` lists.
pub(crate) fn set_key(tenant: &str, prefix: &[u8], entry: &[u8]) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(&entry[prefix.len()..]);
    key
}
