//! The routes of the API, one module per resource.

mod about;
mod activities;
pub(crate) mod admin;
mod agents;
pub(crate) mod alignments;
mod appending;
pub(crate) mod class_views;
pub(crate) mod classes;
pub(crate) mod competency_learners;
pub(crate) mod decisions;
mod document_params;
mod document_writes;
mod documents;
pub(crate) mod forwardings;
pub(crate) mod frameworks;
pub(crate) mod goals;
pub(crate) mod learners;
pub(crate) mod mastery;
pub(crate) mod mastery_fits;
mod ops;
mod params;
pub(crate) mod personal_data;
mod statement_query;
mod statement_reads;
mod statement_writes;
pub(crate) mod streams;
pub(crate) mod tenants;

use crate::middleware;
use actix_web::middleware::from_fn;
use actix_web::web;

/// Mounts every route.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        // learnlog_cluster::OWNERSHIP_PATH, written out for the OpenAPI route test
        .route("/internal/v1/ownership", web::get().to(ops::ownership))
        .route("/v1/openapi.json", web::get().to(crate::openapi::document))
        .configure(learnlog_dashboard::configure)
        .service(
            web::scope("/v1/admin")
                .service(
                    web::resource("/credentials")
                        .route(web::post().to(admin::create))
                        .route(web::get().to(admin::list)),
                )
                .service(web::resource("/credentials/{key}").route(web::delete().to(admin::revoke)))
                .service(
                    web::resource("/tenants")
                        .route(web::post().to(tenants::create))
                        .route(web::get().to(tenants::list)),
                )
                .service(web::resource("/tenants/{tenant}").route(web::get().to(tenants::get)))
                .service(
                    web::resource("/tenants/{tenant}/disable")
                        .route(web::post().to(tenants::disable)),
                )
                .service(
                    web::resource("/tenants/{tenant}/enable")
                        .route(web::post().to(tenants::enable)),
                )
                .service(web::resource("/mastery/fits").route(web::post().to(mastery_fits::fit))),
        )
        .route(
            "/v1/frameworks/{framework}/competencies/{competency}/learners",
            web::get().to(competency_learners::framework_competency_learners),
        )
        .route(
            "/v1/competencies/{competency}/learners",
            web::get().to(competency_learners::competency_learners),
        )
        .route("/v1/streams/statements", web::get().to(streams::statements))
        .route("/v1/streams/mastery", web::get().to(streams::mastery))
        .route("/v1/streams/profiles", web::get().to(streams::profiles))
        .route("/v1/streams/decisions", web::get().to(streams::decisions))
        .service(
            web::scope("/v1/learners/{learner}")
                .service(web::resource("/profile").route(web::get().to(learners::profile)))
                .service(web::resource("/export").route(web::get().to(personal_data::export)))
                .service(web::resource("/erase").route(web::post().to(personal_data::erase)))
                .service(web::resource("/mastery").route(web::get().to(mastery::learner)))
                .service(web::resource("/decisions").route(web::get().to(decisions::get)))
                .service(web::resource("/choices").route(web::post().to(decisions::choose)))
                .service(
                    web::resource("/interventions/{intervention}")
                        .route(web::post().to(decisions::act)),
                )
                .service(
                    web::resource("/goals")
                        .route(web::post().to(goals::set))
                        .route(web::get().to(goals::list)),
                )
                .service(
                    web::resource("/goals/{goal_id}")
                        .route(web::get().to(goals::get))
                        .route(web::delete().to(goals::remove)),
                ),
        )
        .service(web::resource("/v1/forwardings").route(web::get().to(forwardings::list)))
        .service(
            web::resource("/v1/forwardings/{id}")
                .route(web::put().to(forwardings::put))
                .route(web::get().to(forwardings::get))
                .route(web::delete().to(forwardings::delete)),
        )
        .service(web::resource("/v1/classes").route(web::get().to(classes::list)))
        .service(
            web::scope("/v1/classes/{id}")
                .service(
                    web::resource("")
                        .route(web::put().to(classes::put))
                        .route(web::get().to(classes::get))
                        .route(web::delete().to(classes::delete)),
                )
                .service(web::resource("/mastery").route(web::get().to(class_views::mastery)))
                .service(web::resource("/decisions").route(web::get().to(class_views::decisions)))
                .service(web::resource("/groups").route(web::get().to(class_views::groups))),
        )
        .service(web::resource("/v1/frameworks").route(web::get().to(frameworks::list)))
        .service(
            web::resource("/v1/frameworks/{id}")
                .route(web::put().to(frameworks::put))
                .route(web::get().to(frameworks::get)),
        )
        .service(
            web::resource("/v1/frameworks/{id}/competencies/{cid}")
                .route(web::get().to(frameworks::competency)),
        )
        .service(
            web::resource("/v1/alignments")
                .route(web::put().to(alignments::put))
                .route(web::get().to(alignments::get))
                .route(web::delete().to(alignments::delete)),
        )
        .service(
            web::scope("/xapi")
                .wrap(from_fn(middleware::xapi_version))
                .service(
                    web::resource("/activities")
                        .route(web::get().to(activities::get))
                        .route(web::head().to(activities::get)),
                )
                .service(
                    web::resource("/agents")
                        .route(web::get().to(agents::get))
                        .route(web::head().to(agents::get)),
                )
                .service(
                    web::resource("/activities/state")
                        .route(web::get().to(documents::get::<documents::State>))
                        .route(web::head().to(documents::get::<documents::State>))
                        .route(web::put().to(documents::put::<documents::State>))
                        .route(web::post().to(documents::post::<documents::State>))
                        .route(web::delete().to(documents::delete::<documents::State>)),
                )
                .service(
                    web::resource("/activities/profile")
                        .route(web::get().to(documents::get::<documents::ActivityProfile>))
                        .route(web::head().to(documents::get::<documents::ActivityProfile>))
                        .route(web::put().to(documents::put::<documents::ActivityProfile>))
                        .route(web::post().to(documents::post::<documents::ActivityProfile>))
                        .route(web::delete().to(documents::delete::<documents::ActivityProfile>)),
                )
                .service(
                    web::resource("/agents/profile")
                        .route(web::get().to(documents::get::<documents::AgentProfile>))
                        .route(web::head().to(documents::get::<documents::AgentProfile>))
                        .route(web::put().to(documents::put::<documents::AgentProfile>))
                        .route(web::post().to(documents::post::<documents::AgentProfile>))
                        .route(web::delete().to(documents::delete::<documents::AgentProfile>)),
                )
                .service(
                    web::resource("/about")
                        .route(web::get().to(about::get))
                        .route(web::head().to(about::get)),
                )
                .service(
                    web::resource("/statements")
                        .wrap(from_fn(middleware::consistent_through))
                        .route(web::post().to(statement_writes::post))
                        .route(web::put().to(statement_writes::put))
                        .route(web::get().to(statement_reads::get))
                        .route(web::head().to(statement_reads::get)),
                ),
        );
}
