//! Statement forwardings: where a tenant's accepted statements are delivered (another
//! xAPI LRS or a webhook), which of them, and from where on the log. Definitions are
//! `ForwardingSet` / `ForwardingRemoved` events on the one-partition `forwardings` topic,
//! folded whole by every process, so whichever process delivers finds them; delivery
//! progress is the delivering process's own (see the API's forwarder).
//!
//! Tree: `forwardings.definitions` (`tenant \0 id` → [`Forwarding`] as JSON).

mod reader;

pub use reader::ForwardingReader;

use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::stored_json::{read_json, write_json};
use learnlog_projector::{Error, Result};
use learnlog_proto::topics;
use learnlog_proto::v1::{envelope::Event, Envelope, ForwardingRemoved, ForwardingSet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub(crate) const DEFINITIONS: &str = "forwardings.definitions";

/// What receives the statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// An xAPI LRS: statements are POSTed to `{url}/statements` as an array, with the
    /// `X-Experience-API-Version` header.
    Xapi,
    /// Any HTTP endpoint: statements are POSTed to `url` as a JSON array.
    Webhook,
}

/// How the forwarder signs in at the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum TargetAuth {
    Basic { username: String, password: String },
    Bearer { token: String },
}

/// Where statements go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub kind: TargetKind,
    /// `http://` or `https://`; for `xapi`, the LRS's endpoint (the part before
    /// `/statements`).
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<TargetAuth>,
}

/// Which statements go: all criteria given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardingFilter {
    /// The verb id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verb: Option<String>,
    /// The object's activity id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// The actor, as an agent (JSON) or a learner id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<serde_json::Value>,
    /// The learner id of `agent`, resolved when the forwarding was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learner: Option<Uuid>,
}

/// A stored forwarding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarding {
    pub id: String,
    pub target: Target,
    #[serde(default)]
    pub filter: ForwardingFilter,
    /// The next offset to deliver in each partition of the statements topic when the
    /// forwarding was created (from the start: zeros; from then on: the log's end).
    pub start: Vec<u64>,
    /// When it was created: a forwarding removed and created again under the same id
    /// starts over rather than resuming the old one's progress.
    pub created_micros: i64,
    /// When it was last set (the event's `produced_at_micros`).
    #[serde(default)]
    pub updated_micros: i64,
}

/// What the fold decided for a forwarding event (the outcome a writer waits for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForwardingOutcome {
    Created,
    Replaced,
    Removed,
    NotFound,
}

impl ForwardingOutcome {
    fn encode(self) -> Vec<u8> {
        vec![match self {
            Self::Created => 1,
            Self::Replaced => 2,
            Self::Removed => 3,
            Self::NotFound => 4,
        }]
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [1] => Some(Self::Created),
            [2] => Some(Self::Replaced),
            [3] => Some(Self::Removed),
            [4] => Some(Self::NotFound),
            _ => None,
        }
    }
}

/// A forwarding id: 1 to 128 letters, digits, `-`, `_`, `.`.
pub fn check_forwarding_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && (id.chars()).all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "forwarding id: {id:?} must be 1 to 128 letters, digits, '-', '_' or '.'"
        )))
    }
}

fn check_target(target: &Target) -> Result<()> {
    let url = target.url.as_str();
    let rest = (url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| Error::Invalid(format!("target.url: {url:?} is not http(s)://")))?;
    if rest.is_empty()
        || rest.starts_with('/')
        || url.len() > 2_000
        || url.contains(char::is_whitespace)
    {
        return Err(Error::Invalid(format!("target.url: {url:?} names no host")));
    }
    Ok(())
}

fn envelope(tenant: &str, id: &str, at: i64, event: Event) -> Envelope {
    Envelope {
        event_id: Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: id.to_owned(),
        produced_at_micros: at,
        event: Some(event),
    }
}

/// The `ForwardingSet` envelope of a checked definition.
pub fn forwarding_set(tenant: &str, forwarding: &Forwarding, at: i64) -> Result<Envelope> {
    check_forwarding_id(&forwarding.id)?;
    check_target(&forwarding.target)?;
    let definition_json = serde_json::to_vec(forwarding)
        .map_err(|e| Error::Invalid(format!("forwarding does not encode: {e}")))?;
    Ok(envelope(
        tenant,
        &forwarding.id,
        at,
        Event::ForwardingSet(ForwardingSet {
            forwarding_id: forwarding.id.clone(),
            definition_json,
        }),
    ))
}

/// The `ForwardingRemoved` envelope.
pub fn forwarding_removed(tenant: &str, id: &str, at: i64) -> Result<Envelope> {
    check_forwarding_id(id)?;
    Ok(envelope(
        tenant,
        id,
        at,
        Event::ForwardingRemoved(ForwardingRemoved {
            forwarding_id: id.to_owned(),
        }),
    ))
}

pub(crate) fn forwarding_key(tenant: &str, id: &str) -> Vec<u8> {
    let mut key = learnlog_projector::tenant_prefix(tenant);
    key.extend_from_slice(id.as_bytes());
    key
}

/// The forwarding definitions fold.
#[derive(Debug, Default)]
pub struct ForwardingStore;

impl ForwardingStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "forwardings";
}

impl Fold for ForwardingStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::FORWARDINGS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[DEFINITIONS]
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        let tenant = &event.tenant;
        let definitions = trees.tree(DEFINITIONS);
        let outcome = match &event.event {
            Some(Event::ForwardingSet(set)) => {
                let mut forwarding: Forwarding = serde_json::from_slice(&set.definition_json)
                    .map_err(|e| FoldError::BadEvent(format!("forwarding definition: {e}")))?;
                if forwarding.id != set.forwarding_id {
                    return Err(FoldError::BadEvent("forwarding ids differ".into()));
                }
                forwarding.updated_micros = event.produced_at_micros;
                let key = forwarding_key(tenant, &forwarding.id);
                let previous: Option<Forwarding> = read_json(definitions, &key, "forwarding")?;
                write_json(definitions, key, &forwarding)?;
                match previous {
                    Some(_) => ForwardingOutcome::Replaced,
                    None => ForwardingOutcome::Created,
                }
            }
            Some(Event::ForwardingRemoved(removed)) => {
                let key = forwarding_key(tenant, &removed.forwarding_id);
                if definitions.get(&key)?.is_some() {
                    definitions.remove(key)?;
                    ForwardingOutcome::Removed
                } else {
                    ForwardingOutcome::NotFound
                }
            }
            _ => return Ok(Folded::default()),
        };
        Ok(Folded {
            outcome: Some(outcome.encode()),
        })
    }
}

#[cfg(test)]
mod tests;
