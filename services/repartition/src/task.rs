//! The task re-publishing one `statements` partition: wait for records past the
//! checkpoint, read a batch, wait until the statement store (and the voiding statements
//! it depends on) folded it, append its learner events, checkpoint, repeat; failures
//! are logged and retried.

use crate::{checkpoints, metrics, Error, Inner};
use learnlog_proto::topics;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const BATCH_RECORDS: usize = 1_000;
const BATCH_BYTES: usize = 8 << 20;
/// How long one wait for new records or for the store to fold lasts before looking again.
pub(crate) const IDLE_POLL: Duration = Duration::from_millis(500);

impl Inner {
    pub(crate) async fn run_partition(self: Arc<Self>, partition: u32, cancel: CancellationToken) {
        let mut next = *self.published[partition as usize].borrow();
        while !cancel.is_cancelled() {
            let step = async {
                // Waiting first costs nothing while the end is known past `next`; a
                // read at the known end would ask the log (on Kafka, a round trip).
                let end = self
                    .log
                    .wait_for_offset(topics::STATEMENTS, partition, next, IDLE_POLL)
                    .await?;
                if end <= next {
                    return Ok::<_, Error>((next, end));
                }
                let records = self
                    .log
                    .read(
                        topics::STATEMENTS,
                        partition,
                        next,
                        BATCH_RECORDS,
                        BATCH_BYTES,
                    )
                    .await?;
                let Some(last) = records.last().map(|r| r.offset) else {
                    return Ok((next, end));
                };
                while self.statements.folded(topics::STATEMENTS, partition)? <= last {
                    if cancel.is_cancelled() {
                        return Ok((next, end));
                    }
                    // a timeout only means "not yet": look again
                    let _ = self
                        .statements
                        .wait_folded(topics::STATEMENTS, partition, last, IDLE_POLL)
                        .await;
                }
                // voiding: the voiding statements that matter to this batch are folded first
                if !self.voiding_folded(partition, &records, &cancel).await? {
                    return Ok((next, end));
                }
                let inner = self.clone();
                let learner_events =
                    tokio::task::spawn_blocking(move || inner.learner_events(partition, &records))
                        .await
                        .map_err(|e| Error::Reader(e.to_string()))??;
                let republished = learner_events.len() as u64;
                if republished > 0 {
                    // derived from statements already in the log: nobody waits on them,
                    // so the log gathers them (see `EventLog::append_derived`)
                    self.log
                        .append_derived(topics::LEARNER_EVENTS, learner_events)
                        .await?;
                }
                metrics::REPUBLISHED.inc_by(republished);
                checkpoints::save(&self.checkpoints, partition, last + 1)?;
                Ok((last + 1, end))
            };
            match step.await {
                Ok((published, end)) => {
                    next = published;
                    self.published[partition as usize].send_replace(next);
                    // the end known before the step: no round trip to the log
                    metrics::LAG
                        .with_label_values(&[&partition.to_string()])
                        .set(end.saturating_sub(next) as i64);
                }
                Err(error) => {
                    tracing::error!(partition, %error, "re-publishing statements failed; retrying");
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        // Stopped (shutdown, or the partition went to another projector): no lag here.
        let _ = metrics::LAG.remove_label_values(&[&partition.to_string()]);
    }
}
