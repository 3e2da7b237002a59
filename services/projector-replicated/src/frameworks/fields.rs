//! Reading the members of one JSON object of a CASE package, with errors that name
//! the member's JSON path and the rule it broke.

use super::case::{CaseError, Result};
use serde_json::{Map, Value};

/// The members of one JSON object, reporting errors under its path.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    pub(crate) fn of(value: &'a Value, path: String) -> Result<Self> {
        match value.as_object() {
            Some(map) => Ok(Self { map, path }),
            None => Err(CaseError::new(path, "must be an object")),
        }
    }

    pub(crate) fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }

    /// The member, unless missing or `null`.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    /// A string that may be missing, `null` or empty (all three read as absent).
    pub(crate) fn optional(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(CaseError::new(self.path(name), "must be a string")),
        }
    }

    pub(crate) fn required(&self, name: &str) -> Result<String> {
        match self.get(name) {
            None => Err(CaseError::new(self.path(name), "required")),
            Some(Value::String(text)) if text.trim().is_empty() => {
                Err(CaseError::new(self.path(name), "must not be empty"))
            }
            Some(Value::String(text)) => Ok(text.clone()),
            Some(_) => Err(CaseError::new(self.path(name), "must be a string")),
        }
    }

    /// A required identifier: non-empty, no control characters, no surrounding spaces.
    pub(crate) fn identifier(&self, name: &str) -> Result<String> {
        let identifier = self.required(name)?;
        if identifier.trim() != identifier || identifier.chars().any(char::is_control) {
            return Err(CaseError::new(
                self.path(name),
                "must not contain control characters or surrounding spaces",
            ));
        }
        Ok(identifier)
    }

    /// A required absolute URI.
    pub(crate) fn uri(&self, name: &str) -> Result<String> {
        let uri = self.required(name)?;
        if !learnlog_xapi::is_iri(&uri) {
            return Err(CaseError::new(
                self.path(name),
                format!("{uri:?} is not an absolute URI"),
            ));
        }
        Ok(uri)
    }

    /// A list of strings, given as an array or as one string.
    pub(crate) fn strings(&self, name: &str) -> Result<Vec<String>> {
        let not_strings = || CaseError::new(self.path(name), "must be a string or strings");
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::String(text)) => Ok(vec![text.clone()]),
            Some(Value::Array(values)) => values
                .iter()
                .map(|value| value.as_str().map(str::to_owned).ok_or_else(not_strings))
                .collect(),
            Some(_) => Err(not_strings()),
        }
    }

    /// An optional integer (a number, or a string of one, as some exporters write it).
    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>> {
        let parsed = match self.get(name) {
            None => return Ok(None),
            Some(Value::Number(number)) => number.as_i64(),
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(_) => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| CaseError::new(self.path(name), "must be an integer"))
    }
}
