//! Totals of places for dashboards: how many places exist and how many are
//! free, per area, per category or per target group.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    capacity, centre,
    enums::{ServiceCategory, TargetGroup},
    service, service_at_centre, service_target_group,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait, Select,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};

use super::{
    admin_area::{self, AreaScope},
    capacity::Freshness,
    lifecycle,
    reference::ReferenceCache,
};
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Area,
    Category,
    TargetGroup,
}

/// Summed places over a set of capacities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub maximum: i64,
    pub available: i64,
    pub capacities: i64,
    /// Capacities whose count is stale (see `capacity::Freshness`).
    pub stale: i64,
}

impl Totals {
    fn add(&mut self, other: Totals) {
        self.maximum += other.maximum;
        self.available += other.available;
        self.capacities += other.capacities;
        self.stale += other.stale;
    }
}

/// The summed columns as read: maximum, available, capacities, stale.
type Sums = (Option<i64>, Option<i64>, i64, Option<i64>);

#[derive(Clone, Debug, PartialEq)]
pub enum GroupKey {
    Area(entity::admin_area::Model),
    Category(ServiceCategory),
    TargetGroup(TargetGroup),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    pub total: Totals,
    pub groups: Vec<(GroupKey, Totals)>,
}

/// Live capacities of active services at active centres, optionally inside an area.
fn live_capacities(area: Option<&AreaScope>) -> Select<capacity::Entity> {
    let mut cond = Condition::all()
        .add(lifecycle::placement_live())
        .add(lifecycle::service_offered())
        .add(lifecycle::centre_receiving());
    if let Some(area) = area {
        cond = cond.add(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()));
    }
    capacity::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
        .filter(cond)
}

/// Adds the summed columns to a grouped or ungrouped select; counts before
/// `stale_before` are stale.
fn with_sums(query: Select<capacity::Entity>, stale_before: DateTime<Utc>) -> Select<capacity::Entity> {
    let stale: SimpleExpr = Expr::case(
        Expr::col((capacity::Entity, capacity::Column::Updated)).lt(stale_before),
        1,
    )
    .finally(0)
    .into();
    query
        .column_as(
            Expr::col((capacity::Entity, capacity::Column::Maximum)).sum(),
            "maximum",
        )
        .column_as(
            Expr::col((capacity::Entity, capacity::Column::Available)).sum(),
            "available",
        )
        .column_as(
            Expr::col((capacity::Entity, capacity::Column::Id)).count(),
            "capacities",
        )
        .column_as(stale.sum(), "stale")
}

fn totals((maximum, available, capacities, stale): Sums) -> Totals {
    Totals {
        maximum: maximum.unwrap_or(0),
        available: available.unwrap_or(0),
        capacities,
        stale: stale.unwrap_or(0),
    }
}

/// Totals of places in the area named by `area_code` (the whole country when
/// `None`), grouped as asked.
pub async fn overview(
    db: &impl ConnectionTrait,
    reference: &ReferenceCache,
    area_code: Option<&str>,
    group_by: GroupBy,
    freshness: Freshness,
) -> Result<Overview, AppError> {
    let scope = super::admin_area::optional_scope(reference, db, area_code).await?;
    let area = scope.as_ref();
    let stale_before = freshness.stale_before();
    let total = with_sums(live_capacities(area), stale_before)
        .into_tuple::<Sums>()
        .one(db)
        .await?
        .map(totals)
        .unwrap_or_default();
    let groups = match group_by {
        GroupBy::Area => by_area(db, area, stale_before).await?,
        GroupBy::Category => {
            let mut rows = with_sums(live_capacities(area).column(service::Column::Category), stale_before)
                .group_by(service::Column::Category)
                .into_tuple::<(ServiceCategory, Option<i64>, Option<i64>, i64, Option<i64>)>()
                .all(db)
                .await?;
            rows.sort_by_key(|row| row.0);
            rows.into_iter()
                .map(|(c, m, a, n, st)| (GroupKey::Category(c), totals((m, a, n, st))))
                .collect()
        }
        GroupBy::TargetGroup => {
            let mut rows = with_sums(
                live_capacities(area)
                    .join(JoinType::InnerJoin, service_target_group::Relation::Service.def().rev())
                    .column(service_target_group::Column::TargetGroup),
                stale_before,
            )
            .group_by(service_target_group::Column::TargetGroup)
            .into_tuple::<(TargetGroup, Option<i64>, Option<i64>, i64, Option<i64>)>()
            .all(db)
            .await?;
            rows.sort_by_key(|row| row.0);
            rows.into_iter()
                .map(|(g, m, a, n, st)| (GroupKey::TargetGroup(g), totals((m, a, n, st))))
                .collect()
        }
    };
    Ok(Overview { total, groups })
}

/// Totals per area one level below `area` (or per top-level area): centres
/// in deeper districts count towards the child area that contains them.
async fn by_area(
    db: &impl ConnectionTrait,
    area: Option<&AreaScope>,
    stale_before: DateTime<Utc>,
) -> Result<Vec<(GroupKey, Totals)>, AppError> {
    let rows = with_sums(live_capacities(area).column(centre::Column::AdminAreaId), stale_before)
        .group_by(centre::Column::AdminAreaId)
        .into_tuple::<(Uuid, Option<i64>, Option<i64>, i64, Option<i64>)>()
        .all(db)
        .await?;
    let areas = admin_area::all(db).await?;
    let parent_id = area.map(|scope| scope.area.id);
    let buckets: Vec<&entity::admin_area::Model> = areas.iter().filter(|a| a.parent_id == parent_id).collect();
    let by_id: HashMap<Uuid, &entity::admin_area::Model> = areas.iter().map(|a| (a.id, a)).collect();
    let mut sums: HashMap<Uuid, Totals> = HashMap::new();
    for (area_id, m, a, n, st) in rows {
        let Some(centre_area) = by_id.get(&area_id) else {
            continue;
        };
        let bucket = buckets.iter().find(|b| centre_area.path.starts_with(&b.path)).copied();
        // A centre registered at the scope area itself (not in a child) is
        // reported under the scope area.
        let bucket = bucket.or_else(|| area.map(|scope| &*scope.area));
        if let Some(bucket) = bucket {
            sums.entry(bucket.id).or_default().add(totals((m, a, n, st)));
        }
    }
    let mut groups: Vec<(&entity::admin_area::Model, Totals)> = sums
        .into_iter()
        .filter_map(|(id, t)| by_id.get(&id).map(|a| (*a, t)))
        .collect();
    groups.sort_by(|(a, _), (b, _)| a.code.cmp(&b.code));
    let groups = groups
        .into_iter()
        .map(|(a, t)| (GroupKey::Area(a.clone()), t))
        .collect();
    Ok(groups)
}
