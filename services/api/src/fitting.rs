//! Fitting mastery-model parameters from the log and publishing them.
//!
//! A fit reads every `learner-events` partition of one tenant up to its high
//! watermark, collects the evidence exactly as the mastery fold sees it
//! ([`EvidenceLog`]), fits per-competency parameters by EM (competencies in parallel),
//! and appends one `MasteryModelPublished` to every partition. Each partition's mastery
//! fold switches to the new parameters at that point of its own order, so replay
//! folds exactly as before. Given parameters (pyBKT's JSON) are published the same way.

use crate::error::ApiError;
use crate::state::AppState;
use learnlog_log::Record;
use learnlog_mastery::em::FitOptions;
use learnlog_mastery::harness::ModelKind;
use learnlog_mastery::ParameterSet;
use learnlog_projector::learners::broadcast_keys;
use learnlog_projector_partitioned::mastery::EvidenceLog;
use learnlog_proto::v1::{envelope::Event, Envelope, MasteryModelPublished};
use learnlog_proto::{topics, Message};
use serde::Serialize;
use std::time::Instant;
use utoipa::ToSchema;

const READ_BATCH: usize = 10_000;
const READ_BYTES: usize = 32 << 20;

/// What a fit published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FitReport {
    /// The id of the published parameter set.
    pub model_id: String,
    /// `irt-forget` or `bkt`.
    pub model: &'static str,
    pub competencies: usize,
    pub items: usize,
    pub learners: usize,
    pub responses: usize,
    pub fit_seconds: f64,
}

/// The model name clients use.
pub fn kind_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Bkt => "bkt",
        ModelKind::IrtForget => "irt-forget",
    }
}

/// Reads `tenant`'s evidence from `learner-events`.
pub async fn collect_evidence(state: &AppState, tenant: &str) -> Result<EvidenceLog, ApiError> {
    let mut evidence = EvidenceLog::default();
    let partitions = state.log.partition_count(topics::LEARNER_EVENTS)?;
    for partition in 0..partitions {
        let end = state
            .log
            .high_watermark(topics::LEARNER_EVENTS, partition)?;
        let mut next = 0;
        while next < end {
            let records = state
                .log
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

/// Fits a `kind` model on `tenant`'s evidence and publishes it.
pub async fn fit_and_publish(
    state: &AppState,
    tenant: &str,
    kind: ModelKind,
) -> Result<FitReport, ApiError> {
    let evidence = collect_evidence(state, tenant).await?;
    if evidence.responses.is_empty() {
        return Err(ApiError::Conflict(
            "no evidence to fit on: no scored statements on aligned activities yet".into(),
        ));
    }
    let learners = evidence.learners();
    let responses = evidence.responses.len();
    let started = Instant::now();
    let set = tokio::task::spawn_blocking(move || {
        ParameterSet::fit(
            kind,
            evidence.competencies,
            evidence.items,
            &evidence.responses,
            &FitOptions::default(),
        )
    })
    .await
    .map_err(|e| ApiError::Internal(format!("fitting: {e}")))?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let description = format!(
        "{} fitted on {responses} responses of {learners} learners",
        kind_name(kind)
    );
    let mut report = FitReport {
        model_id: String::new(),
        model: kind_name(kind),
        competencies: set.competencies.len(),
        items: set.items.len(),
        learners,
        responses,
        fit_seconds,
    };
    report.model_id = publish(state, tenant, &set, description).await?;
    Ok(report)
}

/// Appends `set` to every `learner-events` partition and waits until the mastery
/// projection folded each; returns the new parameter set's id.
pub async fn publish(
    state: &AppState,
    tenant: &str,
    set: &ParameterSet,
    description: String,
) -> Result<String, ApiError> {
    let model_id = uuid::Uuid::new_v4().to_string();
    let partitions = state.log.partition_count(topics::LEARNER_EVENTS)?;
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
    let positions = state.log.append(topics::LEARNER_EVENTS, records).await?;
    for position in positions {
        state
            .mastery
            .wait_folded(
                topics::LEARNER_EVENTS,
                position.partition,
                position.offset,
                state.limits.consistency_wait,
            )
            .await?;
    }
    Ok(model_id)
}
