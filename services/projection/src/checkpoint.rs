//! Keys and values of the runtime's own trees: checkpoints (the next offset to fold,
//! per topic and partition) and outcomes (per folded position).

/// Tree holding `topic \0 partition` -> next offset to fold (u64 big-endian).
pub(crate) const CHECKPOINTS: &str = "runtime.checkpoints";
/// Tree holding `topic \0 partition offset` -> outcome bytes.
pub(crate) const OUTCOMES: &str = "runtime.outcomes";
/// Tree holding `topic \0 partition` -> produced-at (µs) of the last folded event.
pub(crate) const EVENT_TIMES: &str = "runtime.event_times";

/// How many offsets behind the checkpoint an outcome is kept; writers read outcomes
/// within seconds of appending, so this is generous.
pub(crate) const OUTCOME_RETENTION: u64 = 1_000_000;

pub(crate) fn partition_key(topic: &str, partition: u32) -> Vec<u8> {
    let mut key = Vec::with_capacity(topic.len() + 5);
    key.extend_from_slice(topic.as_bytes());
    key.push(0);
    key.extend_from_slice(&partition.to_be_bytes());
    key
}

/// `topic \0 partition "values"` in the checkpoint tree -> the committed end (u64
/// big-endian) of the partition's value log.
pub(crate) fn values_key(topic: &str, partition: u32) -> Vec<u8> {
    let mut key = partition_key(topic, partition);
    key.extend_from_slice(b"values");
    key
}

pub(crate) fn outcome_key(topic: &str, partition: u32, offset: u64) -> Vec<u8> {
    let mut key = partition_key(topic, partition);
    key.extend_from_slice(&offset.to_be_bytes());
    key
}

pub(crate) fn decode_u64(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

pub(crate) fn decode_i64(bytes: &[u8]) -> i64 {
    bytes.try_into().map(i64::from_be_bytes).unwrap_or(0)
}
