//! `GET /xapi/agents?agent=…` (and HEAD): the Person object, everything stored
//! statements said about the agent with that IFI (xAPI Communication §2.4 Agents Resource).

use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector_replicated::agents::AgentReader;

pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(request.query_string(), &["agent"])?;
    caller.require(Scope::StatementsRead)?;
    let agent = params
        .get("agent")
        .ok_or_else(|| ApiError::BadRequest("query parameter agent: required".into()))?;
    let agent = learnlog_xapi::parse_agent_param(agent)?;
    let reader = AgentReader::new(&state.statements)?;
    let person = reader.person(caller.tenant(), &agent)?;
    Ok(HttpResponse::Ok().json(person.to_json()))
}
