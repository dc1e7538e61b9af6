use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{capacity, service_at_centre};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait, Select,
    prelude::Uuid,
};

use super::LoadError;

/// A capacity with the service and centre it counts places for.
#[derive(Clone, Debug)]
pub struct CapacityRecord {
    pub capacity: capacity::Model,
    pub service_id: Uuid,
    pub centre_id: Uuid,
}

/// Capacities joined to their service-at-centre row, read as [`PlacedCapacity`].
pub fn with_placement() -> Select<capacity::Entity> {
    capacity::Entity::find()
        .join(JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .column_as(service_at_centre::Column::ServiceId, "placement_service_id")
        .column_as(service_at_centre::Column::CentreId, "placement_centre_id")
}

/// Capacities by id.
pub struct CapacityById(pub DatabaseConnection);

impl Loader<Uuid> for CapacityById {
    type Value = CapacityRecord;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, CapacityRecord>, LoadError> {
        let rows = with_placement()
            .filter(capacity::Column::Id.is_in(keys.iter().copied()))
            .into_model::<PlacedCapacity>()
            .all(&self.0)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.capacity.id, CapacityRecord::from(row)))
            .collect())
    }
}

/// A capacity row with the two placement columns.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct PlacedCapacity {
    #[sea_orm(nested)]
    pub capacity: capacity::Model,
    pub placement_service_id: Uuid,
    pub placement_centre_id: Uuid,
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
