//! The GraphQL API: wiring over the registry. One place builds the schemas
//! (`build_schemas`), used by the server, the tests and the benchmark;
//! `sdl` prints them without ever building an executable schema.

pub mod connection;
pub mod context;
pub mod documents;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod observe;
pub mod plain;
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
    registry::{access::Viewer, capacity::Freshness, events::Events, find_help::FirstCircle, hold::FairShare},
};

pub type AppSchema = Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// The same API for anonymous callers, who get no "did you mean …"
/// suggestions in validation errors (they would help map the schema where
/// introspection is off), and for authenticated callers, who do.
#[derive(Clone)]
pub struct SchemaPair {
    pub anonymous: AppSchema,
    pub authenticated: AppSchema,
}

impl SchemaPair {
    /// The schema that serves `viewer`.
    pub fn serving(&self, viewer: &Viewer) -> &AppSchema {
        match viewer.caller() {
            Some(_) => &self.authenticated,
            None => &self.anonymous,
        }
    }
}

/// Every schema the server runs: the same types with different guards.
///
/// With any extension at all, async-graphql resolves every field through
/// the extension chain (a type look-up and a boxed future per field and
/// extension, whatever the extension does: a cost paid on every field of a
/// page; figures in `docs/benchmark.md`, "Figures behind the code"). So
/// HTTP requests execute on schemas with none: `http::graphql` applies the
/// limits and observes each request around its execution, and has it priced
/// first by `pricing`, whose one extension reports the cost async-graphql
/// computes while validating (and shows only to extensions), then stops.
/// WebSocket subscriptions run where async-graphql's protocol offers no
/// hook before they start: their schemas carry the limits and the rate
/// limit as extensions.
#[derive(Clone)]
pub struct Schemas {
    pub http: SchemaPair,
    pub pricing: AppSchema,
    pub websocket: SchemaPair,
}

/// The guards a schema carries as extensions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Guards {
    /// None: the caller applies them.
    None,
    /// Only the rate limiter's pricing, which stops every request once it
    /// is validated.
    Pricing,
    /// The document limits and the rate limit.
    All,
}

/// The schema's types, limits and extensions, without any data.
fn builder(
    limits: QueryLimits,
    guards: Guards,
) -> SchemaBuilder<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot> {
    let mut builder = Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        subscription::SubscriptionRoot::default(),
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    // Fragment spreads are followed when measuring this depth, so a chain
    // or a cycle of fragments stops here.
    .limit_recursive_depth(limits.max_depth + 8);
    match guards {
        Guards::None => {}
        Guards::Pricing => builder = builder.extension(rate_limit::Pricing),
        Guards::All => {
            builder = builder
                .extension(limits::LimitsExtension(limits))
                .extension(rate_limit::RateLimitExtension)
        }
    }
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
    pub fair_share: FairShare,
    /// Where this replica's nearest-first searches begin (learned).
    pub first_circle: Arc<FirstCircle>,
}

/// Builds the executable schemas; does no I/O.
pub fn build_schemas(deps: &SchemaDeps) -> Schemas {
    let build = |guards: Guards, suggestions: bool| {
        let builder = builder(deps.limits, guards)
            .data(deps.db.clone())
            .data(deps.rate_limiter.clone())
            .data(deps.metrics.clone())
            .data(deps.events.clone())
            .data(deps.freshness)
            .data(deps.fair_share)
            .data(deps.first_circle.clone());
        if suggestions {
            builder
        } else {
            builder.disable_suggestions()
        }
        .finish()
    };
    let pair = |guards: Guards| SchemaPair {
        anonymous: build(guards, false),
        authenticated: build(guards, true),
    };
    Schemas {
        http: pair(Guards::None),
        pricing: build(Guards::Pricing, false),
        websocket: pair(Guards::All),
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(QueryLimits::default(), Guards::None).finish().sdl()
}
