//! Building class events, checked field by field.

use learnlog_projector::{Error, Result};
use learnlog_proto::v1::{envelope::Event, ClassRemoved, ClassSet, Envelope};
use uuid::Uuid;

/// Most members of one class.
pub const MAX_MEMBERS: usize = 500;
/// Most teachers or frameworks of one class.
const MAX_LISTED: usize = 50;

/// A roster to store.
#[derive(Clone, Debug)]
pub struct ClassRequest {
    pub id: String,
    pub name: String,
    /// Each member's learner id and the member as given.
    pub members: Vec<(Uuid, String)>,
    pub teachers: Vec<String>,
    pub frameworks: Vec<String>,
}

/// A class id: 1 to 128 characters of letters, digits, `-`, `_`, `.`.
pub fn check_class_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "class id: {id:?} must be 1 to 128 letters, digits, '-', '_' or '.'"
        )))
    }
}

fn envelope(tenant: &str, class: &str, at: i64, event: Event) -> Envelope {
    Envelope {
        event_id: Uuid::new_v4().to_string(),
        tenant: tenant.to_owned(),
        key: class.to_owned(),
        produced_at_micros: at,
        event: Some(event),
    }
}

/// The `ClassSet` envelope of a roster.
pub fn class_set(tenant: &str, request: &ClassRequest, at: i64) -> Result<Envelope> {
    check_class_id(&request.id)?;
    if request.name.chars().count() > 200 {
        return Err(Error::Invalid("name: longer than 200 characters".into()));
    }
    if request.members.len() > MAX_MEMBERS {
        return Err(Error::Invalid(format!(
            "members: more than {MAX_MEMBERS} members"
        )));
    }
    for (name, list) in [
        ("teachers", &request.teachers),
        ("frameworks", &request.frameworks),
    ] {
        if list.len() > MAX_LISTED || list.iter().any(|t| t.is_empty() || t.len() > 512) {
            return Err(Error::Invalid(format!(
                "{name}: at most {MAX_LISTED} non-empty strings of at most 512 bytes"
            )));
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some((learner, given)) = request.members.iter().find(|(l, _)| !seen.insert(*l)) {
        return Err(Error::Invalid(format!(
            "members: {given} names learner {learner} a second time"
        )));
    }
    let set = ClassSet {
        class_id: request.id.clone(),
        name: request.name.clone(),
        learner_ids: request.members.iter().map(|(l, _)| l.to_string()).collect(),
        members: request.members.iter().map(|(_, g)| g.clone()).collect(),
        teachers: request.teachers.clone(),
        framework_ids: request.frameworks.clone(),
    };
    Ok(envelope(tenant, &request.id, at, Event::ClassSet(set)))
}

/// The `ClassRemoved` envelope of a class.
pub fn class_removed(tenant: &str, class: &str, at: i64) -> Result<Envelope> {
    check_class_id(class)?;
    let removed = ClassRemoved {
        class_id: class.to_owned(),
    };
    Ok(envelope(tenant, class, at, Event::ClassRemoved(removed)))
}
