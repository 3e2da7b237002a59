//! Appending events and waiting, bounded, until the projection that decides them has
//! folded them: the read-your-writes step of every `/v1/` write.

use crate::error::ApiError;
use crate::state::AppState;
use learnlog_log::{Position, Record};
use learnlog_projection::Projection;
use learnlog_proto::v1::Envelope;
use learnlog_proto::Message;

/// Appends `envelope` to `topic` under its key, then waits until `projection` folded
/// it; returns its position (where the fold's outcome is recorded).
pub(super) async fn append_and_wait(
    state: &AppState,
    topic: &str,
    envelope: Envelope,
    projection: &Projection,
) -> Result<Position, ApiError> {
    let positions = append_all_and_wait(state, topic, vec![envelope], projection).await?;
    positions
        .first()
        .copied()
        .ok_or_else(|| ApiError::Internal("append returned no position".into()))
}

/// Appends `envelopes` to `topic` in one append (on the embedded log all of them or,
/// after a crash, none), then waits until `projection` folded every one.
pub(super) async fn append_all_and_wait(
    state: &AppState,
    topic: &str,
    envelopes: Vec<Envelope>,
    projection: &Projection,
) -> Result<Vec<Position>, ApiError> {
    state.disk_space.check()?;
    let records = envelopes
        .iter()
        .map(|envelope| Record {
            key: envelope.key.as_bytes().to_vec(),
            value: envelope.encode_to_vec(),
        })
        .collect();
    let positions = state.log.append(topic, records).await?;
    let deadline = std::time::Instant::now() + state.limits.consistency_wait;
    for position in &positions {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        projection
            .wait_folded(topic, position.partition, position.offset, left)
            .await?;
    }
    Ok(positions)
}
