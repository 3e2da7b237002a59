//! Agents the statement store has seen, for the Person object of GET /agents
//! (xAPI Communication §2.4 Agents Resource).
//!
//! Every Agent and identified Group an accepted statement names (actor, object,
//! authority, context instructor and team, contextAgents and contextGroups, group
//! members, and the same inside a SubStatement) adds its name and IFI to the set kept
//! under its IFI. A set union is order-independent, so partitions folding concurrently
//! give the same tree on every replay; the reader lists entries in tree order.
//!
//! Tree `agents.persons`: `tenant \0 ifi_len(u32 BE) ifi entry` -> empty, where `ifi`
//! is [`learnlog_xapi::agent_ifi_key`] and `entry` is a tag (`n` name, `m` mbox, `s`
//! mbox_sha1sum, `o` openid, `a` account) followed by the text; an account is
//! `homePage_len(u32 BE) homePage name`.
//!
//! Tree `agents.learner_persons`: `tenant \0 learner(16) partition(4) persons key` ->
//! empty, the entries the actor of a statement sealed for a learner added (on that
//! partition), so that erasing the learner removes them.

use learnlog_projection::Projection;
use learnlog_projection::{FoldError, FoldTrees};
use learnlog_projector::{tenant_prefix, Error, Result};
use learnlog_xapi::Person;
use serde_json::{json, Value};

pub(crate) const PERSONS: &str = "agents.persons";
pub(crate) const LEARNER_PERSONS: &str = "agents.learner_persons";

const TEXT_FIELDS: [(u8, &str); 4] = [
    (b'n', "name"),
    (b'm', "mbox"),
    (b's', "mbox_sha1sum"),
    (b'o', "openid"),
];

fn ifi_prefix(tenant: &str, ifi: &str) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(&(ifi.len() as u32).to_be_bytes());
    key.extend_from_slice(ifi.as_bytes());
    key
}

/// Records every identified Agent and Group `statement` names.
pub(crate) fn record(
    trees: &FoldTrees<'_>,
    tenant: &str,
    statement: &Value,
) -> Result<(), FoldError> {
    let tree = trees.tree(PERSONS);
    let mut agents = Vec::new();
    collect_statement(statement, &mut agents);
    for agent in agents {
        let Some(ifi) = learnlog_xapi::agent_ifi_key(agent) else {
            continue;
        };
        let prefix = ifi_prefix(tenant, &ifi);
        for entry in entries(agent) {
            let mut key = prefix.clone();
            key.extend_from_slice(&entry);
            // Most statements name agents already known: reading first avoids
            // rewriting an unchanged entry.
            if tree.get(&key)?.is_none() {
                tree.insert(key, &[])?;
            }
        }
    }
    Ok(())
}

/// Notes under `learner_prefix` (see the module doc) the entries the actor of
/// `statement` has in `agents.persons` (written by [`record`]).
pub(crate) fn record_learner_actor(
    trees: &FoldTrees<'_>,
    tenant: &str,
    learner_prefix: &[u8],
    statement: &Value,
) -> Result<(), FoldError> {
    let Some(actor) = statement.get("actor") else {
        return Ok(());
    };
    let Some(ifi) = learnlog_xapi::agent_ifi_key(actor) else {
        return Ok(());
    };
    let tree = trees.tree(LEARNER_PERSONS);
    let prefix = ifi_prefix(tenant, &ifi);
    for entry in entries(actor) {
        let mut key = learner_prefix.to_vec();
        key.extend_from_slice(&prefix);
        key.extend_from_slice(&entry);
        if tree.get(&key)?.is_none() {
            tree.insert(key, &[])?;
        }
    }
    Ok(())
}

/// Removes from `agents.persons` every entry noted under `learner_prefix`, and the
/// notes (a committed range of the erasure event, see `statements::erasure`).
pub(crate) fn erase_learner_actor(
    trees: &FoldTrees<'_>,
    learner_prefix: &[u8],
) -> Result<(), FoldError> {
    let notes = trees.tree(LEARNER_PERSONS);
    let persons = trees.tree(PERSONS);
    for key in trees.committed_keys(LEARNER_PERSONS, learner_prefix) {
        persons.remove(&key[learner_prefix.len()..])?;
        notes.remove(key.as_ref())?;
    }
    Ok(())
}

/// The name and IFI of an Agent or Group as entry suffixes.
fn entries(agent: &Value) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (tag, field) in TEXT_FIELDS {
        if let Some(text) = agent.get(field).and_then(Value::as_str) {
            let mut entry = vec![tag];
            entry.extend_from_slice(text.as_bytes());
            out.push(entry);
        }
    }
    if let Some(account) = agent.get("account") {
        let field = |key: &str| account.get(key).and_then(Value::as_str);
        if let (Some(home_page), Some(name)) = (field("homePage"), field("name")) {
            let mut entry = vec![b'a'];
            entry.extend_from_slice(&(home_page.len() as u32).to_be_bytes());
            entry.extend_from_slice(home_page.as_bytes());
            entry.extend_from_slice(name.as_bytes());
            out.push(entry);
        }
    }
    out
}

fn collect_statement<'a>(statement: &'a Value, out: &mut Vec<&'a Value>) {
    if let Some(actor) = statement.get("actor") {
        collect_agent(actor, out);
    }
    if let Some(object) = statement.get("object") {
        match object.get("objectType").and_then(Value::as_str) {
            Some("Agent" | "Group") => collect_agent(object, out),
            Some("SubStatement") => collect_statement(object, out),
            _ => {}
        }
    }
    if let Some(authority) = statement.get("authority") {
        collect_agent(authority, out);
    }
    let Some(context) = statement.get("context") else {
        return;
    };
    for key in ["instructor", "team"] {
        if let Some(agent) = context.get(key) {
            collect_agent(agent, out);
        }
    }
    for (list, key) in [("contextAgents", "agent"), ("contextGroups", "group")] {
        for item in context
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(agent) = item.get(key) {
                collect_agent(agent, out);
            }
        }
    }
}

/// The agent itself and, for a Group, its members.
fn collect_agent<'a>(agent: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(agent);
    for member in agent
        .get("member")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push(member);
    }
}

/// Reads Persons. Cheap to clone.
#[derive(Clone)]
pub struct AgentReader {
    persons: learnlog_projection::StoreTree,
}

impl AgentReader {
    /// A reader over the statement store projection's database.
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            persons: projection.tree(PERSONS),
        })
    }

    /// Everything stored statements said about the agent with `agent`'s IFI; a Person
    /// built from `agent` itself when they said nothing (or `agent` has no single IFI).
    pub fn person(&self, tenant: &str, agent: &Value) -> Result<Person> {
        let Some(ifi) = learnlog_xapi::agent_ifi_key(agent) else {
            return Ok(Person::from_agent(agent));
        };
        let prefix = ifi_prefix(tenant, &ifi);
        let mut person = Person::new();
        for entry in self.persons.scan_prefix(&prefix) {
            let (key, _) = entry?;
            let corrupt = || Error::Corrupt(format!("person entry of {ifi}"));
            let (&tag, rest) = key[prefix.len()..].split_first().ok_or_else(corrupt)?;
            let text = |bytes: &[u8]| {
                std::str::from_utf8(bytes)
                    .map(str::to_owned)
                    .map_err(|_| corrupt())
            };
            let part = if tag == b'a' {
                let length = rest
                    .get(..4)
                    .and_then(|bytes| bytes.try_into().ok())
                    .map(u32::from_be_bytes)
                    .ok_or_else(corrupt)? as usize;
                let home_page = rest.get(4..4 + length).ok_or_else(corrupt)?;
                let name = &rest[4 + length..];
                json!({"account": {"homePage": text(home_page)?, "name": text(name)?}})
            } else {
                let (_, field) = TEXT_FIELDS
                    .iter()
                    .find(|(known, _)| *known == tag)
                    .ok_or_else(corrupt)?;
                json!({ *field: text(rest)? })
            };
            person.add(&part);
        }
        if person.is_empty() {
            return Ok(Person::from_agent(agent));
        }
        Ok(person)
    }
}
