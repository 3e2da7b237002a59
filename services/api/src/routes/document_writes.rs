//! The document write path: a PUT, POST or DELETE becomes one event on the
//! `documents` topic, keyed by the document's set; the API appends it durably, waits
//! (bounded) for the documents projection to fold it, and answers the outcome the
//! fold recorded. The fold decides 204 / 409 / 412 / 400, so concurrent writers on
//! any number of API processes get the answers of one serial LRS.

use super::document_params::{Addressed, Resource};
use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;
use actix_web::http::header::{self, HeaderName};
use actix_web::HttpRequest;
use learnlog_log::Record;
use learnlog_projector::learners::learner_of_ifi_key;
use learnlog_projector::sealing::seal_event;
use learnlog_projector_partitioned::documents::{is_json_media_type, DocumentSet};
use learnlog_proto::v1::document_outcome::Kind;
use learnlog_proto::v1::{envelope::Event, DocumentOutcome, Envelope};
use learnlog_proto::v1::{DocumentDeleted, DocumentWritten};
use learnlog_proto::{topics, Message};
use learnlog_xapi::XapiVersion;

/// A PUT (`merge == false`) or POST (`merge == true`) of one document.
pub struct Write<'a> {
    pub resource: Resource,
    pub version: XapiVersion,
    pub addressed: Addressed,
    pub request: &'a HttpRequest,
    pub body: &'a [u8],
    pub merge: bool,
}

fn header_value(request: &HttpRequest, name: HeaderName) -> Result<Option<String>, ApiError> {
    request
        .headers()
        .get(&name)
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| ApiError::BadRequest(format!("header {name}: must be ASCII")))
        })
        .transpose()
}

/// Stores or merges one document; `Ok` means 204.
pub async fn write(state: &AppState, tenant: &str, write: Write<'_>) -> Result<(), ApiError> {
    if write.body.len() > state.limits.max_body_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: state.limits.max_body_bytes,
        });
    }
    let content_type = header_value(write.request, header::CONTENT_TYPE)?
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    if write.merge && is_json_media_type(&content_type) {
        learnlog_xapi::check_json_limits(write.body, state.limits.json())?;
        if serde_json::from_slice::<serde_json::Value>(write.body).is_err() {
            return Err(ApiError::BadRequest(
                "body: Content-Type is application/json but the body is not valid JSON".into(),
            ));
        }
    }
    let put = !write.merge;
    let set = write.addressed.set;
    let event = DocumentWritten {
        kind: set.kind as i32,
        activity_id: set.activity_id.clone(),
        agent_json: write.addressed.agent_json,
        agent_key: set.agent_key.clone(),
        registration: set.registration.clone(),
        document_id: write.addressed.document_id.unwrap_or_default(),
        content_type,
        content: write.body.to_vec(),
        merge: write.merge,
        if_match: header_value(write.request, header::IF_MATCH)?,
        if_none_match: header_value(write.request, header::IF_NONE_MATCH)?,
        precondition_required: put && write.resource != Resource::State,
        existing_needs_precondition: put
            && write.resource == Resource::State
            && write.version == XapiVersion::V2_0_0,
    };
    decide(state, tenant, &set, Event::DocumentWritten(event)).await
}

/// Deletes one document, or every state document of the set; `Ok` means 204.
pub async fn delete(
    state: &AppState,
    tenant: &str,
    addressed: Addressed,
    request: &HttpRequest,
) -> Result<(), ApiError> {
    let set = addressed.set;
    let event = DocumentDeleted {
        kind: set.kind as i32,
        activity_id: set.activity_id.clone(),
        agent_key: set.agent_key.clone(),
        registration: set.registration.clone(),
        document_id: addressed.document_id.unwrap_or_default(),
        if_match: header_value(request, header::IF_MATCH)?,
        if_none_match: header_value(request, header::IF_NONE_MATCH)?,
    };
    decide(state, tenant, &set, Event::DocumentDeleted(event)).await
}

/// Appends the event, waits for its fold, and maps the recorded outcome.
async fn decide(
    state: &AppState,
    tenant: &str,
    set: &DocumentSet,
    event: Event,
) -> Result<(), ApiError> {
    let key = set.log_key(tenant);
    state.check_owner(state.log.partition_for(topics::DOCUMENTS, key.as_bytes())?)?;
    let event_id = uuid::Uuid::new_v4().to_string();
    let event = match &state.personal_data {
        // a set keyed by a learner's agent: the event is sealed for the learner, on a
        // blocking thread (their first document may write and publish their key)
        Some(personal) if !set.agent_key.is_empty() => {
            let learner = learner_of_ifi_key(&set.agent_key);
            let (keys, tenant, event_id) =
                (personal.keys.clone(), tenant.to_owned(), event_id.clone());
            actix_web::web::block(move || seal_event(&keys, &tenant, learner, &event_id, event))
                .await
                .map_err(|error| ApiError::Internal(format!("sealing task: {error}")))?
                .map_err(|error| ApiError::sealing("the document event", error))?
        }
        _ => event,
    };
    let envelope = Envelope {
        event_id,
        tenant: tenant.to_owned(),
        key: key.clone(),
        produced_at_micros: chrono::Utc::now().timestamp_micros(),
        event: Some(event),
    };
    let record = Record {
        key: key.into_bytes(),
        value: envelope.encode_to_vec(),
    };
    state.disk_space.check()?;
    let timer = metrics::LOG_APPEND_SECONDS
        .with_label_values(&[topics::DOCUMENTS])
        .start_timer();
    let positions = state.log.append(topics::DOCUMENTS, vec![record]).await?;
    timer.observe_duration();
    metrics::LOG_APPENDS.inc();
    metrics::LOG_APPENDED_RECORDS.inc();
    let position = positions
        .first()
        .ok_or_else(|| ApiError::Internal("log returned no position".into()))?;
    let (partition, offset) = (position.partition, position.offset);
    state
        .documents
        .wait_folded(
            topics::DOCUMENTS,
            partition,
            offset,
            state.limits.consistency_wait,
        )
        .await?;
    let outcome = state
        .documents
        .outcome(topics::DOCUMENTS, partition, offset)?
        .and_then(|bytes| DocumentOutcome::decode(bytes.as_slice()).ok())
        .ok_or_else(|| ApiError::Internal("no outcome for a document event".into()))?;
    match Kind::try_from(outcome.kind).unwrap_or(Kind::Unspecified) {
        Kind::Applied => Ok(()),
        Kind::PreconditionFailed => Err(ApiError::PreconditionFailed(outcome.message)),
        Kind::Conflict => Err(ApiError::Conflict(outcome.message)),
        Kind::Rejected => Err(ApiError::BadRequest(outcome.message)),
        Kind::Unspecified => Err(ApiError::Internal("document outcome unspecified".into())),
    }
}

/// Waits until the documents projection has folded everything already appended for
/// `set`'s partition, so a read sees every write acknowledged before it.
pub async fn caught_up(state: &AppState, tenant: &str, set: &DocumentSet) -> Result<(), ApiError> {
    let key = set.log_key(tenant);
    let partition = state.log.partition_for(topics::DOCUMENTS, key.as_bytes())?;
    state.check_owner(partition)?;
    let end = state
        .log
        .ask_high_watermark(topics::DOCUMENTS, partition)
        .await?;
    if end > 0 {
        state
            .documents
            .wait_folded(
                topics::DOCUMENTS,
                partition,
                end - 1,
                state.limits.consistency_wait,
            )
            .await?;
    }
    Ok(())
}
