use async_graphql::{Context, Object};

use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, listing_complexity, lookup_complexity, paginate},
        context::ContextExt,
        types::{
            enums::CapacityGroupBy,
            overview::{CapacityOverview, StaleCentre, StaleCentreConnection},
        },
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
        let overview = registry::overview::overview(
            ctx.db()?,
            ctx.reference()?,
            area_code.as_deref(),
            group_by.into(),
            ctx.freshness(),
        )
        .await?;
        Ok(CapacityOverview(overview))
    }

    /// The centres whose counts of places are stale (see `Capacity.stale`),
    /// oldest count first, so that the ministry can call them (registry
    /// admins).
    #[graphql(complexity = "listing_complexity(first, last, child_complexity)")]
    async fn stale_centres(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<StaleCentreConnection, AppError> {
        let (db, viewer, freshness) = (ctx.db()?, ctx.viewer()?, ctx.freshness());
        // Fails for anyone but an admin before any page is read.
        let total = registry::capacity::count_stale_centres(db, viewer, freshness).await?;
        let query = fingerprint(&("staleCentres", freshness.stale_after));
        paginate(
            ctx,
            PageArgs::new(first, after, last, before),
            query,
            || async move { Ok(total) },
            |window| async move {
                let rows = registry::capacity::stale_centres(db, viewer, freshness, window).await?;
                Ok(rows.into_iter().map(StaleCentre).collect())
            },
        )
        .await
        .map(StaleCentreConnection)
    }
}
