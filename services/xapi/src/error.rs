//! The crate's one error type: a validation failure naming a JSON path and a rule.

/// A validation failure: the JSON path (like `statements[2].actor.mbox` or
/// `actor.account.homePage`; `$` for the document itself) and the rule broken,
/// in lowercase words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct ValidationError {
    /// Where the offending value is, e.g. `object.definition.choices[1].id`.
    pub path: String,
    /// What is wrong with it, e.g. `must be an absolute iri with a scheme`.
    pub rule: String,
}

impl ValidationError {
    /// An error at `path` for `rule`.
    pub fn new(path: impl Into<String>, rule: impl Into<String>) -> Self {
        ValidationError {
            path: path.into(),
            rule: rule.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = ValidationError> = std::result::Result<T, E>;
