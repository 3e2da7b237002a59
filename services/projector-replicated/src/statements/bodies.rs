//! A stored statement's body, wherever the store keeps it: its own submission event in
//! the log, when the log reads events in place (the embedded log; [`codec::Record::body_at`]
//! is then [`IN_LOG`]), else a copy in its partition's value log (`codec::body`).
//! Either way a sealed body is opened with its learner's key, and one sealed for a
//! learner erased since reads as never stored.

use super::codec::{self, BodyJson};
use learnlog_keys::LearnerKeys;
use learnlog_proto::v1::{envelope::Event, Envelope};
use learnlog_proto::Message;
use uuid::Uuid;

/// [`codec::Record::body_at`] of a statement whose body is its submission event in the log, at
/// the statement's position.
pub(crate) const IN_LOG: u64 = u64::MAX;

/// Why a body did not open.
#[derive(Debug)]
pub(crate) enum Unopened {
    /// The bytes are not a body (or not a statement's submission event).
    Corrupt(String),
    /// The learner's key store failed.
    Keys(learnlog_keys::Error),
}

impl Unopened {
    pub(crate) fn into_fold_error(self, what: &str) -> learnlog_projection::FoldError {
        match self {
            Unopened::Corrupt(reason) => {
                learnlog_projection::FoldError::BadEvent(format!("{what}: {reason}"))
            }
            Unopened::Keys(error) => learnlog_projector::sealing::key_fold_error(what, error),
        }
    }
}

impl std::fmt::Display for Unopened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unopened::Corrupt(reason) => f.write_str(reason),
            Unopened::Keys(error) => write!(f, "{error}"),
        }
    }
}

/// The id and JSON of the statement of `tenant` whose body is `bytes`: the submission
/// event when `in_log`, else a value-log body. `None` when it is sealed for a learner
/// erased since.
pub(crate) fn open(
    keys: &LearnerKeys,
    tenant: &str,
    bytes: &[u8],
    in_log: bool,
) -> Result<Option<(Uuid, Vec<u8>)>, Unopened> {
    if in_log {
        return open_event(keys, tenant, bytes);
    }
    let corrupt = || Unopened::Corrupt("statement body malformed".into());
    match codec::split_body(bytes).ok_or_else(corrupt)? {
        (id, BodyJson::Plain(json)) => Ok(Some((id, json.to_vec()))),
        (id, BodyJson::Sealed { learner, sealed }) => {
            learnlog_projector::sealing::open_statement(keys, tenant, learner, id, sealed)
                .map(|json| json.map(|json| (id, json)))
                .map_err(Unopened::Keys)
        }
    }
}

fn open_event(
    keys: &LearnerKeys,
    tenant: &str,
    bytes: &[u8],
) -> Result<Option<(Uuid, Vec<u8>)>, Unopened> {
    let envelope = Envelope::decode(bytes)
        .map_err(|e| Unopened::Corrupt(format!("statement event undecodable: {e}")))?;
    let Some(Event::StatementSubmitted(submitted)) = &envelope.event else {
        return Err(Unopened::Corrupt(
            "not a statement's submission event".into(),
        ));
    };
    let id = Uuid::parse_str(&submitted.statement_id)
        .map_err(|_| Unopened::Corrupt("statement_id is not a uuid".into()))?;
    let opened =
        learnlog_projector::sealing::submitted_json(keys, tenant, submitted).map_err(|error| {
            match error {
                learnlog_projector::sealing::SubmittedError::Keys(error) => Unopened::Keys(error),
                malformed => Unopened::Corrupt(malformed.to_string()),
            }
        })?;
    Ok(opened.map(|opened| (id, opened.json.into_owned())))
}
