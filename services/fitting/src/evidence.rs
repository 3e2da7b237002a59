//! Reading a tenant's evidence back from `learner-events`.

use crate::Error;
use learnlog_log::EventLog;
use learnlog_projector_partitioned::mastery::EvidenceLog;
use learnlog_proto::v1::Envelope;
use learnlog_proto::{topics, Message};

const READ_BATCH: usize = 10_000;
const READ_BYTES: usize = 32 << 20;

/// Reads `tenant`'s evidence from every `learner-events` partition, each up to its
/// high watermark, as the mastery fold sees it.
pub(crate) async fn collect_evidence(log: &EventLog, tenant: &str) -> Result<EvidenceLog, Error> {
    let mut evidence = EvidenceLog::default();
    let ends = log.ask_high_watermarks(topics::LEARNER_EVENTS).await?;
    for (partition, end) in (0..).zip(ends) {
        let mut next = 0;
        while next < end {
            let records = log
                .read(
                    topics::LEARNER_EVENTS,
                    partition,
                    next,
                    READ_BATCH,
                    READ_BYTES,
                )
                .await?;
            let Some(last) = records.last() else { break };
            next = last.offset + 1;
            for record in records.iter().filter(|r| r.offset < end) {
                if let Ok(envelope) = Envelope::decode(record.value.as_slice()) {
                    evidence.add(tenant, partition, &envelope);
                }
            }
        }
    }
    Ok(evidence)
}
