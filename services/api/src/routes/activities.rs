//! `GET /xapi/activities?activityId=…` (and HEAD): the canonical Activity merged from
//! every stored statement that defined the id (xAPI Communication §2.5 Activities Resource).

use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_projector_replicated::activities::ActivityReader;

pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let params = Params::parse(request.query_string(), &["activityId"])?;
    caller.require(Scope::StatementsRead)?;
    let id = params
        .get("activityId")
        .ok_or_else(|| ApiError::BadRequest("query parameter activityId: required".into()))?;
    if !learnlog_xapi::is_iri(id) {
        return Err(ApiError::BadRequest(
            "query parameter activityId: must be an IRI".into(),
        ));
    }
    let reader = ActivityReader::new(&state.statements)?;
    Ok(HttpResponse::Ok().json(reader.activity(caller.tenant(), id)?))
}
