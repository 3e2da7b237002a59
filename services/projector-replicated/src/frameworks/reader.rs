//! Reading the frameworks projection: frameworks and their competency trees,
//! competencies, references resolved to competency ids, and activity alignments.
//! [`FrameworkReader::resolve`], [`FrameworkReader::alignment`] and
//! [`FrameworkReader::prerequisites`] are point lookups, cheap enough to call per
//! statement.

use super::model::{Competency, Framework};
use super::{key, ALIGNMENTS, COMPETENCIES, FRAMEWORKS, URIS};
use learnlog_projection::Projection;
use learnlog_projector::{tenant_prefix, Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// One competency in a framework's tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TreeNode {
    pub identifier: String,
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub human_coding_scheme: Option<String>,
    pub full_statement: String,
    #[serde(rename = "CFItemType", skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
    pub prerequisites: Vec<String>,
    /// True where a competency with several parents appears again: its children are
    /// listed under its first appearance only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeated: bool,
    #[schema(no_recursion)]
    pub children: Vec<TreeNode>,
}

/// A competency named by another (parent, child, prerequisite…): its identifier, and
/// what is known of it when it is a competency of an imported framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompetencyRef {
    pub identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub human_coding_scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_statement: Option<String>,
}

/// Reads the frameworks projection's trees. Cheap to clone.
#[derive(Clone)]
pub struct FrameworkReader {
    frameworks: learnlog_projection::StoreTree,
    competencies: learnlog_projection::StoreTree,
    uris: learnlog_projection::StoreTree,
    alignments: learnlog_projection::StoreTree,
}

impl FrameworkReader {
    /// A reader over the frameworks projection's database
    /// (`FrameworkReader::new(&projection)`).
    pub fn new(projection: &Projection) -> Result<Self> {
        Ok(Self {
            frameworks: projection.tree(FRAMEWORKS),
            competencies: projection.tree(COMPETENCIES),
            uris: projection.tree(URIS),
            alignments: projection.tree(ALIGNMENTS),
        })
    }

    /// The tenant's frameworks, by id.
    pub fn list(&self, tenant: &str) -> Result<Vec<Framework>> {
        self.frameworks
            .scan_prefix(tenant_prefix(tenant))
            .values()
            .map(|value| decode(&value?, "framework"))
            .collect()
    }

    /// The framework stored under `id`.
    pub fn framework(&self, tenant: &str, id: &str) -> Result<Option<Framework>> {
        get(&self.frameworks, &key(tenant, id), "framework")
    }

    /// The competency tree of `framework`: its top-level items, each with its children.
    pub fn tree(&self, tenant: &str, framework: &Framework) -> Result<Vec<TreeNode>> {
        let mut competencies = HashMap::with_capacity(framework.items.len());
        for identifier in &framework.items {
            if let Some(competency) = self.competency(tenant, identifier)? {
                competencies.insert(identifier.as_str(), competency);
            }
        }
        let mut shown = HashSet::new();
        Ok(framework
            .roots
            .iter()
            .filter_map(|root| node(&competencies, &mut shown, root))
            .collect())
    }

    /// The competency whose CFItem identifier is `identifier`.
    pub fn competency(&self, tenant: &str, identifier: &str) -> Result<Option<Competency>> {
        get(&self.competencies, &key(tenant, identifier), "competency")
    }

    /// The competency id (CFItem identifier) `reference` names: itself when it is the
    /// identifier of an imported CFItem, the item's identifier when it is a CFItem's
    /// URI, `None` when it is neither. At most two point lookups.
    pub fn resolve(&self, tenant: &str, reference: &str) -> Result<Option<String>> {
        if self.competencies.contains_key(key(tenant, reference))? {
            return Ok(Some(reference.to_owned()));
        }
        self.uris
            .get(key(tenant, reference))?
            .map(|identifier| {
                String::from_utf8(identifier.to_vec())
                    .map_err(|_| Error::Corrupt(format!("uri index entry of {reference}")))
            })
            .transpose()
    }

    /// The competency ids an activity is aligned to through the alignment API, each
    /// once, in the order set: references that name an imported CFItem (identifier or
    /// URI) as its identifier, other references (competencies named directly) as they
    /// were given. Empty when no alignment is set.
    pub fn alignment(&self, tenant: &str, activity_id: &str) -> Result<Vec<String>> {
        let references = self
            .alignment_references(tenant, activity_id)?
            .unwrap_or_default();
        let mut competencies: Vec<String> = Vec::with_capacity(references.len());
        for reference in references {
            let competency = self.resolve(tenant, &reference)?.unwrap_or(reference);
            if !competencies.contains(&competency) {
                competencies.push(competency);
            }
        }
        Ok(competencies)
    }

    /// The references an activity's alignment was set to, as given; `None` when none is
    /// set.
    pub fn alignment_references(
        &self,
        tenant: &str,
        activity_id: &str,
    ) -> Result<Option<Vec<String>>> {
        get(&self.alignments, &key(tenant, activity_id), "alignment")
    }

    /// The direct prerequisites of a competency (identifiers; some may be items of
    /// frameworks not imported). Empty for an unknown competency.
    pub fn prerequisites(&self, tenant: &str, identifier: &str) -> Result<Vec<String>> {
        Ok(self
            .competency(tenant, identifier)?
            .map(|competency| competency.prerequisites)
            .unwrap_or_default())
    }

    /// What is known of each of `identifiers`, in order.
    pub fn refs(&self, tenant: &str, identifiers: &[String]) -> Result<Vec<CompetencyRef>> {
        identifiers
            .iter()
            .map(|identifier| {
                let known = self.competency(tenant, identifier)?;
                Ok(CompetencyRef {
                    identifier: identifier.clone(),
                    uri: known.as_ref().map(|c| c.uri.clone()),
                    framework_id: known.as_ref().map(|c| c.framework_id.clone()),
                    human_coding_scheme: known.as_ref().and_then(|c| c.human_coding_scheme.clone()),
                    full_statement: known.map(|c| c.full_statement),
                })
            })
            .collect()
    }
}

/// The subtree under `identifier`; its children only the first time it is shown. The
/// hierarchy is acyclic and at most `MAX_DEPTH` deep, so recursion is shallow.
fn node(
    competencies: &HashMap<&str, Competency>,
    shown: &mut HashSet<String>,
    identifier: &str,
) -> Option<TreeNode> {
    let competency = competencies.get(identifier)?;
    let repeated = !shown.insert(identifier.to_owned());
    let children = if repeated {
        Vec::new()
    } else {
        (competency.children.iter())
            .filter_map(|child| node(competencies, shown, child))
            .collect()
    };
    Some(TreeNode {
        identifier: competency.identifier.clone(),
        uri: competency.uri.clone(),
        human_coding_scheme: competency.human_coding_scheme.clone(),
        full_statement: competency.full_statement.clone(),
        item_type: competency.item_type.clone(),
        prerequisites: competency.prerequisites.clone(),
        repeated,
        children,
    })
}

fn get<T: DeserializeOwned>(
    tree: &learnlog_projection::StoreTree,
    key: &[u8],
    what: &str,
) -> Result<Option<T>> {
    tree.get(key)?.map(|bytes| decode(&bytes, what)).transpose()
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|error| Error::Corrupt(format!("{what}: {error}")))
}
