//! Which document a request to `/activities/state`, `/activities/profile` or
//! `/agents/profile` addresses: its resource, set and id, from query parameters
//! checked as xAPI Communication §2.2 Document Resources and §3.2 Error Codes say
//! (unknown names, IRIs, agents, UUIDs, `since`).

use super::params::Params;
use crate::auth::Scope;
use crate::error::ApiError;
use learnlog_projector_partitioned::documents::DocumentSet;

/// One of the three document resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    State,
    ActivityProfile,
    AgentProfile,
}

/// What a request does, which decides the parameters it may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// GET / HEAD: one document, or the ids of the set (with `since`).
    Read,
    /// PUT / POST: one document.
    Write,
    /// DELETE: one document, or every state document of the set.
    Delete,
}

impl Resource {
    pub fn scope(self) -> Scope {
        match self {
            Resource::State => Scope::State,
            Resource::ActivityProfile | Resource::AgentProfile => Scope::Profile,
        }
    }

    fn id_param(self) -> &'static str {
        match self {
            Resource::State => "stateId",
            Resource::ActivityProfile | Resource::AgentProfile => "profileId",
        }
    }

    fn set_params(self) -> &'static [&'static str] {
        match self {
            Resource::State => &["activityId", "agent", "registration"],
            Resource::ActivityProfile => &["activityId"],
            Resource::AgentProfile => &["agent"],
        }
    }
}

/// The document (or set) a request addresses.
#[derive(Debug)]
pub struct Addressed {
    pub set: DocumentSet,
    /// The `agent` parameter as JSON, empty for activity profiles.
    pub agent_json: String,
    /// `stateId` / `profileId`; `None` for a multi-GET or a state DELETE-all.
    pub document_id: Option<String>,
    /// `since` (µs), multi-GET only.
    pub since_micros: Option<i64>,
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .ok_or_else(|| ApiError::BadRequest(format!("query parameter {name}: required")))
}

/// Parses and checks the query string of a document request.
pub fn address(resource: Resource, access: Access, query: &str) -> Result<Addressed, ApiError> {
    let mut allowed: Vec<&str> = resource.set_params().to_vec();
    allowed.push(resource.id_param());
    if access == Access::Read {
        allowed.push("since");
    }
    let params = Params::parse(query, &allowed)?;

    let activity_id = match resource {
        Resource::AgentProfile => String::new(),
        _ => {
            let activity_id = required(&params, "activityId")?;
            if !learnlog_xapi::is_iri(activity_id) {
                return Err(ApiError::BadRequest(
                    "query parameter activityId: must be an absolute IRI".into(),
                ));
            }
            activity_id.to_owned()
        }
    };
    let (agent_json, agent_key) = match resource {
        Resource::ActivityProfile => (String::new(), String::new()),
        _ => agent(required(&params, "agent")?)?,
    };
    let registration = params.uuid("registration")?.map(|r| r.to_string());

    let id_param = resource.id_param();
    let document_id = params.get(id_param).map(str::to_owned);
    if document_id.as_deref() == Some("") {
        return Err(ApiError::BadRequest(format!(
            "query parameter {id_param}: must not be empty"
        )));
    }
    let id_required = match access {
        Access::Read => false,
        Access::Write => true,
        Access::Delete => resource != Resource::State,
    };
    if id_required && document_id.is_none() {
        return Err(ApiError::BadRequest(format!(
            "query parameter {id_param}: required"
        )));
    }
    let since_micros = params
        .get("since")
        .map(|since| {
            if document_id.is_some() {
                return Err(ApiError::BadRequest(format!(
                    "query parameter since: only without {id_param}"
                )));
            }
            learnlog_xapi::parse_timestamp(since)
                .map(|at| at.timestamp_micros())
                .map_err(|rule| ApiError::BadRequest(format!("query parameter since: {rule}")))
        })
        .transpose()?;

    let set = match resource {
        Resource::State => DocumentSet::state(&activity_id, &agent_key, registration.as_deref()),
        Resource::ActivityProfile => DocumentSet::activity_profile(&activity_id),
        Resource::AgentProfile => DocumentSet::agent_profile(&agent_key),
    };
    Ok(Addressed {
        set,
        agent_json,
        document_id,
        since_micros,
    })
}

/// The `agent` parameter: an Agent (not a Group) with exactly one IFI. Returns its
/// JSON and its IFI key.
fn agent(value: &str) -> Result<(String, String), ApiError> {
    let agent = learnlog_xapi::parse_agent_param(value)?;
    if agent.get("objectType").and_then(|t| t.as_str()) == Some("Group") {
        return Err(ApiError::BadRequest(
            "query parameter agent: must be an Agent, not a Group".into(),
        ));
    }
    let key = learnlog_xapi::agent_ifi_key(&agent).ok_or_else(|| {
        ApiError::BadRequest("query parameter agent: must have exactly one valid IFI".into())
    })?;
    let json = serde_json::to_string(&agent).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((json, key))
}
