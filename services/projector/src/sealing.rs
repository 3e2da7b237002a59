//! What identifies a learner in the log, sealed with their data key (`learnlog-keys`)
//! or plain.
//!
//! - A statement whose actor is a learner: its JSON, sealed in `StatementSubmitted`
//!   with the statement id as associated data. Every reader of a submission opens it
//!   here, and treats an erased learner's statement as never submitted.
//! - A document event keyed by a learner's agent: the whole event, wrapped in a
//!   `SealedEvent` with the envelope's event id as associated data; the document fold
//!   opens it here, and folds an erased learner's event as never appended.

use learnlog_keys::{LearnerKeys, Opened};
use learnlog_projection::FoldError;
use learnlog_proto::v1::{envelope::Event, Envelope, SealedEvent, StatementSubmitted};
use learnlog_proto::Message;
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

impl SubmittedError {
    /// What a fold makes of it: a batch to fold again when the keys cannot be reached
    /// now, an event to reject when it is damaged.
    pub fn into_fold_error(self, what: &str) -> FoldError {
        match self {
            SubmittedError::Keys(error) => key_fold_error(what, error),
            SubmittedError::Malformed(reason) => FoldError::BadEvent(format!("{what}: {reason}")),
        }
    }
}

/// What a fold makes of a key store error about `what`: see
/// [`SubmittedError::into_fold_error`].
pub fn key_fold_error(what: &str, error: learnlog_keys::Error) -> FoldError {
    if error.is_unavailable() {
        FoldError::Unavailable(format!("{what}: {error}"))
    } else {
        FoldError::BadEvent(format!("{what}: {error}"))
    }
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

/// `event` of the envelope `event_id` of `tenant`, sealed for `learner`.
pub fn seal_event(
    keys: &LearnerKeys,
    tenant: &str,
    learner: Uuid,
    event_id: &str,
    event: Event,
) -> learnlog_keys::Result<Event> {
    let inner = Envelope {
        event: Some(event),
        ..Envelope::default()
    };
    let sealed = keys.seal(tenant, learner, event_id.as_bytes(), &inner.encode_to_vec())?;
    Ok(Event::SealedEvent(SealedEvent {
        learner_id: learner.to_string(),
        sealed,
    }))
}

/// `envelope` with its sealed event opened: itself when nothing is sealed, `None` when
/// the event was sealed for a learner since erased.
pub fn open_event<'a>(
    keys: &LearnerKeys,
    envelope: &'a Envelope,
) -> Result<Option<Cow<'a, Envelope>>, SubmittedError> {
    let Some(Event::SealedEvent(sealed)) = &envelope.event else {
        return Ok(Some(Cow::Borrowed(envelope)));
    };
    let learner = Uuid::parse_str(&sealed.learner_id)
        .map_err(|_| SubmittedError::Malformed("learner_id is not a learner id"))?;
    let opened = keys.open_sealed(
        &envelope.tenant,
        learner,
        envelope.event_id.as_bytes(),
        &sealed.sealed,
    )?;
    let Opened::Plain(bytes) = opened else {
        return Ok(None);
    };
    let inner = Envelope::decode(bytes.as_slice())
        .map_err(|_| SubmittedError::Malformed("the sealed event does not decode"))?;
    if matches!(inner.event, Some(Event::SealedEvent(_)) | None) {
        return Err(SubmittedError::Malformed(
            "the sealed event is empty or sealed again",
        ));
    }
    Ok(Some(Cow::Owned(Envelope {
        event: inner.event,
        ..envelope.clone()
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use learnlog_proto::v1::DocumentDeleted;

    #[test]
    fn a_sealed_event_opens_to_itself_until_the_learner_is_erased() {
        let dir = tempfile::tempdir().unwrap();
        let keys = LearnerKeys::open(dir.path()).unwrap();
        let learner = Uuid::new_v4();
        let event = Event::DocumentDeleted(DocumentDeleted {
            agent_key: "mbox:mailto:ada@example.org".into(),
            document_id: "bookmark".into(),
            ..DocumentDeleted::default()
        });
        let envelope = Envelope {
            event_id: "e-1".into(),
            tenant: "t".into(),
            key: "k".into(),
            produced_at_micros: 7,
            event: Some(seal_event(&keys, "t", learner, "e-1", event.clone()).unwrap()),
        };
        let bytes = envelope.encode_to_vec();
        assert!(!bytes.windows(9).any(|w| w == b"ada@examp"), "sealed");
        let opened = open_event(&keys, &envelope).unwrap().unwrap();
        assert_eq!(opened.event.as_ref(), Some(&event));
        assert_eq!(
            (opened.tenant.as_str(), opened.produced_at_micros),
            ("t", 7)
        );
        // under another envelope id it does not open
        let moved = Envelope {
            event_id: "e-2".into(),
            ..envelope.clone()
        };
        assert!(open_event(&keys, &moved).is_err());

        keys.erase("t", learner).unwrap();
        assert!(open_event(&keys, &envelope).unwrap().is_none());
    }
}
