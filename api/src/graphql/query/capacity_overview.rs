use async_graphql::{Context, Object};

use super::db;
use crate::{
    error::AppError,
    graphql::types::{enums::CapacityGroupBy, overview::CapacityOverview},
    service,
};

#[derive(Default)]
pub struct CapacityOverviewQuery;

#[Object]
impl CapacityOverviewQuery {
    /// Totals of places (maximum, available, occupancy) for dashboards, over
    /// active services at active centres in `areaCode` (whole country when
    /// omitted), grouped as asked.
    async fn capacity_overview(
        &self,
        ctx: &Context<'_>,
        area_code: Option<String>,
        #[graphql(default_with = "CapacityGroupBy::Area")] group_by: CapacityGroupBy,
    ) -> Result<CapacityOverview, AppError> {
        let db = db(ctx);
        let area = service::admin_area::optional_scope(db, area_code.as_deref()).await?;
        let overview = service::capacity_overview::overview(db, area.as_ref(), group_by.into()).await?;
        Ok(CapacityOverview(overview))
    }
}
