//! Which competencies an activity stands for, decided when a statement is
//! re-published (so the learner events record the answer and replay never asks again).
//!
//! In order, without repeats: the competencies listed by the activity definition's
//! skills extension (the statement's own definition, else the stored canonical one),
//! those set through the alignment API, then every `category` activity that names a
//! known competency (a CASE item URI). A listed reference that names a known
//! competency by URI becomes its id; an unknown one is kept as given.

use learnlog_projector_replicated::activities::ActivityReader;
use learnlog_projector_replicated::frameworks::FrameworkReader;
use serde_json::Value;

/// The default activity-definition extension listing competencies.
pub const DEFAULT_SKILLS_EXTENSION: &str = "https://example.org/xapi/extensions/skills";

/// Competencies known to learnlog: imported frameworks and the alignment table.
pub trait CompetencyDirectory: Send + Sync {
    /// Competencies aligned to `activity_id` through the alignment API.
    fn alignment(&self, tenant: &str, activity_id: &str) -> Result<Vec<String>, String>;
    /// The competency id a reference (id or CASE item URI) names, when known.
    fn resolve(&self, tenant: &str, reference: &str) -> Result<Option<String>, String>;
}

/// The frameworks projection is the directory.
impl CompetencyDirectory for FrameworkReader {
    fn alignment(&self, tenant: &str, activity_id: &str) -> Result<Vec<String>, String> {
        FrameworkReader::alignment(self, tenant, activity_id).map_err(|e| e.to_string())
    }
    fn resolve(&self, tenant: &str, reference: &str) -> Result<Option<String>, String> {
        FrameworkReader::resolve(self, tenant, reference).map_err(|e| e.to_string())
    }
}

/// Resolves statements' competencies.
pub struct Resolver {
    pub skills_extension: String,
    pub activities: ActivityReader,
    pub directory: Box<dyn CompetencyDirectory>,
}

fn listed(definition: Option<&Value>, extension: &str) -> Option<Vec<String>> {
    let list = definition?.get("extensions")?.get(extension)?;
    let items: Vec<&Value> = match list {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    Some(
        items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    )
}

impl Resolver {
    /// The competencies of `statement`'s activity, in order, without repeats.
    pub fn competencies(
        &self,
        tenant: &str,
        statement: &Value,
        activity_id: &str,
        category_ids: &[String],
    ) -> Result<Vec<String>, String> {
        let mut found: Vec<String> = Vec::new();
        let mut add = |id: String| {
            if !id.is_empty() && !found.contains(&id) {
                found.push(id);
            }
        };
        if !activity_id.is_empty() {
            let own = listed(
                statement.pointer("/object/definition"),
                &self.skills_extension,
            );
            let listed = match own {
                Some(list) => list,
                None => {
                    let canonical = self
                        .activities
                        .canonical(tenant, activity_id)
                        .map_err(|e| e.to_string())?;
                    listed(
                        canonical.as_ref().and_then(|a| a.get("definition")),
                        &self.skills_extension,
                    )
                    .unwrap_or_default()
                }
            };
            let aligned = self.directory.alignment(tenant, activity_id)?;
            for reference in listed.into_iter().chain(aligned) {
                let id = self.directory.resolve(tenant, &reference)?;
                add(id.unwrap_or(reference));
            }
        }
        for category in category_ids {
            if let Some(id) = self.directory.resolve(tenant, category)? {
                add(id);
            }
        }
        Ok(found)
    }
}
