//! Capacities: places for one service at one centre, counted by the centre
//! (HSDS `service_capacity`).

use std::collections::HashMap;

use entity::{capacity, centre, service_at_centre};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Select,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query, SimpleExpr},
};

use super::service_at_centre as placement;
use crate::error::AppError;

/// A capacity with the service and centre it counts places for.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityRecord {
    pub capacity: capacity::Model,
    pub service_id: Uuid,
    pub centre_id: Uuid,
}

/// A capacity row with the two placement columns, as read by [`with_placement`].
#[derive(Debug, FromQueryResult)]
struct PlacedCapacity {
    #[sea_orm(nested)]
    capacity: capacity::Model,
    placement_service_id: Uuid,
    placement_centre_id: Uuid,
}

impl From<PlacedCapacity> for CapacityRecord {
    fn from(row: PlacedCapacity) -> Self {
        Self {
            capacity: row.capacity,
            service_id: row.placement_service_id,
            centre_id: row.placement_centre_id,
        }
    }
}

/// Capacities joined to their service-at-centre row.
fn with_placement() -> Select<capacity::Entity> {
    capacity::Entity::find()
        .join(JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .column_as(service_at_centre::Column::ServiceId, "placement_service_id")
        .column_as(service_at_centre::Column::CentreId, "placement_centre_id")
}

/// Capacities by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, CapacityRecord>, AppError> {
    let rows = with_placement()
        .filter(capacity::Column::Id.is_in(ids.iter().copied()))
        .into_model::<PlacedCapacity>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.capacity.id, CapacityRecord::from(row)))
        .collect())
}

/// The capacities of each centre's live services.
pub async fn of_centres(
    db: &impl ConnectionTrait,
    centre_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<CapacityRecord>>, AppError> {
    let rows = with_placement()
        .filter(service_at_centre::Column::CentreId.is_in(centre_ids.iter().copied()))
        .filter(placement::live())
        .order_by_asc(capacity::Column::Id)
        .into_model::<PlacedCapacity>()
        .all(db)
        .await?;
    Ok(super::group_by(
        rows.into_iter()
            .map(|row| (row.placement_centre_id, CapacityRecord::from(row))),
    ))
}

/// The live placements of the centre of the enclosing query, joined to
/// their capacities, for the correlated subqueries below.
fn capacities_of_enclosing_centre() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .from(service_at_centre::Entity)
        .inner_join(
            capacity::Entity,
            Expr::col((capacity::Entity, capacity::Column::ServiceAtCentreId))
                .equals((service_at_centre::Entity, service_at_centre::Column::Id)),
        )
        .and_where(placement::live())
        .and_where(
            Expr::col((service_at_centre::Entity, service_at_centre::Column::CentreId))
                .equals((centre::Entity, centre::Column::Id)),
        )
        .to_owned()
}

/// SQL: the centre (of the enclosing query) has at least one free place.
pub fn centre_has_free_places() -> SimpleExpr {
    let query = capacities_of_enclosing_centre()
        .expr(Expr::val(1))
        .and_where(capacity::Column::Available.gt(0))
        .to_owned();
    Expr::exists(query)
}

/// SQL: free places summed over the capacities of the centre (of the
/// enclosing query).
pub fn centre_available_places_sql() -> SimpleExpr {
    let sum = capacities_of_enclosing_centre()
        .expr(
            Expr::col((capacity::Entity, capacity::Column::Available))
                .sum()
                .if_null(0),
        )
        .to_owned();
    sum.into()
}
