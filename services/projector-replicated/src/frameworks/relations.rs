//! What the associations of a CASE package mean, and the rules they must keep.
//!
//! - `isChildOf`: the origin is a child of the destination. The child must be a CFItem
//!   of the package; the parent a CFItem of the package or its CFDocument (a child of
//!   the document is a top-level item). The hierarchy stays inside one framework.
//! - `precedes` (CASE 1.0) and `isPrerequisiteOf` (an extension type, also written
//!   `ext:isPrerequisiteOf`, case-insensitive): the origin is a prerequisite of the
//!   destination. Both ends are CFItems; one may be in another framework.
//! - Every other type (`isRelatedTo`, `exactMatchOf`, `isPeerOf`, `isPartOf`,
//!   `exemplar`, `replacedBy`, `hasSkillLevel`, `isTranslationOf`, extensions) is kept
//!   as a related link on the package's CFItems at either end.
//!
//! A node is in the package when its identifier (or else its uri) is the CFDocument's
//! or a CFItem's. Any other node is in another framework and must give its `uri`; at
//! least one end of every association must be in the package. Neither `isChildOf` nor
//! the prerequisite associations may form a cycle, and the hierarchy is at most
//! [`MAX_DEPTH`] levels deep.

use super::case::{CaseAssociation, CaseDocument, CaseError, CaseItem, NodeRef};
use super::graph;
use super::model::{Direction, RelatedLink};
use std::collections::{BTreeMap, HashMap};

/// Most levels of the `isChildOf` hierarchy (a top-level item is level 1). Standards
/// frameworks use a handful; the limit keeps every walk of the tree shallow.
pub const MAX_DEPTH: usize = 32;

/// What an association type means here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Origin is a child of destination.
    ChildOf,
    /// Origin is a prerequisite of destination.
    Prerequisite,
    /// Anything else: kept as a related link.
    Related,
}

/// The meaning of an `associationType`.
pub fn relation(association_type: &str) -> Relation {
    let name = association_type
        .strip_prefix("ext:")
        .unwrap_or(association_type);
    if association_type == "isChildOf" {
        Relation::ChildOf
    } else if association_type == "precedes" || name.eq_ignore_ascii_case("isPrerequisiteOf") {
        Relation::Prerequisite
    } else {
        Relation::Related
    }
}

/// The links of one CFItem, identifiers in association order (children: by
/// `sequenceNumber`, then association order), each listed once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ItemLinks {
    pub parents: Vec<String>,
    pub children: Vec<String>,
    pub prerequisites: Vec<String>,
    pub dependents: Vec<String>,
    pub related: Vec<RelatedLink>,
}

/// The links of every CFItem (parallel to the package's items) and the top-level
/// items: children of the CFDocument in order, then items without any parent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Links {
    pub items: Vec<ItemLinks>,
    pub roots: Vec<String>,
}

/// A child as an `isChildOf` association names it: `(sequenceNumber, association
/// index, item index)`, which sorts children.
type Child = (Option<i64>, usize, usize);

enum End<'a> {
    Document,
    Item(usize),
    External(&'a NodeRef),
}

struct Package<'a> {
    document: &'a CaseDocument,
    items: &'a [CaseItem],
    by_identifier: HashMap<&'a str, usize>,
    by_uri: HashMap<&'a str, usize>,
}

impl<'a> Package<'a> {
    fn end(&self, node: &'a NodeRef, path: String) -> Result<End<'a>, CaseError> {
        let uri = node.uri.as_deref();
        if node.identifier == self.document.identifier || uri == Some(&self.document.uri) {
            return Ok(End::Document);
        }
        let item = self.by_identifier.get(node.identifier.as_str()).copied();
        if let Some(index) = item.or_else(|| uri.and_then(|uri| self.by_uri.get(uri).copied())) {
            return Ok(End::Item(index));
        }
        if uri.is_none() {
            return Err(CaseError::new(
                format!("{path}.uri"),
                format!(
                    "required for a node outside this package ({:?} is not a CFItem of it)",
                    node.identifier
                ),
            ));
        }
        Ok(End::External(node))
    }

    fn identifier(&self, end: &End<'a>) -> String {
        match end {
            End::Document => self.document.identifier.clone(),
            End::Item(index) => self.items[*index].identifier.clone(),
            End::External(node) => node.identifier.clone(),
        }
    }

    fn related(
        &self,
        association_type: &str,
        direction: Direction,
        other: &End<'a>,
    ) -> RelatedLink {
        let (uri, title) = match other {
            End::Document => (
                Some(self.document.uri.clone()),
                Some(self.document.title.clone()),
            ),
            End::Item(index) => (
                Some(self.items[*index].uri.clone()),
                self.items[*index].human_coding_scheme.clone(),
            ),
            End::External(node) => (node.uri.clone(), node.title.clone()),
        };
        RelatedLink {
            association_type: association_type.to_owned(),
            direction,
            identifier: self.identifier(other),
            uri,
            title,
        }
    }

    /// How an item is named in error messages.
    fn name(&self, index: usize) -> &str {
        let item = &self.items[index];
        item.human_coding_scheme
            .as_deref()
            .unwrap_or(&item.identifier)
    }
}

/// Checks the associations and computes every item's links.
pub(crate) fn link(
    document: &CaseDocument,
    items: &[CaseItem],
    associations: &[CaseAssociation],
) -> Result<Links, CaseError> {
    let package = Package {
        document,
        items,
        by_identifier: (items.iter().enumerate())
            .map(|(index, item)| (item.identifier.as_str(), index))
            .collect(),
        by_uri: (items.iter().enumerate())
            .map(|(index, item)| (item.uri.as_str(), index))
            .collect(),
    };
    let mut links = vec![ItemLinks::default(); items.len()];
    // The children of each parent item; `None` is the document.
    let mut children: BTreeMap<Option<usize>, Vec<Child>> = BTreeMap::new();
    let mut hierarchy = Vec::new();
    let mut prerequisites = Vec::new();
    for (index, association) in associations.iter().enumerate() {
        let path = format!("CFAssociations[{index}]");
        let origin_path = format!("{path}.originNodeURI");
        let destination_path = format!("{path}.destinationNodeURI");
        let origin = package.end(&association.origin, origin_path.clone())?;
        let destination = package.end(&association.destination, destination_path.clone())?;
        let kind = &association.association_type;
        match relation(kind) {
            Relation::ChildOf => {
                let End::Item(child) = origin else {
                    return Err(CaseError::new(
                        origin_path,
                        "isChildOf: the child must be a CFItem of this package",
                    ));
                };
                let parent = match destination {
                    End::Document => None,
                    End::Item(parent) if parent == child => {
                        return Err(CaseError::new(
                            destination_path,
                            "isChildOf: an item cannot be its own parent",
                        ))
                    }
                    End::Item(parent) => Some(parent),
                    End::External(_) => return Err(CaseError::new(
                        destination_path,
                        "isChildOf: the parent must be a CFItem of this package or its CFDocument",
                    )),
                };
                children.entry(parent).or_default().push((
                    association.sequence_number,
                    index,
                    child,
                ));
                if let Some(parent) = parent {
                    push_unique(&mut links[child].parents, &items[parent].identifier);
                    hierarchy.push((child, parent, index));
                }
            }
            Relation::Prerequisite => {
                if matches!(origin, End::Document) || matches!(destination, End::Document) {
                    return Err(CaseError::new(
                        path,
                        format!("{kind}: links CFItems, not the CFDocument"),
                    ));
                }
                match (&origin, &destination) {
                    (End::External(_), End::External(_)) => {
                        return Err(CaseError::new(path, "neither end is in this package"))
                    }
                    (End::Item(before), End::Item(after)) if before == after => {
                        return Err(CaseError::new(
                            path,
                            format!("{kind}: an item cannot be its own prerequisite"),
                        ))
                    }
                    (End::Item(before), End::Item(after)) => {
                        prerequisites.push((*before, *after, index))
                    }
                    _ => {}
                }
                if let End::Item(after) = destination {
                    push_unique(
                        &mut links[after].prerequisites,
                        &package.identifier(&origin),
                    );
                }
                if let End::Item(before) = origin {
                    push_unique(
                        &mut links[before].dependents,
                        &package.identifier(&destination),
                    );
                }
            }
            Relation::Related => {
                let outside = |end: &End<'_>| matches!(end, End::External(_));
                if outside(&origin) && outside(&destination) {
                    return Err(CaseError::new(path, "neither end is in this package"));
                }
                if let End::Item(from) = origin {
                    let link = package.related(kind, Direction::Outgoing, &destination);
                    if !links[from].related.contains(&link) {
                        links[from].related.push(link);
                    }
                }
                if let End::Item(to) = destination {
                    let link = package.related(kind, Direction::Incoming, &origin);
                    if !links[to].related.contains(&link) {
                        links[to].related.push(link);
                    }
                }
            }
        }
    }
    if let Some((cycle, index)) = graph::find_cycle(items.len(), &hierarchy) {
        return Err(cycle_error(&package, "isChildOf", &cycle, index));
    }
    if let Some((cycle, index)) = graph::find_cycle(items.len(), &prerequisites) {
        return Err(cycle_error(&package, "prerequisite", &cycle, index));
    }
    check_depth(&package, &hierarchy)?;
    let mut roots = Vec::new();
    for (parent, mut list) in children {
        list.sort_by_key(|(sequence, index, _)| (sequence.is_none(), *sequence, *index));
        let target = match parent {
            Some(parent) => &mut links[parent].children,
            None => &mut roots,
        };
        for (_, _, child) in list {
            push_unique(target, &items[child].identifier);
        }
    }
    for (item, item_links) in items.iter().zip(&links) {
        if item_links.parents.is_empty() {
            push_unique(&mut roots, &item.identifier);
        }
    }
    Ok(Links {
        items: links,
        roots,
    })
}

/// Checks that no item is more than [`MAX_DEPTH`] levels below the top of the
/// `isChildOf` hierarchy (which must be acyclic).
fn check_depth(
    package: &Package<'_>,
    hierarchy: &[(usize, usize, usize)],
) -> Result<(), CaseError> {
    match graph::too_deep(package.items.len(), hierarchy, MAX_DEPTH) {
        None => Ok(()),
        Some(item) => Err(CaseError::new(
            format!("CFItems[{item}]"),
            format!(
                "{} is more than {MAX_DEPTH} levels deep in the isChildOf hierarchy",
                package.name(item)
            ),
        )),
    }
}

fn push_unique(list: &mut Vec<String>, identifier: &str) {
    if !list.iter().any(|known| known == identifier) {
        list.push(identifier.to_owned());
    }
}

fn cycle_error(package: &Package<'_>, kind: &str, cycle: &[usize], index: usize) -> CaseError {
    let names: Vec<&str> = cycle.iter().map(|item| package.name(*item)).collect();
    CaseError::new(
        format!("CFAssociations[{index}]"),
        format!(
            "{kind} associations form a cycle ({} → {})",
            names.join(" → "),
            names[0]
        ),
    )
}
