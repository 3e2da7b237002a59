//! Query parameters, xAPI style: names are case-sensitive, each may appear once, and
//! any name a resource does not define is an error.

use crate::error::ApiError;
use std::collections::BTreeMap;

/// The query parameters of one request, checked against the names a resource allows.
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn parse(query: &str, allowed: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|error| ApiError::BadRequest(format!("query string: {error}")))?;
        let mut params = BTreeMap::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::BadRequest(format!(
                    "query parameter {name}: not allowed here (allowed: {})",
                    allowed.join(", ")
                )));
            }
            if params.insert(name.clone(), value).is_some() {
                return Err(ApiError::BadRequest(format!(
                    "query parameter {name}: given more than once"
                )));
            }
        }
        Ok(Self(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The names given, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn uuid(&self, name: &str) -> Result<Option<uuid::Uuid>, ApiError> {
        self.get(name)
            .map(|value| {
                learnlog_xapi::parse_uuid(value).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "query parameter {name}: must be a hyphenated UUID"
                    ))
                })
            })
            .transpose()
    }
}
