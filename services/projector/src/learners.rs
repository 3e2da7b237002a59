//! Who a learner is, for every projection keyed by learner.
//!
//! A learner id is a UUID (version 5) of the actor's IFI key
//! ([`learnlog_xapi::agent_ifi_key`]), so the same agent gets the same id in every
//! process and after every replay, without a lookup table. Learner endpoints accept
//! either the id or the agent itself (JSON, as the xAPI `agent` parameter).
//!
//! Learner events are re-published at least once ([`SourceWatermarks`] makes folding
//! them exactly once), and mastery-model parameters are broadcast to every partition
//! ([`broadcast_keys`]).

use crate::tenant_prefix;
use learnlog_log::partition_for_key;
use learnlog_projection::FoldError;
use learnlog_projection::FoldTree;
use serde_json::Value;
use uuid::Uuid;

/// The namespace of learner ids (a fixed random UUID; never change it: ids are keys).
pub const LEARNER_NAMESPACE: Uuid = Uuid::from_u128(0x5b1d_7c3e_9a4f_4e21_8d6b_2f0c_71a9_e348);

/// The learner id of an agent, or `None` when it has no single valid IFI.
pub fn learner_id(agent: &Value) -> Option<Uuid> {
    Some(learner_of_ifi_key(&learnlog_xapi::agent_ifi_key(agent)?))
}

/// The learner id of an agent's IFI key (`learnlog_xapi::agent_ifi_key`).
pub fn learner_of_ifi_key(ifi_key: &str) -> Uuid {
    Uuid::new_v5(&LEARNER_NAMESPACE, ifi_key.as_bytes())
}

/// A learner named in a URL: a learner id (hyphenated UUID) or an agent as JSON.
pub fn parse_learner(text: &str) -> Result<Uuid, String> {
    let text = text.trim();
    if text.starts_with('{') {
        let agent: Value = serde_json::from_str(text)
            .map_err(|error| format!("learner: agent JSON does not parse: {error}"))?;
        return learner_id(&agent).ok_or_else(|| {
            "learner: the agent needs exactly one valid identifier (mbox, mbox_sha1sum, openid or account)".to_owned()
        });
    }
    learnlog_xapi::parse_uuid(text).ok_or_else(|| {
        format!("learner: {text:?} is neither a learner id (UUID) nor an agent (JSON)")
    })
}

/// An event about `learner` on `learner-events`, keyed by the learner id.
pub fn learner_envelope(
    tenant: &str,
    learner: Uuid,
    produced_at_micros: i64,
    event: learnlog_proto::v1::envelope::Event,
) -> learnlog_proto::v1::Envelope {
    learnlog_proto::v1::Envelope {
        event_id: Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: learner.to_string(),
        produced_at_micros,
        event: Some(event),
    }
}

/// `tenant \0 learner(16)`: the prefix of every record about one learner.
pub fn learner_key(tenant: &str, learner: Uuid) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(learner.as_bytes());
    key
}

/// One record key per partition of a topic with `partitions` partitions: appending a
/// record under `keys[p]` lands it on partition `p` (Kafka's default partitioner).
pub fn broadcast_keys(partitions: u32) -> Vec<String> {
    let mut keys: Vec<Option<String>> = vec![None; partitions as usize];
    let mut missing = partitions as usize;
    let mut candidate = 0u64;
    while missing > 0 {
        let key = format!("broadcast-{candidate}");
        let slot = &mut keys[partition_for_key(key.as_bytes(), partitions) as usize];
        if slot.is_none() {
            *slot = Some(key);
            missing -= 1;
        }
        candidate += 1;
    }
    keys.into_iter().flatten().collect()
}

/// Per learner-events partition, the highest source position folded from each
/// `statements` partition, kept in a fold's own tree.
///
/// The repartitioner re-publishes in source order, and after a crash starts again from
/// its last checkpoint, so a re-published event is one whose source offset is not above
/// the watermark of its source partition.
pub struct SourceWatermarks<'a> {
    tree: FoldTree<'a>,
}

impl<'a> SourceWatermarks<'a> {
    pub fn new(tree: FoldTree<'a>) -> Self {
        Self { tree }
    }

    /// True (and the watermark raised) the first time a source position is seen on
    /// `partition`; false for a re-published event, which the fold must skip.
    pub fn first_time(
        &self,
        partition: u32,
        source_partition: u32,
        source_offset: u64,
    ) -> Result<bool, FoldError> {
        let mut key = Vec::with_capacity(8);
        key.extend_from_slice(&partition.to_be_bytes());
        key.extend_from_slice(&source_partition.to_be_bytes());
        if let Some(seen) = self.tree.get(&key)? {
            let seen = u64::from_be_bytes(
                seen.as_ref()
                    .try_into()
                    .map_err(|_| FoldError::BadEvent("corrupt source watermark".into()))?,
            );
            if source_offset <= seen {
                return Ok(false);
            }
        }
        self.tree.insert(key, &source_offset.to_be_bytes())?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn learner_ids_follow_the_ifi_not_the_name() {
        let a = learner_id(&json!({"mbox": "mailto:ann@example.org", "name": "Ann"})).unwrap();
        let b =
            learner_id(&json!({"objectType": "Agent", "mbox": "mailto:ann@example.org"})).unwrap();
        let c = learner_id(&json!({"mbox": "mailto:bob@example.org"})).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // the RFC's version 5 (checked against Python's uuid.uuid5)
        assert_eq!(a.to_string(), "67bf5e55-3d16-5ffd-9c3c-17730f0e3162");
        assert_eq!(learner_id(&json!({"name": "no ifi"})), None);
    }

    #[test]
    fn learners_are_named_by_id_or_by_agent() {
        let agent = r#"{"account":{"homePage":"https://lms.example.org","name":"42"}}"#;
        let id = parse_learner(agent).unwrap();
        assert_eq!(parse_learner(&id.to_string()).unwrap(), id);
        assert!(parse_learner("not-a-learner")
            .unwrap_err()
            .contains("neither"));
        assert!(parse_learner("{\"name\":\"x\"}")
            .unwrap_err()
            .contains("identifier"));
    }

    #[test]
    fn broadcast_keys_cover_every_partition_once() {
        for partitions in [1, 2, 3, 8, 64] {
            let keys = broadcast_keys(partitions);
            assert_eq!(keys.len(), partitions as usize);
            for (p, key) in keys.iter().enumerate() {
                assert_eq!(partition_for_key(key.as_bytes(), partitions), p as u32);
            }
        }
    }
}
