//! IMS CASE 1.0 packages (the `CFPackage` JSON of 1EdTech's Competencies and Academic
//! Standards Exchange): parsing and validation. Pure: no I/O.
//!
//! Field names are CASE 1.0's, which CASE 1.1 keeps:
//! - `CFDocument`: `identifier`, `uri`, `creator`, `title`, `lastChangeDateTime`
//!   required; `publisher`, `description`, `version`, `language`, `adoptionStatus`,
//!   `subject` (string or list), `officialSourceURL` kept.
//! - `CFItems[]`: `identifier`, `uri`, `fullStatement`, `lastChangeDateTime` required;
//!   `humanCodingScheme`, `abbreviatedStatement`, `CFItemType` (or the title of
//!   `CFItemTypeURI`), `educationLevel`, `language` kept.
//! - `CFAssociations[]`: `identifier`, `uri`, `associationType`, `originNodeURI`,
//!   `destinationNodeURI`, `lastChangeDateTime` required; `sequenceNumber` orders
//!   children. A node (`LinkGenURI`) needs `identifier`; its `uri` is needed only when
//!   the node is outside the package (see [`super::relations`]).
//!
//! `CFDefinitions` and `CFRubrics` are accepted and not used; any other top-level
//! member is an error (it is usually a misspelling). Optional fields may be `null`;
//! unknown fields inside the objects are ignored, as CASE allows extensions.
//! Identifiers are compared exactly; CASE makes them UUIDs, which is not enforced.

use super::fields::Fields;
use super::relations::{self, Links};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A package that broke a rule: where (a JSON path such as `CFItems[3].uri`) and
/// which rule. Shown to clients as `path: rule`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct CaseError {
    pub path: String,
    pub rule: String,
}

impl CaseError {
    pub(crate) fn new(path: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            rule: rule.into(),
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, CaseError>;

/// The top-level members a CFPackage may have.
const MEMBERS: [&str; 5] = [
    "CFDocument",
    "CFItems",
    "CFAssociations",
    "CFDefinitions",
    "CFRubrics",
];

/// The framework's document: what the package is. Serialized with CASE's names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseDocument {
    pub identifier: String,
    pub uri: String,
    pub title: String,
    pub creator: String,
    pub last_change_date_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adoption_status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject: Vec<String>,
    #[serde(
        default,
        rename = "officialSourceURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub official_source_url: Option<String>,
}

/// One CFItem: a competency, standard, cluster, domain…
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseItem {
    pub identifier: String,
    pub uri: String,
    pub full_statement: String,
    pub human_coding_scheme: Option<String>,
    pub abbreviated_statement: Option<String>,
    pub item_type: Option<String>,
    pub education_level: Vec<String>,
    pub language: Option<String>,
}

/// One end of an association, as the package names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRef {
    pub identifier: String,
    pub uri: Option<String>,
    pub title: Option<String>,
}

/// One CFAssociation: `origin` *associationType* `destination`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseAssociation {
    pub identifier: String,
    pub association_type: String,
    pub origin: NodeRef,
    pub destination: NodeRef,
    pub sequence_number: Option<i64>,
}

/// A parsed, validated CASE package.
#[derive(Clone, Debug)]
pub struct CasePackage {
    pub document: CaseDocument,
    pub items: Vec<CaseItem>,
    pub associations: Vec<CaseAssociation>,
    /// What the associations mean, per item (checked: in-package ends, no cycles).
    pub(crate) links: Links,
}

/// Parses and validates a CFPackage. The first broken rule is the error.
pub fn parse_package(json: &[u8]) -> Result<CasePackage> {
    let value: Value = serde_json::from_slice(json)
        .map_err(|error| CaseError::new("body", format!("is not JSON: {error}")))?;
    let root = value
        .as_object()
        .ok_or_else(|| CaseError::new("body", "must be a JSON object (a CFPackage)"))?;
    if let Some(unknown) = root.keys().find(|key| !MEMBERS.contains(&key.as_str())) {
        return Err(CaseError::new(
            unknown.as_str(),
            format!("is not a CFPackage member ({})", MEMBERS.join(", ")),
        ));
    }
    let document = match root.get("CFDocument") {
        None | Some(Value::Null) => return Err(CaseError::new("CFDocument", "required")),
        Some(value) => document(&Fields::of(value, "CFDocument".into())?)?,
    };
    let items = array(root, "CFItems")?
        .iter()
        .enumerate()
        .map(|(index, value)| item(&Fields::of(value, format!("CFItems[{index}]"))?))
        .collect::<Result<Vec<_>>>()?;
    let associations = array(root, "CFAssociations")?
        .iter()
        .enumerate()
        .map(|(index, value)| association(&Fields::of(value, format!("CFAssociations[{index}]"))?))
        .collect::<Result<Vec<_>>>()?;
    check_unique(&document, &items, &associations)?;
    let links = relations::link(&document, &items, &associations)?;
    Ok(CasePackage {
        document,
        items,
        associations,
        links,
    })
}

fn array<'a>(root: &'a Map<String, Value>, name: &str) -> Result<&'a [Value]> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(values)) => Ok(values),
        Some(_) => Err(CaseError::new(name, "must be an array")),
    }
}

fn document(fields: &Fields<'_>) -> Result<CaseDocument> {
    Ok(CaseDocument {
        identifier: fields.identifier("identifier")?,
        uri: fields.uri("uri")?,
        title: fields.required("title")?,
        creator: fields.required("creator")?,
        last_change_date_time: fields.required("lastChangeDateTime")?,
        publisher: fields.optional("publisher")?,
        description: fields.optional("description")?,
        version: fields.optional("version")?,
        language: fields.optional("language")?,
        adoption_status: fields.optional("adoptionStatus")?,
        subject: fields.strings("subject")?,
        official_source_url: fields.optional("officialSourceURL")?,
    })
}

fn item(fields: &Fields<'_>) -> Result<CaseItem> {
    let item_type = match fields.optional("CFItemType")? {
        Some(name) => Some(name),
        None => match fields.get("CFItemTypeURI") {
            Some(link) => Fields::of(link, fields.path("CFItemTypeURI"))?.optional("title")?,
            None => None,
        },
    };
    let item = CaseItem {
        identifier: fields.identifier("identifier")?,
        uri: fields.uri("uri")?,
        full_statement: fields.required("fullStatement")?,
        human_coding_scheme: fields.optional("humanCodingScheme")?,
        abbreviated_statement: fields.optional("abbreviatedStatement")?,
        item_type,
        education_level: fields.strings("educationLevel")?,
        language: fields.optional("language")?,
    };
    fields.required("lastChangeDateTime")?;
    Ok(item)
}

fn association(fields: &Fields<'_>) -> Result<CaseAssociation> {
    let node = |name: &str| -> Result<NodeRef> {
        let node = match fields.get(name) {
            Some(value) => Fields::of(value, fields.path(name))?,
            None => return Err(CaseError::new(fields.path(name), "required")),
        };
        let uri = match node.get("uri") {
            Some(_) => Some(node.uri("uri")?),
            None => None,
        };
        Ok(NodeRef {
            identifier: node.identifier("identifier")?,
            uri,
            title: node.optional("title")?,
        })
    };
    let association = CaseAssociation {
        identifier: fields.identifier("identifier")?,
        association_type: fields.required("associationType")?,
        origin: node("originNodeURI")?,
        destination: node("destinationNodeURI")?,
        sequence_number: fields.integer("sequenceNumber")?,
    };
    fields.uri("uri")?;
    fields.required("lastChangeDateTime")?;
    Ok(association)
}

/// Identifiers are unique across the document and the items, item URIs across the
/// items, association identifiers across the associations.
fn check_unique(
    document: &CaseDocument,
    items: &[CaseItem],
    associations: &[CaseAssociation],
) -> Result<()> {
    let mut identifiers = HashMap::new();
    let mut uris = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        if item.identifier == document.identifier {
            return Err(CaseError::new(
                format!("CFItems[{index}].identifier"),
                format!("{:?} is the identifier of the CFDocument", item.identifier),
            ));
        }
        if let Some(first) = identifiers.insert(item.identifier.as_str(), index) {
            return Err(CaseError::new(
                format!("CFItems[{index}].identifier"),
                format!(
                    "{:?} is also the identifier of CFItems[{first}]",
                    item.identifier
                ),
            ));
        }
        if let Some(first) = uris.insert(item.uri.as_str(), index) {
            return Err(CaseError::new(
                format!("CFItems[{index}].uri"),
                format!("{:?} is also the uri of CFItems[{first}]", item.uri),
            ));
        }
    }
    let mut association_ids = HashMap::new();
    for (index, association) in associations.iter().enumerate() {
        if let Some(first) = association_ids.insert(association.identifier.as_str(), index) {
            return Err(CaseError::new(
                format!("CFAssociations[{index}].identifier"),
                format!(
                    "{:?} is also the identifier of CFAssociations[{first}]",
                    association.identifier
                ),
            ));
        }
    }
    Ok(())
}
