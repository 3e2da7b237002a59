//! The statement write path: assign what the LRS assigns, refuse known conflicts
//! before appending, append durably, and wait for the store's outcome.
//!
//! A batch of several statements is checked against the store before anything is
//! appended, so a batch that conflicts with a stored statement is rejected whole. A
//! single statement is not: the store's outcome decides it alone (a conflict stores
//! nothing, a duplicate is acknowledged), so its write skips the check's wait for the
//! store to fold its partition's end (on Kafka also a round trip to ask that end).
//! Two writers racing to submit
//! the same id through this process take turns (`statement_claims`), so the second
//! is checked against what the first stored. Through two processes both are appended;
//! the store keeps the first and the other writer gets 409 from the fold's outcome (see
//! `docs/adr/0002-statement-batches-and-conflicts.md`).

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::metrics;
use crate::state::AppState;
use chrono::{DateTime, SubsecRound, Utc};
use learnlog_keys::LearnerKeys;
use learnlog_log::{Position, Record};
use learnlog_projector::learners::learner_id;
use learnlog_projector::sealing::seal_statement;
use learnlog_projector_replicated::statements::Lookup;
use learnlog_proto::v1::{envelope::Event, statement_outcome::Kind, Envelope, StatementOutcome};
use learnlog_proto::v1::{AttachmentContent, StatementSubmitted, StatementVoided};
use learnlog_proto::{topics, Message};
use learnlog_xapi::{AttachmentPart, StoredFields, XapiVersion};
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

/// One statement on its way in.
struct Submission {
    id: Uuid,
    json: Vec<u8>,
    voids: Option<Uuid>,
    /// Already stored with equivalent content: acknowledged without appending.
    duplicate: bool,
    /// Raw data of the attachments this statement declares, once per sha2.
    attachments: Vec<AttachmentContent>,
    /// The actor's learner id, when the actor has an identifier.
    learner: Option<Uuid>,
    /// The JSON sealed for `learner` (when this process seals).
    sealed: Option<Vec<u8>>,
}

/// The received parts a statement's attachments refer to, once per sha2.
fn attachment_contents(statement: &Value, parts: &[AttachmentPart]) -> Vec<AttachmentContent> {
    let mut contents: Vec<AttachmentContent> = Vec::new();
    let declared = statement["attachments"].as_array().into_iter().flatten();
    for sha2 in declared.filter_map(|attachment| attachment["sha2"].as_str()) {
        let part = parts
            .iter()
            .find(|part| part.sha2.eq_ignore_ascii_case(sha2));
        if let Some(part) = part {
            if !contents.iter().any(|c| c.sha2.eq_ignore_ascii_case(sha2)) {
                contents.push(AttachmentContent {
                    sha2: sha2.to_ascii_lowercase(),
                    content_type: part.content_type.clone(),
                    data: part.data.clone(),
                });
            }
        }
    }
    contents
}

/// Stores a validated batch; returns the ids in input order.
pub async fn submit(
    state: &AppState,
    caller: &Authenticated,
    version: XapiVersion,
    statements: Vec<Value>,
    parts: &[AttachmentPart],
    put_id: Option<Uuid>,
) -> Result<Vec<Uuid>, ApiError> {
    let stored = Utc::now().trunc_subsecs(3);
    let authority = caller.authority(&state.authority_home_page);
    // held until the outcome is known: a racing writer of the same ids waits, then
    // finds them stored (see statement_claims)
    let given: Vec<Uuid> = statements
        .iter()
        .filter_map(|statement| learnlog_xapi::statement_id(statement).or(put_id))
        .collect();
    let _claim = state.statement_claims.claim(caller.tenant(), &given).await;
    let mut submissions = Vec::with_capacity(statements.len());
    let mut caught_up = CaughtUp::default();
    let checked_first = statements.len() > 1;
    for mut statement in statements {
        let given = learnlog_xapi::statement_id(&statement).or(put_id);
        let id = given.unwrap_or_else(Uuid::new_v4);
        learnlog_xapi::prepare_for_storage(
            &mut statement,
            &StoredFields {
                id,
                stored,
                authority: &authority,
                version,
            },
        );
        let duplicate = match given {
            Some(id) if checked_first => {
                is_known_duplicate(state, &mut caught_up, caller.tenant(), id, &statement).await?
            }
            _ => false,
        };
        let json = serde_json::to_vec(&statement)
            .map_err(|error| ApiError::Internal(error.to_string()))?;
        submissions.push(Submission {
            attachments: attachment_contents(&statement, parts),
            id,
            voids: learnlog_xapi::voided_target(&statement),
            json,
            duplicate,
            learner: learner_id(&statement["actor"]),
            sealed: None,
        });
    }

    if let Some(personal) = &state.personal_data {
        seal(&personal.keys, caller.tenant(), &mut submissions).await?;
    }
    let fresh: Vec<&Submission> = submissions.iter().filter(|s| !s.duplicate).collect();
    let records = records(caller.tenant(), version, stored, &fresh);
    if !records.is_empty() {
        let unconfirmed = |error| unconfirmed(error, &submissions);
        let positions = append(state, records).await.map_err(unconfirmed)?;
        check_outcomes(state, &fresh, &positions, checked_first)
            .await
            .map_err(unconfirmed)?;
    }
    let duplicates = (submissions.len() - fresh.len()) as u64;
    metrics::STATEMENTS_STORED
        .with_label_values(&["duplicate"])
        .inc_by(duplicates);
    Ok(submissions.iter().map(|s| s.id).collect())
}

/// Seals the JSON of each submission to append whose actor is a learner. Sealing is
/// CPU only, done on the request's own thread; a request naming a learner who has no key
/// yet seals on a blocking thread instead, since creating the key writes and syncs a file
/// (the new learners of a request get their keys together).
async fn seal(
    keys: &Arc<LearnerKeys>,
    tenant: &str,
    submissions: &mut [Submission],
) -> Result<(), ApiError> {
    let to_seal: Vec<(usize, Uuid, Uuid, Vec<u8>)> = (submissions.iter().enumerate())
        .filter(|(_, s)| !s.duplicate)
        .filter_map(|(n, s)| Some((n, s.learner?, s.id, s.json.clone())))
        .collect();
    if to_seal.is_empty() {
        return Ok(());
    }
    let every_learner_has_a_key = to_seal
        .iter()
        .all(|(_, learner, _, _)| keys.has_key(tenant, *learner).unwrap_or(false));
    let sealed = if every_learner_has_a_key {
        seal_each(keys, tenant, to_seal)
    } else {
        let (keys, tenant) = (keys.clone(), tenant.to_owned());
        actix_web::web::block(move || {
            keys.create_missing(&tenant, to_seal.iter().map(|(_, learner, _, _)| *learner))?;
            seal_each(&keys, &tenant, to_seal)
        })
        .await
        .map_err(|error| ApiError::Internal(format!("sealing task: {error}")))?
    }
    .map_err(|error| ApiError::sealing("sealing statements", error))?;
    for (n, json) in sealed {
        submissions[n].sealed = Some(json);
    }
    Ok(())
}

/// Each `(submission, learner, id, json)` sealed, as `(submission, sealed json)`.
fn seal_each(
    keys: &LearnerKeys,
    tenant: &str,
    to_seal: Vec<(usize, Uuid, Uuid, Vec<u8>)>,
) -> Result<Vec<(usize, Vec<u8>)>, learnlog_keys::Error> {
    (to_seal.into_iter())
        .map(|(n, learner, id, json)| {
            seal_statement(keys, tenant, learner, id, &json).map(|sealed| (n, sealed))
        })
        .collect()
}

/// An error after the append began: when it leaves the statements' fate unknown (the
/// log or the store did not answer in time), the answer names every id so that the
/// client can resubmit safely instead of storing second copies under new ids.
fn unconfirmed(error: ApiError, submissions: &[Submission]) -> ApiError {
    match error {
        ApiError::LogUnavailable(_) | ApiError::NotCaughtUp(_) => ApiError::Unconfirmed {
            ids: submissions.iter().map(|s| s.id).collect(),
            cause: error.to_string(),
        },
        other => other,
    }
}

/// Every `statements` partition's end, asked once for a whole request (on Kafka one
/// round trip off the HTTP worker, shared with the requests asking at the same time).
pub(crate) async fn statement_ends(state: &AppState) -> Result<Vec<u64>, ApiError> {
    Ok(state.log.ask_high_watermarks(topics::STATEMENTS).await?)
}

/// What a request checking its ids against the store has caught up with: the
/// partitions' ends (asked at the first id) and the partitions folded up to them.
#[derive(Default)]
struct CaughtUp {
    ends: Option<Vec<u64>>,
    partitions: std::collections::HashSet<u32>,
}

/// Waits until the store has folded everything already appended for `id`'s
/// partition (once per partition and request, see [`CaughtUp`]), then tells whether
/// `id` is stored: equivalent (a duplicate to acknowledge), different (409 before
/// anything is appended) or absent.
async fn is_known_duplicate(
    state: &AppState,
    caught_up: &mut CaughtUp,
    tenant: &str,
    id: Uuid,
    statement: &Value,
) -> Result<bool, ApiError> {
    let key = id.to_string();
    let partition = state
        .log
        .partition_for(topics::STATEMENTS, key.as_bytes())?;
    if caught_up.partitions.insert(partition) {
        let ends = match &caught_up.ends {
            Some(ends) => ends,
            None => caught_up.ends.insert(statement_ends(state).await?),
        };
        let end = ends.get(partition as usize).copied().unwrap_or(0);
        if end > 0 {
            state
                .statements
                .wait_folded(
                    topics::STATEMENTS,
                    partition,
                    end - 1,
                    state.limits.consistency_wait,
                )
                .await?;
        }
    }
    let existing = match state.statement_reader.lookup(tenant, id)? {
        Lookup::Found(existing) | Lookup::Voided(existing) => existing,
        Lookup::Missing => return Ok(false),
    };
    let existing: Value = serde_json::from_slice(&existing.json)
        .map_err(|error| ApiError::Internal(format!("stored statement {id}: {error}")))?;
    if learnlog_xapi::statements_equivalent(&existing, statement) {
        Ok(true)
    } else {
        Err(already_stored(id))
    }
}

fn already_stored(id: Uuid) -> ApiError {
    ApiError::Conflict(format!(
        "statement {id} is already stored with different content; nothing of this request was stored"
    ))
}

/// One `StatementSubmitted` per statement, plus a `StatementVoided` keyed by the
/// target for each voiding statement.
fn records(
    tenant: &str,
    version: XapiVersion,
    stored: DateTime<Utc>,
    submissions: &[&Submission],
) -> Vec<Record> {
    let stored_micros = stored.timestamp_micros();
    let envelope = |key: String, event: Event| Envelope {
        event_id: Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: key.clone(),
        produced_at_micros: stored_micros,
        event: Some(event),
    };
    let mut records = Vec::with_capacity(submissions.len());
    for submission in submissions {
        let key = submission.id.to_string();
        // a sealed statement's JSON is only in its sealed form
        let sealed = submission.learner.zip(submission.sealed.as_ref());
        let (statement_json, sealed_for, sealed_statement_json) = match sealed {
            Some((learner, sealed)) => (Vec::new(), learner.to_string(), sealed.clone()),
            None => (submission.json.clone(), String::new(), Vec::new()),
        };
        let submitted = Event::StatementSubmitted(StatementSubmitted {
            statement_id: key.clone(),
            statement_json,
            stored_micros,
            xapi_version: version.header_value().to_owned(),
            attachments: submission.attachments.clone(),
            sealed_for,
            sealed_statement_json,
        });
        records.push(Record {
            key: key.clone().into_bytes(),
            value: envelope(key.clone(), submitted).encode_to_vec(),
        });
        if let Some(target) = submission.voids {
            let target = target.to_string();
            let voided = Event::StatementVoided(StatementVoided {
                target_statement_id: target.clone(),
                voiding_statement_id: key,
            });
            records.push(Record {
                key: target.clone().into_bytes(),
                value: envelope(target, voided).encode_to_vec(),
            });
        }
    }
    records
}

async fn append(state: &AppState, records: Vec<Record>) -> Result<Vec<Position>, ApiError> {
    state.disk_space.check()?;
    let count = records.len() as u64;
    let timer = metrics::LOG_APPEND_SECONDS
        .with_label_values(&[topics::STATEMENTS])
        .start_timer();
    let positions = state.log.append(topics::STATEMENTS, records).await?;
    timer.observe_duration();
    metrics::LOG_APPENDS.inc();
    metrics::LOG_APPENDED_RECORDS.inc_by(count);
    Ok(positions)
}

/// Reads the store's outcome for each submission (the first position of each pair of
/// records belongs to the `StatementSubmitted`), waiting at most the consistency wait
/// for all of them together. Any conflict answers 409; `checked_first` tells whether
/// the batch was checked against the store before it was appended (so a conflict now
/// is a concurrent writer's).
async fn check_outcomes(
    state: &AppState,
    submissions: &[&Submission],
    positions: &[Position],
    checked_first: bool,
) -> Result<(), ApiError> {
    let deadline = std::time::Instant::now() + state.limits.consistency_wait;
    let mut positions = positions.iter();
    let mut conflicts = Vec::new();
    for submission in submissions {
        let position = positions
            .next()
            .ok_or_else(|| ApiError::Internal("log returned too few positions".into()))?;
        if submission.voids.is_some() {
            positions.next();
        }
        state
            .statements
            .wait_folded(
                topics::STATEMENTS,
                position.partition,
                position.offset,
                deadline.saturating_duration_since(std::time::Instant::now()),
            )
            .await?;
        // the store records an outcome only for a statement it did not store
        let kind = match (state.statements).outcome(
            topics::STATEMENTS,
            position.partition,
            position.offset,
        )? {
            None => Kind::Accepted,
            Some(bytes) => StatementOutcome::decode(bytes.as_slice())
                .map_err(|_| ApiError::Internal(format!("outcome of {}", submission.id)))?
                .kind(),
        };
        let label = match kind {
            Kind::Accepted => "accepted",
            Kind::Duplicate => "duplicate",
            Kind::Conflict => {
                conflicts.push(submission.id);
                "conflict"
            }
            Kind::Unspecified => "unknown",
        };
        metrics::STATEMENTS_STORED.with_label_values(&[label]).inc();
    }
    match conflicts.first() {
        Some(id) if checked_first => Err(ApiError::Conflict(format!(
            "statement {id} was stored concurrently with different content"
        ))),
        Some(id) => Err(already_stored(*id)),
        None => Ok(()),
    }
}
