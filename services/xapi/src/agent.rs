//! Agents, Groups and their inverse functional identifiers (§2.3, §2.10): the
//! validation used wherever an actor appears, IFI identity keys, and the
//! `agent` query parameter.

use serde_json::Value;

use crate::batch::parse_json;
use crate::error::{Result, ValidationError};
use crate::formats;
use crate::json::{iri, required, strict_object, string};
use crate::path::At;

/// The inverse functional identifier properties.
const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];
const AGENT_KEYS: [&str; 6] = [
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];
const GROUP_KEYS: [&str; 7] = [
    "objectType",
    "name",
    "member",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];

/// What a position in a statement accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// An Agent or a Group; `objectType` may be omitted for an Agent.
    AgentOrGroup,
    /// An Agent or a Group with `objectType` present (a statement object).
    AgentOrGroupTyped,
    /// An Agent only (Group members, contextAgents).
    Agent,
    /// A Group only (`context.team`, contextGroups).
    Group,
}

/// What a validated actor turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Actor {
    Agent,
    Group { identified: bool, members: usize },
}

/// Validates an Agent or Group at `at` for the position `expect`.
pub(crate) fn validate_actor(value: &Value, at: &At<'_>, expect: Expect) -> Result<Actor> {
    let map = value
        .as_object()
        .ok_or_else(|| at.error("must be an agent or group object"))?;
    let is_group = match map.get("objectType") {
        None if expect == Expect::AgentOrGroupTyped => {
            return Err(at
                .key("objectType")
                .error("is required for an agent or group used as a statement object"))
        }
        None if expect == Expect::Group => {
            return Err(at.key("objectType").error("must be \"Group\""));
        }
        None => false,
        Some(Value::String(kind)) if kind == "Agent" => false,
        Some(Value::String(kind)) if kind == "Group" => true,
        Some(Value::String(_)) => {
            return Err(at.key("objectType").error("must be \"Agent\" or \"Group\""))
        }
        Some(_) => return Err(at.key("objectType").error("must be a string")),
    };
    if is_group && expect == Expect::Agent {
        return Err(at.error("must be an agent, not a group"));
    }
    if !is_group && expect == Expect::Group {
        return Err(at.key("objectType").error("must be \"Group\""));
    }
    let (what, keys): (&str, &[&str]) = if is_group {
        ("a group", &GROUP_KEYS)
    } else {
        ("an agent", &AGENT_KEYS)
    };
    let map = strict_object(value, at, what, keys)?;
    if let Some(name) = map.get("name") {
        string(name, &at.key("name"))?;
    }
    let mut ifis = 0;
    for key in IFIS {
        if let Some(ifi) = map.get(key) {
            validate_ifi(key, ifi, &at.key(key))?;
            ifis += 1;
        }
    }
    if !is_group {
        if ifis != 1 {
            return Err(
                at.error("an agent must have exactly one of mbox, mbox_sha1sum, openid or account")
            );
        }
        return Ok(Actor::Agent);
    }
    if ifis > 1 {
        return Err(
            at.error("a group must have at most one of mbox, mbox_sha1sum, openid or account")
        );
    }
    let members = match map.get("member") {
        Some(member) => {
            let here = at.key("member");
            let list = member
                .as_array()
                .ok_or_else(|| here.error("must be an array of agents"))?;
            for (i, item) in list.iter().enumerate() {
                validate_actor(item, &here.index(i), Expect::Agent)?;
            }
            list.len()
        }
        None if ifis == 0 => {
            return Err(at.key("member").error("is required for an anonymous group"));
        }
        None => 0,
    };
    Ok(Actor::Group {
        identified: ifis == 1,
        members,
    })
}

/// Validates a statement's `authority`: an Agent, or an anonymous Group of
/// exactly two Agents (an OAuth consumer and a user).
pub(crate) fn validate_authority(value: &Value, at: &At<'_>) -> Result<()> {
    match validate_actor(value, at, Expect::AgentOrGroup)? {
        Actor::Agent => Ok(()),
        Actor::Group {
            identified: false,
            members: 2,
        } => Ok(()),
        Actor::Group {
            identified: true, ..
        } => Err(at.error("an authority group must be anonymous")),
        Actor::Group { .. } => Err(at
            .key("member")
            .error("an authority group must have exactly two agents")),
    }
}

fn validate_ifi(key: &str, value: &Value, at: &At<'_>) -> Result<()> {
    match key {
        "mbox" => {
            if !formats::is_mailto(string(value, at)?) {
                return Err(at.error("must be \"mailto:\" followed by an email address"));
            }
        }
        "mbox_sha1sum" => {
            if !formats::is_hex_of_len(string(value, at)?, 40) {
                return Err(at.error("must be 40 hexadecimal characters"));
            }
        }
        "openid" => {
            iri(value, at)?;
        }
        _ => {
            let map = strict_object(value, at, "an account", &["homePage", "name"])?;
            iri(required(map, at, "homePage")?, &at.key("homePage"))?;
            string(required(map, at, "name")?, &at.key("name"))?;
        }
    }
    Ok(())
}

/// The identity of an Agent or identified Group, by IFI: `mbox:mailto:a@b.c`,
/// `mbox_sha1sum:<hex>`, `openid:<uri>`, `account:<homePage>|<name>`. `None` for
/// anonymous groups, several IFIs, or an invalid IFI value. `name` is ignored.
pub fn agent_ifi_key(agent: &Value) -> Option<String> {
    let map = agent.as_object()?;
    let mut present = IFIS.iter().filter_map(|&key| Some((key, map.get(key)?)));
    let (key, value) = present.next()?;
    if present.next().is_some() {
        return None;
    }
    validate_ifi(key, value, &At::root("")).ok()?;
    match value {
        Value::String(text) => Some(format!("{key}:{text}")),
        _ => {
            let home_page = value.get("homePage")?.as_str()?;
            let name = value.get("name")?.as_str()?;
            Some(format!("account:{home_page}|{name}"))
        }
    }
}

/// Parses and validates an `agent` query parameter: the JSON of an Agent or an
/// identified Group with exactly one IFI. Errors have paths under `agent`.
pub fn parse_agent_param(value: &str) -> Result<Value> {
    let at = At::root("agent");
    let agent = parse_json(value.as_bytes()).map_err(|rule| ValidationError::new("agent", rule))?;
    match validate_actor(&agent, &at, Expect::AgentOrGroup)? {
        Actor::Group {
            identified: false, ..
        } => Err(at.error("must identify an agent or group by exactly one of mbox, mbox_sha1sum, openid or account")),
        _ => Ok(agent),
    }
}
