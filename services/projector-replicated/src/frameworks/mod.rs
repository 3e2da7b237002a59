//! Competency frameworks imported from IMS CASE 1.0 packages, and the alignment of
//! activities to competencies.
//!
//! Events on the `frameworks` topic (one partition: one total order of a tenant's
//! framework and alignment changes):
//! - `FrameworkImported` (key: framework id) carries a CFPackage as received. The fold
//!   parses it again ([`case`]), refuses it when one of its items (by identifier or
//!   URI) belongs to another framework of the tenant, and otherwise stores it,
//!   replacing whatever was stored under the same id: items the new package lacks
//!   disappear. It records a `FrameworkOutcome` (created, replaced, conflict, rejected)
//!   at the event's position for the API.
//! - `AlignmentSet` (key: activity id) sets the competencies an activity is aligned
//!   to, as references (CFItem identifiers or URIs, or competency ids named directly);
//!   an empty list removes the alignment. References resolve when read, so an
//!   alignment made before its framework was imported resolves once it is.
//!
//! Trees (keys start with `tenant \0`): `frameworks.frameworks` (framework id →
//! [`Framework`]), `frameworks.competencies` (CFItem identifier → [`Competency`]),
//! `frameworks.uris` (CFItem URI → identifier), `frameworks.alignments` (activity id
//! → references, JSON).

mod case;
mod events;
mod fields;
mod graph;
mod model;
mod reader;
mod relations;
mod synthetic;

pub use case::{
    parse_package, CaseAssociation, CaseDocument, CaseError, CaseItem, CasePackage, NodeRef,
};
pub use events::{
    alignment_removed, alignment_set, check_activity_id, check_alignment, check_framework_id,
    imported, MAX_ALIGNED_COMPETENCIES, MAX_FRAMEWORK_ID_LEN, MAX_REFERENCE_LEN,
};
pub use model::{Competency, Direction, Framework, RelatedLink};
pub use reader::{CompetencyRef, FrameworkReader, TreeNode};
pub use relations::{relation, Relation, MAX_DEPTH};
pub use synthetic::{synthetic_identifier, synthetic_package, SyntheticItem};

use learnlog_projection::FoldTree;
use learnlog_projection::{Fold, FoldError, FoldTrees, Folded};
use learnlog_projector::tenant_prefix;
use learnlog_proto::v1::framework_outcome::Kind;
use learnlog_proto::v1::FrameworkOutcome;
use learnlog_proto::v1::{envelope::Event, AlignmentSet, Envelope, FrameworkImported};
use learnlog_proto::{topics, Message};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub(crate) const FRAMEWORKS: &str = "frameworks.frameworks";
pub(crate) const COMPETENCIES: &str = "frameworks.competencies";
pub(crate) const URIS: &str = "frameworks.uris";
pub(crate) const ALIGNMENTS: &str = "frameworks.alignments";

/// `tenant \0 name`: the key of a framework, competency, URI or activity.
pub(crate) fn key(tenant: &str, name: &str) -> Vec<u8> {
    let mut key = tenant_prefix(tenant);
    key.extend_from_slice(name.as_bytes());
    key
}

/// The frameworks fold.
#[derive(Debug, Default)]
pub struct FrameworkStore;

impl FrameworkStore {
    /// The projection's name (its directory under `projections/`).
    pub const NAME: &'static str = "frameworks";
}

impl Fold for FrameworkStore {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn topics(&self) -> &'static [&'static str] {
        &[topics::FRAMEWORKS]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[FRAMEWORKS, COMPETENCIES, URIS, ALIGNMENTS]
    }

    fn apply(
        &self,
        trees: &FoldTrees<'_>,
        _topic: &str,
        _partition: u32,
        _offset: u64,
        event: &Envelope,
    ) -> Result<Folded, FoldError> {
        match &event.event {
            Some(Event::FrameworkImported(imported)) => {
                let outcome = import(trees, event, imported)?;
                Ok(Folded {
                    outcome: Some(outcome.encode_to_vec()),
                })
            }
            Some(Event::AlignmentSet(set)) => {
                align(trees.tree(ALIGNMENTS), &event.tenant, set)?;
                Ok(Folded::default())
            }
            _ => Ok(Folded::default()),
        }
    }
}

fn outcome(kind: Kind, message: String) -> FrameworkOutcome {
    FrameworkOutcome {
        kind: kind as i32,
        message,
    }
}

fn import(
    trees: &FoldTrees<'_>,
    event: &Envelope,
    imported: &FrameworkImported,
) -> Result<FrameworkOutcome, FoldError> {
    let (frameworks, competencies, uris) = (
        trees.tree(FRAMEWORKS),
        trees.tree(COMPETENCIES),
        trees.tree(URIS),
    );
    let (tenant, id) = (event.tenant.as_str(), imported.framework_id.as_str());
    if let Err(error) = check_framework_id(id) {
        return Ok(outcome(Kind::Rejected, error.to_string()));
    }
    let package = match parse_package(&imported.package_json) {
        Ok(package) => package,
        Err(error) => return Ok(outcome(Kind::Rejected, error.to_string())),
    };
    let framework_key = key(tenant, id);
    let previous: Option<Framework> = read(frameworks, &framework_key, "framework")?;
    let new = package.competencies(id);
    if let Some(conflict) = conflict(competencies, uris, tenant, id, &new)? {
        return Ok(outcome(Kind::Conflict, conflict));
    }
    if let Some(previous) = &previous {
        let kept: HashMap<&str, &str> = (new.iter())
            .map(|competency| (competency.identifier.as_str(), competency.uri.as_str()))
            .collect();
        for identifier in &previous.items {
            let item_key = key(tenant, identifier);
            let Some(old) = read::<Competency>(competencies, &item_key, "competency")? else {
                continue;
            };
            let new_uri = kept.get(identifier.as_str()).copied();
            if new_uri != Some(old.uri.as_str()) {
                let uri_key = key(tenant, &old.uri);
                if uris.get(&uri_key)?.as_deref() == Some(identifier.as_bytes()) {
                    uris.remove(uri_key)?;
                }
            }
            if new_uri.is_none() {
                competencies.remove(item_key)?;
            }
        }
    }
    for competency in &new {
        competencies.insert(key(tenant, &competency.identifier), encode(competency)?)?;
        uris.insert(
            key(tenant, &competency.uri),
            competency.identifier.as_bytes(),
        )?;
    }
    let framework = package.framework(id, event.produced_at_micros);
    frameworks.insert(framework_key, encode(&framework)?)?;
    Ok(match previous {
        Some(_) => outcome(Kind::Replaced, String::new()),
        None => outcome(Kind::Created, String::new()),
    })
}

/// Why the package cannot be stored under `id`: one of its items, by identifier or by
/// URI, is a competency of another framework of the tenant.
fn conflict(
    competencies: FoldTree<'_>,
    uris: FoldTree<'_>,
    tenant: &str,
    id: &str,
    new: &[Competency],
) -> Result<Option<String>, FoldError> {
    let owner = |identifier: &str| -> Result<Option<String>, FoldError> {
        let stored: Option<Competency> =
            read(competencies, &key(tenant, identifier), "competency")?;
        Ok(stored
            .map(|competency| competency.framework_id)
            .filter(|owner| owner != id))
    };
    for (index, competency) in new.iter().enumerate() {
        if let Some(owner) = owner(&competency.identifier)? {
            return Ok(Some(format!(
                "CFItems[{index}].identifier: {:?} is a competency of framework {owner}",
                competency.identifier
            )));
        }
        let Some(holder) = uris.get(key(tenant, &competency.uri))? else {
            continue;
        };
        let holder = String::from_utf8_lossy(&holder).into_owned();
        if holder == competency.identifier {
            continue;
        }
        if let Some(owner) = owner(&holder)? {
            return Ok(Some(format!(
                "CFItems[{index}].uri: {:?} is the uri of competency {holder} of framework {owner}",
                competency.uri
            )));
        }
    }
    Ok(None)
}

fn align(alignments: FoldTree<'_>, tenant: &str, set: &AlignmentSet) -> Result<(), FoldError> {
    if set.activity_id.is_empty() {
        return Err(FoldError::BadEvent("alignment activity_id is empty".into()));
    }
    let mut references: Vec<&str> = Vec::with_capacity(set.competency_ids.len());
    for reference in set.competency_ids.iter().map(|reference| reference.trim()) {
        if !reference.is_empty() && !references.contains(&reference) {
            references.push(reference);
        }
    }
    let activity_key = key(tenant, &set.activity_id);
    if references.is_empty() {
        alignments.remove(activity_key)?;
    } else {
        alignments.insert(activity_key, encode(&references)?)?;
    }
    Ok(())
}

fn read<T: DeserializeOwned>(
    tree: FoldTree<'_>,
    key: &[u8],
    what: &str,
) -> Result<Option<T>, FoldError> {
    tree.get(key)?
        .map(|bytes| {
            serde_json::from_slice(&bytes)
                .map_err(|error| FoldError::BadEvent(format!("stored {what} is corrupt: {error}")))
        })
        .transpose()
}

fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FoldError> {
    serde_json::to_vec(value)
        .map_err(|error| FoldError::BadEvent(format!("record does not serialize: {error}")))
}

#[cfg(test)]
mod tests;
