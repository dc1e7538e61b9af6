use async_graphql::{Object, SimpleObject};

use super::{
    admin_area::AdminArea,
    enums::{ServiceCategory, TargetGroup},
};
use crate::registry::overview::{GroupKey, Overview, Totals};

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
                    GroupKey::Area(area) => group.area = Some(AdminArea(area.clone())),
                    GroupKey::Category(c) => group.category = Some((*c).into()),
                    GroupKey::TargetGroup(g) => group.target_group = Some((*g).into()),
                }
                group
            })
            .collect()
    }
}
