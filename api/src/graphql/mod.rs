//! The GraphQL API: one place builds the schema (`build_schema`), used by
//! the server, the tests and `kamkor schema`.

pub mod connection;
pub mod context;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod query;
pub mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

pub type AppSchema = Schema<query::QueryRoot, EmptyMutation, EmptySubscription>;

/// Deepest query accepted. GraphiQL's introspection query has depth 13;
/// the deepest sensible data query (findHelp → centre → area → parent) about 8.
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted; a connection counts its page size times its
/// selection, so `centres(first: 100)` with services and capacities fits.
pub const MAX_COMPLEXITY: usize = 20_000;

/// Builds the schema with its limits and shared data; does no I/O.
pub fn build_schema(db: Option<DatabaseConnection>) -> AppSchema {
    let builder = Schema::build(query::QueryRoot::default(), EmptyMutation, EmptySubscription)
        .extension(limits::DocumentLimitsExtension(limits::DocumentLimits::default()))
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        // Fragment spreads are followed when measuring this depth, so a chain
        // or a cycle of fragments stops here.
        .limit_recursive_depth(MAX_DEPTH + 8);
    match db {
        Some(db) => builder.data(db).finish(),
        None => builder.finish(),
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}
