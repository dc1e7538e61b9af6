use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{capacity, centre_language, service, service_at_centre};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    prelude::Uuid,
};

use super::{
    LoadError, by_id_loader,
    capacity::{CapacityRecord, PlacedCapacity, with_placement},
    group_by,
};

by_id_loader!(
    /// Centres by id.
    CentreById,
    centre
);

/// The live services offered at a centre, by Kyrgyz name.
pub struct ServicesOfCentre(pub DatabaseConnection);

/// A service row with the centre it is offered at.
#[derive(Debug, sea_orm::FromQueryResult)]
struct OfferedService {
    #[sea_orm(nested)]
    service: service::Model,
    offered_at: Uuid,
}

impl Loader<Uuid> for ServicesOfCentre {
    type Value = Vec<service::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        // Only the service's columns and the centre id: the placement row
        // itself is not needed here.
        let mut rows = service::Entity::find()
            .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def().rev())
            .column_as(service_at_centre::Column::CentreId, "offered_at")
            .filter(service_at_centre::Column::CentreId.is_in(keys.iter().copied()))
            .filter(service_at_centre::Column::ArchivedAt.is_null())
            .filter(service::Column::ArchivedAt.is_null())
            .into_model::<OfferedService>()
            .all(&self.0)
            .await?;
        // Sorted here rather than in SQL, so that the planner starts from the
        // centres' index instead of walking every service in name order.
        rows.sort_by(|a, b| (&a.service.name_sort_ky, a.service.id).cmp(&(&b.service.name_sort_ky, b.service.id)));
        Ok(group_by(rows.into_iter().map(|row| (row.offered_at, row.service))))
    }
}

/// The capacities counted at a centre.
pub struct CapacitiesOfCentre(pub DatabaseConnection);

impl Loader<Uuid> for CapacitiesOfCentre {
    type Value = Vec<CapacityRecord>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = with_placement()
            .filter(service_at_centre::Column::CentreId.is_in(keys.iter().copied()))
            .filter(service_at_centre::Column::ArchivedAt.is_null())
            .order_by_asc(capacity::Column::Id)
            .into_model::<PlacedCapacity>()
            .all(&self.0)
            .await?;
        Ok(group_by(
            rows.into_iter()
                .map(|row| (row.placement_centre_id, CapacityRecord::from(row))),
        ))
    }
}

/// Languages spoken at a centre.
pub struct LanguagesOfCentre(pub DatabaseConnection);

impl Loader<Uuid> for LanguagesOfCentre {
    type Value = Vec<String>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = centre_language::Entity::find()
            .filter(centre_language::Column::CentreId.is_in(keys.iter().copied()))
            .order_by_asc(centre_language::Column::Language)
            .all(&self.0)
            .await?;
        Ok(group_by(rows.into_iter().map(|row| (row.centre_id, row.language))))
    }
}
