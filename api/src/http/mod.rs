//! HTTP routes: GraphQL over HTTP, the playground, health checks.

pub mod graphql;
pub mod health;
pub mod playground;
pub mod telemetry;

use actix_web::{guard, web};

/// Registers every route.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/graphql")
                .route(web::post().to(graphql::post))
                .route(
                    web::get()
                        .guard(guard::fn_guard(graphql::wants_html))
                        .to(graphql::playground),
                )
                .route(web::get().to(graphql::get))
                .route(web::route().to(graphql::method_not_allowed)),
        )
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz));
}
