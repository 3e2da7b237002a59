//! Classes and their views:
//!
//! - `PUT /v1/classes/{id}` `{"name"?, "members": [agent | learner id…], "teachers"?: […],
//!   "frameworks"?: […]}` (scope `all`): creates (201) or replaces (200) the roster;
//! - `GET /v1/classes`, `GET /v1/classes/{id}`, `DELETE /v1/classes/{id}` (204, 404);
//! - `GET /v1/classes/{id}/mastery[?framework=…&at=…]`: the mastery grid, learners ×
//!   competencies of the class's frameworks (or the one named);
//! - `GET /v1/classes/{id}/decisions[?kind=…&at=…]`: every member's decisions;
//! - `GET /v1/classes/{id}/groups[?at=…]`: suggested small groups of members who share
//!   a next objective.
//!
//! Reads need `statements/read` (or `all/read`, `all`). Members are listed by display
//! name, then learner id. A process that answers for some learner partitions only (a
//! projector) lists only the members it owns; the api role gathers every projector's
//! part (and forms the groups from every member's objectives, as one process would).

use super::appending::append_and_wait;
use super::decisions::{of_kind, rfc3339, DecisionQuery};
use super::mastery::{parse_at, AtQuery};
use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::decisions::Evaluator;
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_decisions::{suggest_groups, Decision, GroupCandidate, Groups, Kind};
use learnlog_projector::classes::{self, Class, ClassOutcome, ClassRequest};
use learnlog_projector::learners::parse_learner;
use learnlog_proto::topics;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The body of `PUT /v1/classes/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassBody {
    #[serde(default)]
    pub name: String,
    /// xAPI agents (objects with one identifier), or learner ids.
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<Value>,
    #[serde(default)]
    pub teachers: Vec<String>,
    #[serde(default)]
    pub frameworks: Vec<String>,
}

/// One member as a class view shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub learner: String,
    /// The agent as given, when the member was given as an agent.
    #[schema(value_type = Option<Object>)]
    pub agent: Option<Value>,
    /// The agent's name, or its identifier, for people.
    pub display: String,
}

/// A class as the API answers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassView {
    pub id: String,
    pub name: String,
    pub members: Vec<MemberView>,
    pub teachers: Vec<String>,
    pub frameworks: Vec<String>,
    pub updated_at: String,
}

fn member_view(member: &classes::Member) -> MemberView {
    let agent = serde_json::from_str::<Value>(&member.given)
        .ok()
        .filter(Value::is_object);
    let display = agent
        .as_ref()
        .and_then(|a| {
            (a.get("name").and_then(Value::as_str))
                .or_else(|| a.get("mbox").and_then(Value::as_str))
                .or_else(|| a.pointer("/account/name").and_then(Value::as_str))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| member.learner.to_string());
    MemberView {
        learner: member.learner.to_string(),
        agent,
        display,
    }
}

fn class_view(class: &Class) -> ClassView {
    ClassView {
        id: class.id.clone(),
        name: class.name.clone(),
        members: class.members.iter().map(member_view).collect(),
        teachers: class.teachers.clone(),
        frameworks: class.frameworks.clone(),
        updated_at: rfc3339(class.updated_micros),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("class {id} does not exist"))
}

fn stored(state: &AppState, tenant: &str, id: &str) -> Result<Class, ApiError> {
    state
        .class_reader
        .class(tenant, id)?
        .ok_or_else(|| not_found(id))
}

/// The members this process answers for: all of them, or those of owned partitions.
fn owned_members<'a>(state: &AppState, class: &'a Class) -> Vec<&'a classes::Member> {
    class
        .members
        .iter()
        .filter(|m| {
            state.owned.is_none()
                || state
                    .learner_partition(m.learner)
                    .is_ok_and(|p| state.owns(p))
        })
        .collect()
}

fn member_of(index: usize, value: &Value) -> Result<(uuid::Uuid, String), ApiError> {
    let given = match value {
        Value::String(id) => id.clone(),
        Value::Object(_) => value.to_string(),
        _ => {
            return Err(ApiError::BadRequest(format!(
                "members[{index}]: must be an agent object or a learner id"
            )))
        }
    };
    let learner = parse_learner(&given)
        .map_err(|e| ApiError::BadRequest(format!("members[{index}]: {e}")))?;
    Ok((learner, given))
}

/// `PUT /v1/classes/{id}`.
#[utoipa::path(
    put,
    path = "/v1/classes/{id}",
    operation_id = "putClass",
    tag = "classes",
    params(("id" = String, Path, description = "The class id")),
    request_body = ClassBody,
    responses(
        (status = 201, description = "Created", body = ClassView,
            headers(("Location" = String, description = "The class's URL"))),
        (status = 200, description = "Replaced", body = ClassView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn put(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let body: ClassBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("class body: {e}")))?;
    let members = (body.members.iter().enumerate())
        .map(|(i, m)| member_of(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let request = ClassRequest {
        id: id.to_string(),
        name: body.name,
        members,
        teachers: body.teachers,
        frameworks: body.frameworks,
    };
    let tenant = caller.tenant();
    let envelope = classes::class_set(tenant, &request, chrono::Utc::now().timestamp_micros())
        .map_err(super::frameworks::invalid)?;
    let position = append_and_wait(&state, topics::CLASSES, envelope, &state.classes).await?;
    let outcome = outcome(&state, position)?;
    let view = class_view(&stored(&state, tenant, &id)?);
    Ok(match outcome {
        ClassOutcome::Created => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/classes/{id}")))
            .json(view),
        _ => HttpResponse::Ok().json(view),
    })
}

fn outcome(state: &AppState, position: learnlog_log::Position) -> Result<ClassOutcome, ApiError> {
    state
        .classes
        .outcome(topics::CLASSES, position.partition, position.offset)?
        .as_deref()
        .and_then(ClassOutcome::decode)
        .ok_or_else(|| ApiError::Internal("the classes projection recorded no outcome".into()))
}

/// `GET /v1/classes`.
#[utoipa::path(
    get,
    path = "/v1/classes",
    operation_id = "listClasses",
    tag = "classes",
    responses(
        (status = 200, description = "The tenant's classes, by id", body = Vec<ClassView>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("basic" = []))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let classes: Vec<ClassView> = (state.class_reader.list(caller.tenant())?.iter())
        .map(class_view)
        .collect();
    Ok(HttpResponse::Ok().json(classes))
}

/// `GET /v1/classes/{id}`.
#[utoipa::path(
    get,
    path = "/v1/classes/{id}",
    operation_id = "getClass",
    tag = "classes",
    params(("id" = String, Path, description = "The class id")),
    responses(
        (status = 200, description = "The class", body = ClassView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    Ok(HttpResponse::Ok().json(class_view(&stored(&state, caller.tenant(), &id)?)))
}

/// `DELETE /v1/classes/{id}`.
#[utoipa::path(
    delete,
    path = "/v1/classes/{id}",
    operation_id = "deleteClass",
    tag = "classes",
    params(("id" = String, Path, description = "The class id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    ),
    security(("basic" = []))
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::All)?;
    let tenant = caller.tenant();
    stored(&state, tenant, &id)?;
    let envelope = classes::class_removed(tenant, &id, chrono::Utc::now().timestamp_micros())
        .map_err(super::frameworks::invalid)?;
    let position = append_and_wait(&state, topics::CLASSES, envelope, &state.classes).await?;
    match outcome(&state, position)? {
        ClassOutcome::Removed => Ok(HttpResponse::NoContent().finish()),
        _ => Err(not_found(&id)),
    }
}

/// The query of the mastery grid.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridQuery {
    /// The framework whose competencies are the columns; default the class's
    /// frameworks (every framework of the tenant when it names none).
    pub framework: Option<String>,
    /// RFC 3339 instant of P(mastered) (forgetting applied up to it); default now.
    #[param(format = DateTime)]
    pub at: Option<String>,
}

impl GridQuery {
    fn read(query: &str) -> Result<Self, ApiError> {
        let params = Params::parse(query, &["framework", "at"])?;
        Ok(Self {
            framework: params.get("framework").map(str::to_owned),
            at: params.get("at").map(str::to_owned),
        })
    }
}

/// One cell of the grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cell {
    pub p_mastered: f64,
    pub mastered: bool,
    pub evidence: u32,
}

/// One column of the grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct Column {
    pub competency: String,
    pub title: String,
}

/// One row of the grid: cells in column order, `null` where there is no evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct Row {
    pub learner: String,
    pub display: String,
    pub cells: Vec<Option<Cell>>,
    pub mastered: usize,
}

/// The mastery grid of a class.
#[derive(Debug, Serialize, ToSchema)]
pub struct Grid {
    pub class: String,
    pub at: String,
    pub competencies: Vec<Column>,
    pub learners: Vec<Row>,
}

/// The competencies practised directly, in framework order.
fn columns(evaluator: &Evaluator<'_>) -> Vec<Column> {
    (evaluator.graph.leaves())
        .map(|c| Column {
            competency: c.id.clone(),
            title: c.title.clone(),
        })
        .collect()
}

fn frameworks_of(class: &Class, asked: Option<&String>) -> Option<Vec<String>> {
    match asked {
        Some(framework) => Some(vec![framework.clone()]),
        None if class.frameworks.is_empty() => None,
        None => Some(class.frameworks.clone()),
    }
}

/// `GET /v1/classes/{id}/mastery`.
#[utoipa::path(
    get,
    path = "/v1/classes/{id}/mastery",
    operation_id = "getClassMastery",
    tag = "classes",
    params(("id" = String, Path, description = "The class id"), GridQuery),
    responses(
        (status = 200, description = "The mastery grid", body = Grid),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn mastery(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let query = GridQuery::read(request.query_string())?;
    let tenant = caller.tenant();
    let class = stored(&state, tenant, &id)?;
    let at = parse_at(query.at.as_deref())?;
    if let Some(framework) = &query.framework {
        if state
            .framework_reader
            .framework(tenant, framework)?
            .is_none()
        {
            return Err(ApiError::NotFound(format!(
                "framework {framework} does not exist"
            )));
        }
    }
    let frameworks = frameworks_of(&class, query.framework.as_ref());
    let evaluator = Evaluator::new(&state, tenant, at, frameworks.as_deref())?;
    let columns = columns(&evaluator);
    let mut rows = Vec::new();
    for member in owned_members(&state, &class) {
        let mastery = state.mastery_reader.learner(tenant, member.learner, at)?;
        let cells: Vec<Option<Cell>> = (columns.iter())
            .map(|column| {
                let c = mastery
                    .as_ref()?
                    .competencies
                    .iter()
                    .find(|c| c.competency == column.competency)?;
                Some(Cell {
                    p_mastered: c.p_mastered,
                    mastered: c.mastered(),
                    evidence: c.record.state.count,
                })
            })
            .collect();
        rows.push(Row {
            learner: member.learner.to_string(),
            display: member_view(member).display,
            mastered: cells.iter().flatten().filter(|c| c.mastered).count(),
            cells,
        });
    }
    rows.sort_by(|a, b| (&a.display, &a.learner).cmp(&(&b.display, &b.learner)));
    Ok(HttpResponse::Ok().json(Grid {
        class: class.id,
        at: rfc3339(at),
        competencies: columns,
        learners: rows,
    }))
}

/// One member's decisions in a class view.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDecisions {
    pub learner: String,
    pub display: String,
    pub decisions: Vec<Decision>,
}

/// Every member's decisions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassDecisions {
    pub class: String,
    pub at: String,
    pub learners: Vec<MemberDecisions>,
}

fn members_decisions(
    state: &AppState,
    evaluator: &Evaluator<'_>,
    class: &Class,
    kind: Option<Kind>,
) -> Result<Vec<MemberDecisions>, ApiError> {
    let mut members = owned_members(state, class)
        .into_iter()
        .map(|member| {
            let evaluated = evaluator.evaluate(member.learner)?;
            Ok(MemberDecisions {
                learner: member.learner.to_string(),
                display: member_view(member).display,
                decisions: of_kind(evaluated.decisions, kind),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    members.sort_by(|a, b| (&a.display, &a.learner).cmp(&(&b.display, &b.learner)));
    Ok(members)
}

/// `GET /v1/classes/{id}/decisions`.
#[utoipa::path(
    get,
    path = "/v1/classes/{id}/decisions",
    operation_id = "getClassDecisions",
    tag = "classes",
    params(("id" = String, Path, description = "The class id"), DecisionQuery),
    responses(
        (status = 200, description = "Every member's decisions", body = ClassDecisions),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn decisions(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let query = DecisionQuery::read(request.query_string())?;
    let tenant = caller.tenant();
    let class = stored(&state, tenant, &id)?;
    let kind = query.kind()?;
    let at = parse_at(query.at.as_deref())?;
    let evaluator = Evaluator::new(&state, tenant, at, frameworks_of(&class, None).as_deref())?;
    let learners = members_decisions(&state, &evaluator, &class, kind)?;
    Ok(HttpResponse::Ok().json(ClassDecisions {
        class: class.id,
        at: rfc3339(at),
        learners,
    }))
}

/// Suggested groups of a class, with what they were formed from: each member's
/// next objectives, the competencies in framework order and the group sizes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassGroups {
    pub class: String,
    pub at: String,
    #[serde(flatten)]
    pub groups: Groups,
    pub candidates: Vec<GroupCandidate>,
    pub competencies: Vec<Column>,
    pub group_min: usize,
    pub group_max: usize,
}

/// `GET /v1/classes/{id}/groups`.
#[utoipa::path(
    get,
    path = "/v1/classes/{id}/groups",
    operation_id = "getClassGroups",
    tag = "classes",
    params(("id" = String, Path, description = "The class id"), AtQuery),
    responses(
        (status = 200, description = "Suggested small groups", body = ClassGroups),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("basic" = []))
)]
pub async fn groups(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::StatementsRead)?;
    let at = super::mastery::read_at(request.query_string())?;
    let tenant = caller.tenant();
    let class = stored(&state, tenant, &id)?;
    let evaluator = Evaluator::new(&state, tenant, at, frameworks_of(&class, None).as_deref())?;
    let members = members_decisions(&state, &evaluator, &class, Some(Kind::Objective))?;
    let mut candidates: Vec<GroupCandidate> = members
        .into_iter()
        .map(|m| GroupCandidate {
            learner: m.learner,
            objectives: m
                .decisions
                .into_iter()
                .filter_map(|d| d.competency)
                .collect(),
        })
        .collect();
    candidates.sort_by(|a, b| a.learner.cmp(&b.learner));
    let settings = evaluator.settings();
    let groups = suggest_groups(&candidates, &evaluator.graph, settings);
    Ok(HttpResponse::Ok().json(ClassGroups {
        class: class.id,
        at: rfc3339(at),
        groups,
        candidates,
        competencies: columns(&evaluator),
        group_min: settings.group_min,
        group_max: settings.group_max,
    }))
}
