//! The records of the frameworks projection, stored as JSON in sled and returned by
//! the reader: a framework (its CFDocument and the identifiers of its items) and a
//! competency (one CFItem with its links).

use super::case::{CaseDocument, CasePackage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A stored framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Framework {
    /// The id it is stored under (the path segment of `PUT /v1/frameworks/{id}`).
    pub id: String,
    pub document: CaseDocument,
    /// The identifier of every CFItem, in package order. Re-importing removes the ones
    /// the new package lacks (a fold cannot scan its trees, so the list lives here).
    pub items: Vec<String>,
    /// Top-level items: children of the CFDocument in order, then items with no parent.
    pub roots: Vec<String>,
    /// When it was imported: the event's `produced_at_micros`.
    pub imported_micros: i64,
}

/// One competency: a CFItem of an imported framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Competency {
    /// The CFItem identifier: the competency id everywhere in learnlog.
    pub identifier: String,
    pub uri: String,
    pub framework_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human_coding_scheme: Option<String>,
    pub full_statement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abbreviated_statement: Option<String>,
    #[serde(
        default,
        rename = "CFItemType",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub education_level: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Identifiers of the parents (`isChildOf` destinations in this framework).
    pub parents: Vec<String>,
    /// Identifiers of the children, by `sequenceNumber` then association order.
    pub children: Vec<String>,
    /// Identifiers of what must be mastered first (`precedes` / `isPrerequisiteOf`
    /// origins); may name items of other frameworks.
    pub prerequisites: Vec<String>,
    /// Identifiers of what this is a prerequisite of.
    pub dependents: Vec<String>,
    /// Every other association with this item at one end.
    pub related: Vec<RelatedLink>,
}

/// An association other than `isChildOf` and the prerequisite types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelatedLink {
    pub association_type: String,
    pub direction: Direction,
    /// The other end's identifier, uri and title (a CFItem's humanCodingScheme).
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Which end of a related association a competency is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The competency is the origin: "this *type* other".
    Outgoing,
    /// The competency is the destination: "other *type* this".
    Incoming,
}

impl CasePackage {
    /// The framework record of this package stored under `id`.
    pub fn framework(&self, id: &str, imported_micros: i64) -> Framework {
        Framework {
            id: id.to_owned(),
            document: self.document.clone(),
            items: self
                .items
                .iter()
                .map(|item| item.identifier.clone())
                .collect(),
            roots: self.links.roots.clone(),
            imported_micros,
        }
    }

    /// Every CFItem of the package as a competency of framework `id`, in package order.
    pub fn competencies(&self, id: &str) -> Vec<Competency> {
        self.items
            .iter()
            .zip(&self.links.items)
            .map(|(item, links)| Competency {
                identifier: item.identifier.clone(),
                uri: item.uri.clone(),
                framework_id: id.to_owned(),
                human_coding_scheme: item.human_coding_scheme.clone(),
                full_statement: item.full_statement.clone(),
                abbreviated_statement: item.abbreviated_statement.clone(),
                item_type: item.item_type.clone(),
                education_level: item.education_level.clone(),
                language: item.language.clone(),
                parents: links.parents.clone(),
                children: links.children.clone(),
                prerequisites: links.prerequisites.clone(),
                dependents: links.dependents.clone(),
                related: links.related.clone(),
            })
            .collect()
    }
}
