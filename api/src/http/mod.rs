//! HTTP routes: GraphQL over HTTP and WebSocket, the playground, health
//! checks, metrics.

pub mod auth;
pub mod client;
pub mod compression;
pub mod graphql;
pub mod health;
pub mod hsds;
pub mod params;
pub mod playground;
pub mod subscription;
pub mod telemetry;

use actix_web::{HttpResponse, guard, web};
use sea_orm::DatabaseConnection;

use crate::metrics::Metrics;

/// Registers every route; the playground's only when it is on.
pub fn routes(config: &mut web::ServiceConfig, playground: bool) {
    let mut graphql = web::resource("/graphql").route(web::post().to(graphql::post)).route(
        web::get()
            .guard(guard::fn_guard(|ctx| ctx.head().upgrade()))
            .to(subscription::upgrade),
    );
    if playground {
        graphql = graphql.route(
            web::get()
                .guard(guard::fn_guard(graphql::wants_html))
                .to(playground::page),
        );
        config.route("/playground/{name}", web::get().to(playground::asset));
    }
    config
        .service(
            graphql
                .route(web::get().to(graphql::get))
                .route(web::route().to(graphql::method_not_allowed)),
        )
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics))
        .configure(hsds::routes);
}

/// Prometheus metrics (see `crate::metrics`).
async fn metrics(metrics: web::Data<std::sync::Arc<Metrics>>, db: web::Data<DatabaseConnection>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render(&db))
}
