//! The secondary indexes of the statement store, written by the fold in the same
//! commit as the statement (the filters of xAPI Communication §2.1.3 GET Statements).
//!
//! Each index is its own tree of runs (`runs`): the statements filed under one value, in
//! stored order, under the prefix `tenant \0 value_hash(16) shard(4 BE)` (one run per
//! partition for values most statements share, one run for the others, see
//! [`IndexKind::shard`]), each entry the statement's position and where its body is
//! (`bodies`), so every filter is a merge of a few runs in stored order (`scan`). The
//! value (an IFI, a verb or activity IRI, a registration) is filed under the first 16
//! bytes of its SHA-256 ([`value_prefix`]): IRIs of any length cost 16 bytes, and two
//! values meet only by a SHA-256 collision on 128 bits. What a statement contributes by
//! its own content is [`own_entries`]; the query engine post-filters with the same
//! function, so the index and the filter semantics cannot drift apart.
//!
//! The related kinds include their direct kind (an actor is also a related agent), but
//! an entry is written once: a related entry whose value the statement also has under
//! the direct kind is filed only in the direct kind's tree ([`IndexKind::direct`]), and
//! a related query scans both trees, merged in stored order.
//!
//! StatementRef rule (XAPI-00162): a statement whose object is a StatementRef also
//! matches whatever its target matches, recursively. The fold keeps `refs`
//! (`tenant \0 target(16)` -> sorted referencing ids) and indexes a statement under the
//! entries of every *stored* statement along its target chain; when a statement is
//! accepted, its chain's entries are added to every stored statement that reaches it
//! through `refs`. Entries are only ever added, so the result does not depend on the
//! order statements arrive in.

use super::bodies;
use super::codec::{self, Record};
use super::runs;
use super::BY_ID;
use learnlog_keys::LearnerKeys;
use learnlog_projection::{FoldError, FoldTrees};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

pub(crate) const BY_AGENT: &str = "statements.by_agent";
pub(crate) const BY_RELATED_AGENT: &str = "statements.by_related_agent";
pub(crate) const BY_VERB: &str = "statements.by_verb";
pub(crate) const BY_ACTIVITY: &str = "statements.by_activity";
pub(crate) const BY_RELATED_ACTIVITY: &str = "statements.by_related_activity";
pub(crate) const BY_REGISTRATION: &str = "statements.by_registration";
pub(crate) const REFS: &str = "statements.refs";

/// Longest StatementRef chain followed; longer chains (only possible with client-chosen
/// ids) stop there, deterministically.
const MAX_CHAIN: usize = 16;
/// Most referencing statements updated when one target is accepted.
const MAX_PROPAGATION: usize = 10_000;

/// One secondary index: which filter it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexKind {
    /// Actor or object IFI, and members of an actor or object Group.
    Agent,
    /// [`IndexKind::Agent`] plus authority, instructor, team, contextAgents,
    /// contextGroups, and the same inside a SubStatement.
    RelatedAgent,
    Verb,
    /// The object Activity's id.
    Activity,
    /// [`IndexKind::Activity`] plus contextActivities of every kind, and a
    /// SubStatement's object Activity and contextActivities.
    RelatedActivity,
    /// `context.registration`, as a lowercase hyphenated UUID.
    Registration,
}

impl IndexKind {
    pub(crate) const ALL: [IndexKind; 6] = [
        IndexKind::Agent,
        IndexKind::RelatedAgent,
        IndexKind::Verb,
        IndexKind::Activity,
        IndexKind::RelatedActivity,
        IndexKind::Registration,
    ];

    /// The kind a related kind includes, whose tree holds the entries both have.
    pub(crate) fn direct(self) -> Option<IndexKind> {
        match self {
            IndexKind::RelatedAgent => Some(IndexKind::Agent),
            IndexKind::RelatedActivity => Some(IndexKind::Activity),
            _ => None,
        }
    }

    /// The run a statement of `partition` is filed in, among a value's runs: a kind
    /// whose values most statements share (a verb, a course, the authority) keeps a run
    /// per partition, so each partition's fold appends in order; a kind whose values
    /// few statements share (a learner, an item, a registration) keeps one run, so a
    /// value's statements gather in blocks sooner.
    pub(crate) fn shard(self, partition: u32) -> u32 {
        match self {
            IndexKind::Verb | IndexKind::RelatedAgent | IndexKind::RelatedActivity => partition,
            IndexKind::Agent | IndexKind::Activity | IndexKind::Registration => 0,
        }
    }

    pub(crate) fn tree(self) -> &'static str {
        match self {
            IndexKind::Agent => BY_AGENT,
            IndexKind::RelatedAgent => BY_RELATED_AGENT,
            IndexKind::Verb => BY_VERB,
            IndexKind::Activity => BY_ACTIVITY,
            IndexKind::RelatedActivity => BY_RELATED_ACTIVITY,
            IndexKind::Registration => BY_REGISTRATION,
        }
    }
}

/// One index entry: the index and the value a statement is filed under.
pub type Entry = (IndexKind, String);

/// `tenant \0 value_hash(16)`: the prefix of every key of one value.
pub(crate) fn value_prefix(tenant: &str, value: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut key = learnlog_projector::tenant_prefix(tenant);
    key.extend_from_slice(&Sha256::digest(value.as_bytes())[..16]);
    key
}

/// The entries a statement contributes by its own content.
pub fn own_entries(statement: &Value) -> BTreeSet<Entry> {
    let mut entries = BTreeSet::new();
    let mut agents = BTreeSet::new();
    let mut related = BTreeSet::new();
    actor_keys(statement.get("actor"), &mut agents);
    if let Some(object) = statement.get("object") {
        if matches!(object_type(object), Some("Agent" | "Group")) {
            actor_keys(Some(object), &mut agents);
        }
        if object_type(object) == Some("SubStatement") {
            actor_keys(object.get("actor"), &mut related);
            if matches!(
                object_type_of(object.get("object")),
                Some("Agent" | "Group")
            ) {
                actor_keys(object.get("object"), &mut related);
            }
            context_agents(object.get("context"), &mut related);
        }
    }
    actor_keys(statement.get("authority"), &mut related);
    context_agents(statement.get("context"), &mut related);
    related.extend(agents.iter().cloned());
    entries.extend(agents.into_iter().map(|a| (IndexKind::Agent, a)));
    entries.extend(related.into_iter().map(|a| (IndexKind::RelatedAgent, a)));

    if let Some(verb) = statement.pointer("/verb/id").and_then(Value::as_str) {
        entries.insert((IndexKind::Verb, verb.to_owned()));
    }
    let mut activities = BTreeSet::new();
    if let Some(object) = statement.get("object") {
        if let Some(id) = activity_id(object) {
            entries.insert((IndexKind::Activity, id.to_owned()));
            activities.insert(id.to_owned());
        }
        if object_type(object) == Some("SubStatement") {
            if let Some(id) = object.get("object").and_then(activity_id) {
                activities.insert(id.to_owned());
            }
            context_activities(object.get("context"), &mut activities);
        }
    }
    context_activities(statement.get("context"), &mut activities);
    entries.extend(
        activities
            .into_iter()
            .map(|a| (IndexKind::RelatedActivity, a)),
    );

    if let Some(registration) = statement
        .pointer("/context/registration")
        .and_then(Value::as_str)
        .and_then(|r| Uuid::parse_str(r).ok())
    {
        entries.insert((IndexKind::Registration, registration.to_string()));
    }
    entries.retain(|(_, value)| !value.as_bytes().contains(&0));
    entries
}

/// The id of the statement this one's object refers to, if it is a StatementRef.
pub fn ref_target(statement: &Value) -> Option<Uuid> {
    let object = statement.get("object")?;
    if object_type(object) != Some("StatementRef") {
        return None;
    }
    Uuid::parse_str(object.get("id")?.as_str()?).ok()
}

fn object_type(value: &Value) -> Option<&str> {
    value.get("objectType").and_then(Value::as_str)
}

fn object_type_of(value: Option<&Value>) -> Option<&str> {
    value.and_then(object_type)
}

fn activity_id(object: &Value) -> Option<&str> {
    match object_type(object) {
        None | Some("Activity") => object.get("id").and_then(Value::as_str),
        Some(_) => None,
    }
}

/// An Agent's or Group's IFI key, and those of a Group's members.
fn actor_keys(actor: Option<&Value>, into: &mut BTreeSet<String>) {
    let Some(actor) = actor else { return };
    if let Some(key) = learnlog_xapi::agent_ifi_key(actor) {
        into.insert(key);
    }
    if let Some(members) = actor.get("member").and_then(Value::as_array) {
        into.extend(members.iter().filter_map(learnlog_xapi::agent_ifi_key));
    }
}

fn context_agents(context: Option<&Value>, into: &mut BTreeSet<String>) {
    let Some(context) = context else { return };
    actor_keys(context.get("instructor"), into);
    actor_keys(context.get("team"), into);
    for item in list(context.get("contextAgents")) {
        actor_keys(item.get("agent"), into);
    }
    for item in list(context.get("contextGroups")) {
        actor_keys(item.get("group"), into);
    }
}

fn context_activities(context: Option<&Value>, into: &mut BTreeSet<String>) {
    let Some(kinds) = context.and_then(|c| c.get("contextActivities")) else {
        return;
    };
    for kind in ["parent", "grouping", "category", "other"] {
        for activity in list(kinds.get(kind)) {
            if let Some(id) = activity.get("id").and_then(Value::as_str) {
                into.insert(id.to_owned());
            }
        }
    }
}

/// An array's items, or a single object as a one-item list.
fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other @ Value::Object(_)) => vec![other],
        _ => Vec::new(),
    }
}

fn fold_error(error: impl std::fmt::Display) -> FoldError {
    FoldError::BadEvent(error.to_string())
}

fn decode(bytes: &[u8]) -> Result<Record, FoldError> {
    Record::decode(bytes).ok_or_else(|| fold_error("stored record corrupt"))
}

/// The JSON of the stored statement `record` of `tenant` points at: `None` when it was
/// sealed for a learner since erased.
pub(crate) fn stored_json(
    trees: &FoldTrees<'_>,
    keys: &LearnerKeys,
    tenant: &str,
    record: Record,
) -> Result<Option<Vec<u8>>, FoldError> {
    let in_log = record.body_at == bodies::IN_LOG;
    let bytes = if in_log {
        trees.read_event(record.position.partition, record.position.offset)?
    } else {
        trees.read_value(record.position.partition, record.body_at)?
    };
    let opened = bodies::open(keys, tenant, &bytes, in_log)
        .map_err(|e| e.into_fold_error(&format!("stored statement at {:?}", record.position)))?;
    Ok(opened.map(|(_, json)| json))
}

/// Files the statement `at` under `entries`, in the runs of its partition.
fn write_entries(
    trees: &FoldTrees<'_>,
    tenant: &str,
    entries: &BTreeSet<Entry>,
    at: Record,
) -> Result<(), FoldError> {
    for (kind, value) in entries {
        let filed_as_direct = kind
            .direct()
            .is_some_and(|direct| entries.contains(&(direct, value.clone())));
        if filed_as_direct {
            continue;
        }
        let run = codec::run(
            &value_prefix(tenant, value),
            kind.shard(at.position.partition),
        );
        runs::add(
            &trees.tree(kind.tree()),
            codec::POSITIONS,
            &run,
            &at.encode(),
        )?;
    }
    Ok(())
}

fn referrers(trees: &FoldTrees<'_>, tenant: &str, target: Uuid) -> Result<Vec<Uuid>, FoldError> {
    let Some(value) = trees.tree(REFS).get(codec::id_key(tenant, target))? else {
        return Ok(Vec::new());
    };
    Ok(value
        .chunks_exact(16)
        .filter_map(|bytes| Uuid::from_slice(bytes).ok())
        .collect())
}

/// Records `referrer -> target`, keeping the list sorted so replay gives equal bytes.
fn add_referrer(
    trees: &FoldTrees<'_>,
    tenant: &str,
    target: Uuid,
    referrer: Uuid,
) -> Result<(), FoldError> {
    let mut list = referrers(trees, tenant, target)?;
    if let Err(at) = list.binary_search(&referrer) {
        list.insert(at, referrer);
        let value: Vec<u8> = list.iter().flat_map(|id| *id.as_bytes()).collect();
        trees
            .tree(REFS)
            .insert(codec::id_key(tenant, target), value)?;
    }
    Ok(())
}

/// Indexes a statement the fold just accepted, and every stored statement whose
/// StatementRef chain reaches it.
pub(crate) fn index_accepted(
    trees: &FoldTrees<'_>,
    keys: &LearnerKeys,
    tenant: &str,
    id: Uuid,
    statement: Record,
    json: &Value,
) -> Result<(), FoldError> {
    let by_id = trees.tree(BY_ID);
    let mut entries = own_entries(json);
    let mut seen = HashSet::from([id]);
    let mut next = ref_target(json);
    while let Some(target) = next {
        if seen.len() >= MAX_CHAIN || !seen.insert(target) {
            break;
        }
        let Some(record) = by_id.get(codec::id_key(tenant, target))? else {
            break;
        };
        let target_json = stored_json(trees, keys, tenant, decode(&record)?)?
            .and_then(|json| serde_json::from_slice::<Value>(&json).ok());
        let Some(target_json) = target_json else {
            break;
        };
        entries.extend(own_entries(&target_json));
        next = ref_target(&target_json);
    }
    write_entries(trees, tenant, &entries, statement)?;
    if let Some(target) = ref_target(json) {
        add_referrer(trees, tenant, target, id)?;
    }

    let mut reached = HashSet::from([id]);
    let mut queue = referrers(trees, tenant, id)?;
    while let Some(referrer) = queue.pop() {
        if reached.len() > MAX_PROPAGATION || !reached.insert(referrer) {
            continue;
        }
        let Some(record) = by_id.get(codec::id_key(tenant, referrer))? else {
            continue;
        };
        write_entries(trees, tenant, &entries, decode(&record)?)?;
        queue.extend(referrers(trees, tenant, referrer)?);
    }
    Ok(())
}
