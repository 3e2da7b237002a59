//! The views of a class:
//!
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

use super::classes::{member_view, stored};
use super::decisions::{of_kind, rfc3339, DecisionQuery};
use super::mastery::{parse_at, AtQuery};
use super::params::Params;
use crate::auth::{Authenticated, Scope};
use crate::decisions::Evaluator;
use crate::error::ApiError;
use crate::openapi::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use learnlog_decisions::{suggest_groups, Decision, GroupCandidate, Groups, Kind};
use learnlog_projector_replicated::classes::{self, Class};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

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
