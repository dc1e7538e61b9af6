//! The GraphQL API: wiring over the registry. One place builds the schema
//! (`build_schema`), used by the server, the tests and the benchmark;
//! `sdl` prints it without ever building an executable schema.

pub mod connection;
pub mod context;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod query;
pub mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

pub type AppSchema = Schema<query::QueryRoot, EmptyMutation, EmptySubscription>;

/// Deepest query accepted. GraphiQL's introspection query has depth 13;
/// the deepest sensible data query (findHelp → centre → area → parent) about 8.
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted; a connection counts its page size times its
/// selection, so `centres(first: 100)` with services and capacities fits.
pub const MAX_COMPLEXITY: usize = 20_000;

/// The schema's types and limits, without any data.
fn builder() -> SchemaBuilder<query::QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(query::QueryRoot::default(), EmptyMutation, EmptySubscription)
        .extension(limits::DocumentLimitsExtension(limits::DocumentLimits::default()))
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        // Fragment spreads are followed when measuring this depth, so a chain
        // or a cycle of fragments stops here.
        .limit_recursive_depth(MAX_DEPTH + 8)
}

/// Builds the executable schema over `db`; does no I/O.
pub fn build_schema(db: DatabaseConnection) -> AppSchema {
    builder().data(db).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
