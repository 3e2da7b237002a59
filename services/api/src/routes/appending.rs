//! Appending one event and waiting, bounded, until the projection that decides it has
//! folded it: the read-your-writes step of every `/v1/` write.

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
    state.disk_space.check()?;
    let record = Record {
        key: envelope.key.as_bytes().to_vec(),
        value: envelope.encode_to_vec(),
    };
    let positions = state.log.append(topic, vec![record]).await?;
    let position = *positions
        .first()
        .ok_or_else(|| ApiError::Internal("append returned no position".into()))?;
    projection
        .wait_folded(
            topic,
            position.partition,
            position.offset,
            state.limits.consistency_wait,
        )
        .await?;
    Ok(position)
}
