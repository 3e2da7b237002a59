//! A submitted statement's JSON, sealed for its actor learner or plain.
//!
//! The API seals a statement whose actor is a learner with that learner's data key
//! (`learnlog-keys`), the statement id as associated data; every reader of a
//! `StatementSubmitted` opens it here, and treats an erased learner's statement as
//! never submitted.

use learnlog_keys::{LearnerKeys, Opened};
use learnlog_proto::v1::StatementSubmitted;
use std::borrow::Cow;
use uuid::Uuid;

/// The associated data a statement's JSON is sealed with.
pub fn statement_context(statement_id: Uuid) -> [u8; 16] {
    *statement_id.as_bytes()
}

/// `json` of statement `id` sealed for `learner` of `tenant`.
pub fn seal_statement(
    keys: &LearnerKeys,
    tenant: &str,
    learner: Uuid,
    id: Uuid,
    json: &[u8],
) -> learnlog_keys::Result<Vec<u8>> {
    keys.seal(tenant, learner, &statement_context(id), json)
}

/// Opens the sealed JSON of statement `id` sealed for `learner` of `tenant`: `None`
/// when the learner is erased.
pub fn open_statement(
    keys: &LearnerKeys,
    tenant: &str,
    learner: Uuid,
    id: Uuid,
    sealed: &[u8],
) -> learnlog_keys::Result<Option<Vec<u8>>> {
    Ok(
        match keys.open_sealed(tenant, learner, &statement_context(id), sealed)? {
            Opened::Plain(json) => Some(json),
            Opened::Erased => None,
        },
    )
}

/// Why a submission's JSON could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SubmittedError {
    #[error("{0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Keys(#[from] learnlog_keys::Error),
}

/// A submitted statement's JSON, opened.
pub struct SubmittedJson<'a> {
    pub json: Cow<'a, [u8]>,
    /// The learner it was sealed for, if it was sealed.
    pub sealed_for: Option<Uuid>,
}

/// The JSON of `submitted` of `tenant`: `None` when it was sealed for a learner since
/// erased.
pub fn submitted_json<'a>(
    keys: &LearnerKeys,
    tenant: &str,
    submitted: &'a StatementSubmitted,
) -> Result<Option<SubmittedJson<'a>>, SubmittedError> {
    if submitted.sealed_for.is_empty() {
        return Ok(Some(SubmittedJson {
            json: Cow::Borrowed(&submitted.statement_json),
            sealed_for: None,
        }));
    }
    let learner = Uuid::parse_str(&submitted.sealed_for)
        .map_err(|_| SubmittedError::Malformed("sealed_for is not a learner id"))?;
    let id = Uuid::parse_str(&submitted.statement_id)
        .map_err(|_| SubmittedError::Malformed("statement_id is not a uuid"))?;
    let opened = open_statement(keys, tenant, learner, id, &submitted.sealed_statement_json)?;
    Ok(opened.map(|json| SubmittedJson {
        json: Cow::Owned(json),
        sealed_for: Some(learner),
    }))
}
