//! The GraphQL API: wiring over the registry. One place builds the schemas
//! (`build_schemas`), used by the server, the tests and the benchmark;
//! `sdl` prints them without ever building an executable schema.

pub mod connection;
pub mod context;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod observe;
pub mod query;
pub mod rate_limit;
pub mod subscription;
#[cfg(feature = "test-hooks")]
pub mod test_hooks;
pub mod types;

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::{
    config::QueryLimits,
    metrics::Metrics,
    registry::{access::Viewer, capacity::Freshness, events::Events},
};

pub type AppSchema = Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// The same API twice: anonymous callers get no "did you mean …"
/// suggestions in validation errors (they would help map the schema where
/// introspection is off); authenticated callers do.
#[derive(Clone)]
pub struct Schemas {
    pub anonymous: AppSchema,
    pub authenticated: AppSchema,
}

impl Schemas {
    /// The schema that serves `viewer`.
    pub fn serving(&self, viewer: &Viewer) -> &AppSchema {
        match viewer.caller() {
            Some(_) => &self.authenticated,
            None => &self.anonymous,
        }
    }
}

/// The schema's types, limits and extensions, without any data.
fn builder(
    limits: QueryLimits,
) -> SchemaBuilder<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot> {
    let builder = Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        subscription::SubscriptionRoot::default(),
    )
    .extension(observe::Observe)
    .extension(limits::LimitsExtension(limits))
    .extension(rate_limit::RateLimitExtension)
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    // Fragment spreads are followed when measuring this depth, so a chain
    // or a cycle of fragments stops here.
    .limit_recursive_depth(limits.max_depth + 8);
    #[cfg(feature = "test-hooks")]
    let builder = builder.extension(test_hooks::TestHooks);
    builder
}

/// What the schemas share with the rest of the server.
#[derive(Clone)]
pub struct SchemaDeps {
    pub db: DatabaseConnection,
    pub limits: QueryLimits,
    pub rate_limiter: Arc<rate_limit::RateLimiter>,
    pub metrics: Arc<Metrics>,
    pub events: Events,
    pub freshness: Freshness,
}

/// Builds the executable schemas; does no I/O.
pub fn build_schemas(deps: &SchemaDeps) -> Schemas {
    let build = |suggestions: bool| {
        let builder = builder(deps.limits)
            .data(deps.db.clone())
            .data(deps.rate_limiter.clone())
            .data(deps.metrics.clone())
            .data(deps.events.clone())
            .data(deps.freshness);
        if suggestions {
            builder
        } else {
            builder.disable_suggestions()
        }
        .finish()
    };
    Schemas {
        anonymous: build(false),
        authenticated: build(true),
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(QueryLimits::default()).finish().sdl()
}
