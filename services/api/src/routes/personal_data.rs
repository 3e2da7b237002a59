//! A learner's rights over their personal data (scope `all`, within the caller's
//! tenant):
//! - `GET /v1/learners/{learner}/export`: everything learnlog holds on the learner as
//!   one JSON document, for an access request;
//! - `POST /v1/learners/{learner}/erase`: forgets the learner, for good.
//!
//! Erasing destroys the learner's data key first: from then on nothing sealed for
//! them opens again, in this process or in any replay of the log (`learnlog
//! rebuild`). Then it appends `LearnerErased` to every `statements` partition, waits
//! until the repartitioner re-published everything the store held before it (so no
//! late re-published statement follows the erasure into the learner's views), and
//! appends it to every `documents` partition and to the learner's `learner-events`
//! partition; it answers once every projection has folded it. An erasure interrupted
//! half way is completed by asking again.
//!
//! On Kafka both need the key-encryption key (without it nothing is sealed), and a
//! process that owns every partition, since they wait for every partition's
//! projections: a projector sharing its group with others answers 501.

use super::appending::append_all_and_wait;
use super::decisions::{learner_decisions, LearnerDecisions};
use super::learners::{learner, learner_example, learner_profile, LearnerRef, LEARNER};
use super::mastery::{learner_mastery, LearnerMasteryView};
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotImplemented, Unauthorized, Unavailable};
use crate::state::{AppState, PersonalData};
use actix_web::{web, HttpResponse};
use base64::Engine as _;
use learnlog_projector::learners::broadcast_keys;
use learnlog_projector_partitioned::documents::LearnerDocument;
use learnlog_projector_partitioned::profiles::{Goal, Profile};
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, DocumentKind, Envelope, LearnerErased};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// The answer to an erasure.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erasure {
    pub learner: Uuid,
    /// True when the learner had a data key and it was destroyed; false when nothing
    /// was ever sealed for them or they were erased before.
    pub key_destroyed: bool,
}

/// Everything learnlog holds on one learner.
#[derive(Debug, Serialize, ToSchema)]
pub struct LearnerExport {
    pub learner: Uuid,
    /// When the export was made, RFC 3339.
    pub exported_at: String,
    /// The statements the learner is the actor of, in stored order, voided ones
    /// included, as `GET /xapi/statements` answers them.
    #[schema(value_type = Vec<Object>)]
    pub statements: Vec<Value>,
    /// The learner's state and agent profile documents.
    pub documents: Vec<ExportedDocument>,
    pub profile: Option<Profile>,
    pub mastery: Option<LearnerMasteryView>,
    pub decisions: LearnerDecisions,
    pub goals: Vec<Goal>,
}

/// A state or agent profile document of the learner.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedDocument {
    /// `state` or `agentProfile`.
    pub kind: &'static str,
    /// The activity of a state document.
    #[serde(rename = "activityId", skip_serializing_if = "String::is_empty")]
    pub activity_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub registration: String,
    /// The document's id (`stateId` or `profileId`).
    pub id: String,
    #[serde(rename = "contentType")]
    pub content_type: String,
    /// When it was last written, RFC 3339.
    pub updated: String,
    /// The content: as JSON when it is `application/json`, else base64.
    #[schema(value_type = Object)]
    pub content: Value,
    /// `base64` when `content` is the base64 of the bytes.
    #[serde(rename = "contentEncoding", skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<&'static str>,
}

impl From<LearnerDocument> for ExportedDocument {
    fn from(found: LearnerDocument) -> Self {
        let document = found.document;
        let json = document
            .is_json()
            .then(|| serde_json::from_slice::<Value>(&document.content).ok())
            .flatten();
        let (content, content_encoding) = match json {
            Some(json) => (json, None),
            None => (
                Value::String(base64::engine::general_purpose::STANDARD.encode(&document.content)),
                Some("base64"),
            ),
        };
        Self {
            kind: match found.set.kind {
                DocumentKind::State => "state",
                _ => "agentProfile",
            },
            activity_id: found.set.activity_id,
            registration: found.set.registration,
            id: found.id,
            content_type: document.content_type,
            updated: super::decisions::rfc3339(document.updated_micros),
            content,
            content_encoding,
        }
    }
}

/// The keys and repartitioner of this process; 501 where it cannot answer for every
/// partition's keys and views (see the module's documentation).
fn personal_data(state: &AppState) -> Result<&PersonalData, ApiError> {
    let personal = state.personal_data.as_ref().ok_or_else(|| {
        ApiError::NotImplemented(
            "erasure and export need the learners' statements sealed with their keys: on \
             Kafka, give every process the same --key-encryption-key-file"
                .into(),
        )
    })?;
    if let Some(owned) = &state.owned {
        let partitions = state.log.partition_count(topics::STATEMENTS)?;
        if owned.snapshot().len() < partitions as usize {
            return Err(ApiError::NotImplemented(format!(
                "erasure and export wait for every partition's projections, and this \
                 projector owns {} of {partitions}: run them on a process that owns every \
                 partition (--role all, or a projector alone in its group)",
                owned.snapshot().len()
            )));
        }
    }
    Ok(personal)
}

/// `GET /v1/learners/{learner}/export`.
#[utoipa::path(
    get,
    path = "/v1/learners/{learner}/export",
    operation_id = "exportLearner",
    tag = "learners",
    params(("learner" = LearnerRef, Path, description = LEARNER, example = learner_example)),
    responses(
        (status = 200, description = "Everything held on the learner (empty sections when nothing is)", body = LearnerExport),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 501, response = NotImplemented),
    ),
    security(("basic" = []))
)]
pub async fn export(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let learner = learner(&path)?;
    personal_data(&state)?;
    let tenant = caller.tenant();
    let now = chrono::Utc::now().timestamp_micros();
    let statements = (state.statement_reader)
        .learner_statements(tenant, learner)?
        .into_iter()
        .map(|stored| {
            serde_json::from_slice(&stored.json)
                .map_err(|error| ApiError::Internal(format!("a stored statement: {error}")))
        })
        .collect::<Result<_, _>>()?;
    let documents = (state.document_reader)
        .learner_documents(tenant, learner)?
        .into_iter()
        .map(ExportedDocument::from)
        .collect();
    Ok(HttpResponse::Ok().json(LearnerExport {
        learner,
        exported_at: super::decisions::rfc3339(now),
        statements,
        documents,
        profile: learner_profile(&state, tenant, learner)?,
        mastery: learner_mastery(&state, tenant, learner, now)?,
        decisions: learner_decisions(&state, tenant, learner, now, None)?,
        goals: state.profile_reader.goals(tenant, learner)?,
    }))
}

/// `POST /v1/learners/{learner}/erase`.
#[utoipa::path(
    post,
    path = "/v1/learners/{learner}/erase",
    operation_id = "eraseLearner",
    tag = "learners",
    params(("learner" = LearnerRef, Path, description = LEARNER, example = learner_example)),
    responses(
        (status = 200, description = "The learner is erased: their data key is destroyed and every projection dropped them", body = Erasure),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 501, response = NotImplemented),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn erase(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let learner = learner(&path)?;
    let personal = personal_data(&state)?.clone();
    let tenant = caller.tenant().to_owned();
    let keys = personal.keys.clone();
    let key_destroyed = web::block(move || keys.erase(&tenant, learner))
        .await
        .map_err(|error| ApiError::Internal(format!("erasure task: {error}")))?
        .map_err(|error| ApiError::sealing("destroying the data key", error))?;
    let erased = |key: String| Envelope {
        event_id: Uuid::new_v4().to_string(),
        tenant: caller.tenant().to_owned(),
        key,
        produced_at_micros: chrono::Utc::now().timestamp_micros(),
        event: Some(Event::LearnerErased(LearnerErased {
            learner_id: learner.to_string(),
        })),
    };
    let on_every_partition = |topic: &str| -> Result<Vec<Envelope>, ApiError> {
        let partitions = state.log.partition_count(topic)?;
        Ok(broadcast_keys(partitions).into_iter().map(erased).collect())
    };

    let positions = append_all_and_wait(
        &state,
        topics::STATEMENTS,
        on_every_partition(topics::STATEMENTS)?,
        &state.statements,
    )
    .await?;
    for position in positions {
        (personal.repartitioner)
            .catch_up_partition(position.partition, state.limits.consistency_wait)
            .await
            .map_err(|error| ApiError::NotCaughtUp(error.to_string()))?;
    }
    append_all_and_wait(
        &state,
        topics::DOCUMENTS,
        on_every_partition(topics::DOCUMENTS)?,
        &state.documents,
    )
    .await?;
    let views = [&state.profiles, &state.mastery, &state.decisions];
    let at = append_all_and_wait(
        &state,
        topics::LEARNER_EVENTS,
        vec![erased(learner.to_string())],
        views[0],
    )
    .await?;
    for view in &views[1..] {
        for position in &at {
            view.wait_folded(
                topics::LEARNER_EVENTS,
                position.partition,
                position.offset,
                state.limits.consistency_wait,
            )
            .await?;
        }
    }
    Ok(HttpResponse::Ok().json(Erasure {
        learner,
        key_destroyed,
    }))
}
