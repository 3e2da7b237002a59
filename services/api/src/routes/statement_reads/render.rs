//! Reshaping stored statements into the requested format (`exact`, `ids`,
//! `canonical` in the caller's languages).

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::HttpRequest;
use learnlog_projector_replicated::activities::ActivityReader;
use learnlog_projector_replicated::statements::StoredStatement;
use learnlog_xapi::{LanguagePreference, StatementFormat};
use serde_json::Value;

/// Reshapes stored statements into the requested format.
pub(super) struct Render {
    format: StatementFormat,
    languages: LanguagePreference,
    activities: Option<(ActivityReader, String)>,
}

impl Render {
    pub(super) fn new(
        state: &AppState,
        request: &HttpRequest,
        caller: &Authenticated,
        format: StatementFormat,
    ) -> Self {
        let languages = request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map(LanguagePreference::parse)
            .unwrap_or_default();
        let activities = (format == StatementFormat::Canonical)
            .then(|| ActivityReader::new(&state.statements).ok())
            .flatten()
            .map(|reader| (reader, caller.tenant().to_owned()));
        Self {
            format,
            languages,
            activities,
        }
    }

    pub(super) fn statement(&self, statement: &StoredStatement) -> Result<Vec<u8>, ApiError> {
        if self.format == StatementFormat::Exact {
            return Ok(statement.json.clone());
        }
        let value: Value = serde_json::from_slice(&statement.json)
            .map_err(|error| ApiError::Internal(format!("stored statement: {error}")))?;
        let shaped = match self.format {
            StatementFormat::Exact => value,
            StatementFormat::Ids => learnlog_xapi::to_ids_format(&value),
            StatementFormat::Canonical => {
                let lookup = |id: &str| self.canonical_activity(id);
                learnlog_xapi::to_canonical_format(&value, &self.languages, &lookup)
            }
        };
        serde_json::to_vec(&shaped).map_err(|error| ApiError::Internal(error.to_string()))
    }

    /// The canonical Activity for the `canonical` format: the activity store's merged
    /// definition, `None` (keep the statement's own) when no statement defined it.
    fn canonical_activity(&self, id: &str) -> Option<Value> {
        let (reader, tenant) = self.activities.as_ref()?;
        reader.canonical(tenant, id).ok().flatten()
    }
}
