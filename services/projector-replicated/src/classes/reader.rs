//! Reading classes: a roster, the tenant's classes, a learner's classes and when
//! learners were last active.

use super::{class_key, Class, ACTIVE, CLASSES, MEMBERS};
use learnlog_projection::Projection;
use learnlog_projector::days::Day;
use learnlog_projector::learners::learner_key;
use learnlog_projector::{tenant_prefix, Error, Result};
use uuid::Uuid;

/// Reads the classes projection. Cheap to clone.
#[derive(Clone)]
pub struct ClassReader {
    classes: learnlog_projection::StoreTree,
    members: learnlog_projection::StoreTree,
    active: learnlog_projection::StoreTree,
}

fn decode(bytes: &[u8]) -> Result<Class> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt(format!("class: {e}")))
}

impl ClassReader {
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            classes: projection.tree(CLASSES),
            members: projection.tree(MEMBERS),
            active: projection.tree(ACTIVE),
        })
    }

    pub fn class(&self, tenant: &str, id: &str) -> Result<Option<Class>> {
        self.classes
            .get(class_key(tenant, id))?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    /// The tenant's classes, by id.
    pub fn list(&self, tenant: &str) -> Result<Vec<Class>> {
        self.classes
            .scan_prefix(tenant_prefix(tenant))
            .values()
            .map(|bytes| decode(&bytes?))
            .collect()
    }

    /// The ids of the classes `learner` is a member of.
    pub fn classes_of(&self, tenant: &str, learner: Uuid) -> Result<Vec<String>> {
        let prefix = learner_key(tenant, learner);
        self.members
            .scan_prefix(&prefix)
            .keys()
            .map(|key| {
                String::from_utf8(key?[prefix.len()..].to_vec())
                    .map_err(|_| Error::Corrupt("class member key".into()))
            })
            .collect()
    }

    /// The UTC day `learner` last made a statement.
    pub fn last_active(&self, tenant: &str, learner: Uuid) -> Result<Option<Day>> {
        self.active
            .get(learner_key(tenant, learner))?
            .map(|bytes| {
                bytes
                    .as_ref()
                    .try_into()
                    .map(Day::from_be_bytes)
                    .map_err(|_| Error::Corrupt("last-active entry".into()))
            })
            .transpose()
    }

    /// The latest day anyone but `learner` in the learner's classes was active.
    pub fn peers_last_active(&self, tenant: &str, learner: Uuid) -> Result<Option<Day>> {
        let mut latest = None;
        for id in self.classes_of(tenant, learner)? {
            let Some(class) = self.class(tenant, &id)? else {
                continue;
            };
            for member in class.members.iter().filter(|m| m.learner != learner) {
                if let Some(at) = self.last_active(tenant, member.learner)? {
                    latest = Some(latest.map_or(at, |l: Day| l.max(at)));
                }
            }
        }
        Ok(latest)
    }
}
