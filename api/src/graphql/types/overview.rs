use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    admin_area::AdminArea,
    centre::Centre,
    enums::{ServiceCategory, TargetGroup},
};
use crate::{
    error::AppError,
    graphql::connection::connection_type,
    registry::{
        capacity::StaleCentre as Stale,
        overview::{GroupKey, Overview, Totals},
    },
};

/// Summed places over a set of capacities.
#[derive(SimpleObject, Clone, Debug)]
pub struct CapacityTotals {
    /// All places.
    pub maximum: i64,
    /// Free places.
    pub available: i64,
    /// Taken places (`maximum - available`).
    pub occupied: i64,
    /// Share of places taken, 0..1; null when there are no places.
    pub occupancy_rate: Option<f64>,
    /// Number of capacities summed.
    pub capacities: i64,
    /// How many of them have a stale count (see `Capacity.stale`).
    pub stale_capacities: i64,
}

impl From<Totals> for CapacityTotals {
    fn from(t: Totals) -> Self {
        let occupied = t.maximum - t.available;
        let occupancy_rate = (t.maximum > 0).then(|| occupied as f64 / t.maximum as f64);
        Self {
            maximum: t.maximum,
            available: t.available,
            occupied,
            occupancy_rate,
            capacities: t.capacities,
            stale_capacities: t.stale,
        }
    }
}

/// Totals for one group; exactly one of `area`, `category`, `targetGroup` is set,
/// according to `groupBy`.
#[derive(SimpleObject, Clone, Debug)]
pub struct CapacityGroup {
    /// The area, when grouped by AREA.
    pub area: Option<AdminArea>,
    /// The category, when grouped by CATEGORY.
    pub category: Option<ServiceCategory>,
    /// The target group, when grouped by TARGET_GROUP.
    pub target_group: Option<TargetGroup>,
    /// The group's totals.
    pub totals: CapacityTotals,
}

pub struct CapacityOverview(pub Overview);

/// Places in the registry for dashboards.
#[Object]
impl CapacityOverview {
    /// Totals over everything selected.
    async fn total(&self) -> CapacityTotals {
        self.0.total.into()
    }

    /// Totals per group.
    async fn groups(&self) -> Vec<CapacityGroup> {
        self.0
            .groups
            .iter()
            .map(|(key, totals)| {
                let mut group = CapacityGroup {
                    area: None,
                    category: None,
                    target_group: None,
                    totals: (*totals).into(),
                };
                match key {
                    GroupKey::Area(area) => group.area = Some(AdminArea(std::sync::Arc::new(area.clone()))),
                    GroupKey::Category(c) => group.category = Some((*c).into()),
                    GroupKey::TargetGroup(g) => group.target_group = Some((*g).into()),
                }
                group
            })
            .collect()
    }
}

/// A centre whose counts of places have gone stale.
#[derive(Clone, Debug)]
pub struct StaleCentre(pub Stale);

/// A centre whose counts of places have gone stale: someone should call it.
#[Object]
impl StaleCentre {
    /// The centre.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Centre, AppError> {
        Centre::load(ctx, self.0.centre_id).await
    }

    /// When its oldest count was taken.
    async fn oldest_count(&self) -> DateTime<Utc> {
        self.0.oldest
    }

    /// How many of its capacities have a stale count.
    async fn stale_capacities(&self) -> i64 {
        self.0.stale
    }
}

connection_type!(
    StaleCentreConnection,
    StaleCentreEdge,
    StaleCentre,
    "A page of centres with stale counts, oldest count first, as a Relay connection.",
    "A centre with stale counts in a page, with its cursor."
);
