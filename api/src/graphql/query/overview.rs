use async_graphql::{Context, Object};

use crate::{
    error::AppError,
    graphql::{
        connection::lookup_complexity,
        context::ContextExt,
        types::{enums::CapacityGroupBy, overview::CapacityOverview},
    },
    registry,
};

#[derive(Default)]
pub struct CapacityOverviewQuery;

#[Object]
impl CapacityOverviewQuery {
    /// Totals of places (maximum, available, occupancy) for dashboards, over
    /// active services at active centres in `areaCode` (whole country when
    /// omitted), grouped as asked.
    #[graphql(complexity = "lookup_complexity(20, child_complexity)")]
    async fn capacity_overview(
        &self,
        ctx: &Context<'_>,
        area_code: Option<String>,
        #[graphql(default_with = "CapacityGroupBy::Area")] group_by: CapacityGroupBy,
    ) -> Result<CapacityOverview, AppError> {
        let overview = registry::overview::overview(ctx.db()?, area_code.as_deref(), group_by.into()).await?;
        Ok(CapacityOverview(overview))
    }
}
