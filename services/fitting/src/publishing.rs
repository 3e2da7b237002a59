//! Publishing a parameter set: one `MasteryModelPublished` on every `learner-events`
//! partition, acknowledged once the mastery projection folded each.

use crate::{Error, FitTarget};
use learnlog_log::Record;
use learnlog_mastery::ParameterSet;
use learnlog_projector::learners::broadcast_keys;
use learnlog_proto::v1::{envelope::Event, Envelope, MasteryModelPublished};
use learnlog_proto::{topics, Message};

/// Appends `set` to every `learner-events` partition and waits until the mastery
/// projection folded each; returns the new parameter set's id.
pub(crate) async fn publish(
    target: FitTarget<'_>,
    tenant: &str,
    set: &ParameterSet,
    description: String,
) -> Result<String, Error> {
    let model_id = uuid::Uuid::new_v4().to_string();
    let partitions = target.log.partition_count(topics::LEARNER_EVENTS)?;
    let parameters_json = set.to_json();
    let now = chrono::Utc::now().timestamp_micros();
    let records: Vec<Record> = broadcast_keys(partitions)
        .into_iter()
        .map(|key| {
            let envelope = Envelope {
                event_id: uuid::Uuid::new_v4().to_string(),
                tenant: tenant.to_owned(),
                key: key.clone(),
                produced_at_micros: now,
                event: Some(Event::MasteryModelPublished(MasteryModelPublished {
                    model_id: model_id.clone(),
                    parameters_json: parameters_json.clone(),
                    description: description.clone(),
                })),
            };
            Record {
                key: key.into_bytes(),
                value: envelope.encode_to_vec(),
            }
        })
        .collect();
    let positions = target.log.append(topics::LEARNER_EVENTS, records).await?;
    for position in positions {
        target
            .mastery
            .wait_folded(
                topics::LEARNER_EVENTS,
                position.partition,
                position.offset,
                target.fold_wait,
            )
            .await?;
    }
    Ok(model_id)
}
