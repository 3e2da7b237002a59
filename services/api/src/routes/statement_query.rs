//! The parameters of a statement query (xAPI Communication §2.1.3 GET Statements) and the `more` token.
//!
//! A first page's parameters are validated one by one into a [`StatementQuery`]. The
//! `more` token is the query, the response format, the position of the last statement
//! served and the upper bound pinned at the first page, as base64url JSON: stateless,
//! valid for as long as the statements are kept, and stable while statements arrive.

use super::params::Params;
use crate::error::ApiError;
use base64::Engine;
use learnlog_projector_replicated::statements::{StatementQuery, StorePosition};
use learnlog_xapi::StatementFormat;
use serde::{Deserialize, Serialize};

/// Every parameter GET /statements knows.
pub const ALL_PARAMS: &[&str] = &[
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "more",
];

/// A query page to serve: the query, how to format it, and where the page lies.
#[derive(Clone, Debug)]
pub struct QueryRequest {
    pub query: StatementQuery,
    pub format: StatementFormat,
    pub attachments: bool,
    /// Continue strictly after this position (a `more` request).
    pub after: Option<StorePosition>,
    /// The newest position the paging covers, pinned at the first page.
    pub bound: Option<StorePosition>,
}

/// `format`, default exact.
pub fn format(params: &Params) -> Result<StatementFormat, ApiError> {
    match params.get("format") {
        None => Ok(StatementFormat::Exact),
        Some(value) => StatementFormat::parse(value).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "query parameter format: {value:?} is not one of exact, ids, canonical"
            ))
        }),
    }
}

/// A boolean parameter: only `true` or `false`.
pub fn boolean(params: &Params, name: &str) -> Result<bool, ApiError> {
    match params.get(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::BadRequest(format!(
            "query parameter {name}: must be true or false"
        ))),
    }
}

fn iri(params: &Params, name: &str) -> Result<Option<String>, ApiError> {
    match params.get(name) {
        Some(value) if !learnlog_xapi::is_iri(value) => Err(ApiError::BadRequest(format!(
            "query parameter {name}: must be an absolute IRI"
        ))),
        value => Ok(value.map(str::to_owned)),
    }
}

fn timestamp(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    params
        .get(name)
        .map(|value| {
            learnlog_xapi::parse_timestamp(value)
                .map(|instant| instant.timestamp_micros())
                .map_err(|rule| ApiError::BadRequest(format!("query parameter {name}: {rule}")))
        })
        .transpose()
}

impl QueryRequest {
    /// A first page from the filter parameters (no `statementId`, no `more`).
    pub fn from_params(params: &Params) -> Result<Self, ApiError> {
        let agent = params
            .get("agent")
            .map(|value| {
                let agent = learnlog_xapi::parse_agent_param(value)?;
                learnlog_xapi::agent_ifi_key(&agent).ok_or_else(|| {
                    ApiError::BadRequest("query parameter agent: needs exactly one IFI".into())
                })
            })
            .transpose()?;
        let limit = match params.get("limit") {
            None => 0,
            Some(value) => value.parse::<u64>().map_err(|_| {
                ApiError::BadRequest("query parameter limit: must be a non-negative integer".into())
            })?,
        };
        let query = StatementQuery {
            agent,
            related_agents: boolean(params, "related_agents")?,
            verb: iri(params, "verb")?,
            activity: iri(params, "activity")?,
            related_activities: boolean(params, "related_activities")?,
            registration: params.uuid("registration")?,
            since_micros: timestamp(params, "since")?,
            until_micros: timestamp(params, "until")?,
            ascending: boolean(params, "ascending")?,
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            authority: None,
        };
        Ok(Self {
            query,
            format: format(params)?,
            attachments: boolean(params, "attachments")?,
            after: None,
            bound: None,
        })
    }

    /// The page a `more` token names.
    pub fn from_token(token: &str) -> Result<Self, ApiError> {
        let bad =
            || ApiError::BadRequest("query parameter more: not a token this LRS issued".into());
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| bad())?;
        let token: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let format = StatementFormat::parse(&token.format).ok_or_else(bad)?;
        let position = |p: (i64, u32, u64)| StorePosition {
            stored_micros: p.0,
            partition: p.1,
            offset: p.2,
        };
        Ok(Self {
            query: StatementQuery {
                agent: token.agent,
                related_agents: token.related_agents,
                verb: token.verb,
                activity: token.activity,
                related_activities: token.related_activities,
                registration: token.registration,
                since_micros: token.since,
                until_micros: token.until,
                ascending: token.ascending,
                limit: token.limit,
                authority: None,
            },
            format,
            attachments: token.attachments,
            after: Some(position(token.after)),
            bound: Some(position(token.bound)),
        })
    }

    /// The `more` token of the page after `last`, within `bound`.
    pub fn next_token(&self, last: StorePosition, bound: StorePosition) -> String {
        let position = |p: StorePosition| (p.stored_micros, p.partition, p.offset);
        let query = &self.query;
        let token = Token {
            agent: query.agent.clone(),
            related_agents: query.related_agents,
            verb: query.verb.clone(),
            activity: query.activity.clone(),
            related_activities: query.related_activities,
            registration: query.registration,
            since: query.since_micros,
            until: query.until_micros,
            ascending: query.ascending,
            limit: query.limit,
            format: format_name(self.format).into(),
            attachments: self.attachments,
            after: position(last),
            bound: position(bound),
        };
        let json = serde_json::to_vec(&token).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }
}

fn format_name(format: StatementFormat) -> &'static str {
    match format {
        StatementFormat::Exact => "exact",
        StatementFormat::Ids => "ids",
        StatementFormat::Canonical => "canonical",
    }
}

/// What a `more` token holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Token {
    #[serde(rename = "g", skip_serializing_if = "Option::is_none", default)]
    agent: Option<String>,
    #[serde(rename = "G", default)]
    related_agents: bool,
    #[serde(rename = "v", skip_serializing_if = "Option::is_none", default)]
    verb: Option<String>,
    #[serde(rename = "a", skip_serializing_if = "Option::is_none", default)]
    activity: Option<String>,
    #[serde(rename = "A", default)]
    related_activities: bool,
    #[serde(rename = "r", skip_serializing_if = "Option::is_none", default)]
    registration: Option<uuid::Uuid>,
    #[serde(rename = "s", skip_serializing_if = "Option::is_none", default)]
    since: Option<i64>,
    #[serde(rename = "u", skip_serializing_if = "Option::is_none", default)]
    until: Option<i64>,
    #[serde(rename = "o", default)]
    ascending: bool,
    #[serde(rename = "l")]
    limit: usize,
    #[serde(rename = "f")]
    format: String,
    #[serde(rename = "t", default)]
    attachments: bool,
    #[serde(rename = "p")]
    after: (i64, u32, u64),
    #[serde(rename = "b")]
    bound: (i64, u32, u64),
}
