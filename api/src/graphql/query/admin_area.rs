use std::sync::Arc;

use async_graphql::{Context, Object};

use crate::{
    error::AppError,
    graphql::{connection::lookup_complexity, context::ContextExt, types::admin_area::AdminArea},
    registry,
};

#[derive(Default)]
pub struct AdminAreaQuery;

#[Object]
impl AdminAreaQuery {
    /// Administrative areas directly inside `parentCode` (e.g. the districts of
    /// Bishkek for `KG-GB`), or the 7 regions and 2 cities when omitted.
    #[graphql(complexity = "lookup_complexity(20, child_complexity)")]
    async fn admin_areas(&self, ctx: &Context<'_>, parent_code: Option<String>) -> Result<Vec<AdminArea>, AppError> {
        let areas = registry::admin_area::children(ctx.db()?, parent_code.as_deref()).await?;
        Ok(areas.into_iter().map(|a| AdminArea(Arc::new(a))).collect())
    }
}
