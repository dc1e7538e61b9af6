use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{capacity, centre_language, service, service_at_centre};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, prelude::Uuid};

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

impl Loader<Uuid> for ServicesOfCentre {
    type Value = Vec<service::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = service_at_centre::Entity::find()
            .find_also_related(service::Entity)
            .filter(service_at_centre::Column::CentreId.is_in(keys.iter().copied()))
            .filter(service_at_centre::Column::ArchivedAt.is_null())
            .filter(service::Column::ArchivedAt.is_null())
            .order_by_asc(service::Column::NameSortKy)
            .order_by_asc(service::Column::Id)
            .all(&self.0)
            .await?;
        Ok(group_by(
            rows.into_iter()
                .filter_map(|(sac, service)| service.map(|s| (sac.centre_id, s))),
        ))
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
