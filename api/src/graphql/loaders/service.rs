use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{admin_area, centre, enums::TargetGroup, service_area, service_at_centre, service_target_group};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    prelude::Uuid,
};

use super::{LoadError, by_id_loader, group_by};

by_id_loader!(
    /// Services by id.
    ServiceById,
    service
);

/// The groups of children a service is for.
pub struct TargetGroupsOfService(pub DatabaseConnection);

impl Loader<Uuid> for TargetGroupsOfService {
    type Value = Vec<TargetGroup>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = service_target_group::Entity::find()
            .filter(service_target_group::Column::ServiceId.is_in(keys.iter().copied()))
            .order_by_asc(service_target_group::Column::TargetGroup)
            .all(&self.0)
            .await?;
        Ok(group_by(rows.into_iter().map(|row| (row.service_id, row.target_group))))
    }
}

/// The areas a service covers.
pub struct AreasOfService(pub DatabaseConnection);

impl Loader<Uuid> for AreasOfService {
    type Value = Vec<admin_area::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = service_area::Entity::find()
            .filter(service_area::Column::ServiceId.is_in(keys.iter().copied()))
            .join(JoinType::InnerJoin, service_area::Relation::AdminArea.def())
            .order_by_asc(admin_area::Column::Code)
            .select_also(admin_area::Entity)
            .all(&self.0)
            .await?;
        Ok(group_by(
            rows.into_iter()
                .filter_map(|(link, area)| area.map(|a| (link.service_id, a))),
        ))
    }
}

/// Ids of the live centres where a service is delivered, by Kyrgyz name.
/// Ids only: a benefit may be paid at hundreds of offices, and the
/// connection pages them before loading any centre.
pub struct CentreIdsOfService(pub DatabaseConnection);

impl Loader<Uuid> for CentreIdsOfService {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = service_at_centre::Entity::find()
            .select_only()
            .columns([
                service_at_centre::Column::ServiceId,
                service_at_centre::Column::CentreId,
            ])
            .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
            .filter(service_at_centre::Column::ServiceId.is_in(keys.iter().copied()))
            .filter(service_at_centre::Column::ArchivedAt.is_null())
            .filter(centre::Column::ArchivedAt.is_null())
            .order_by_asc(centre::Column::NameSortKy)
            .order_by_asc(centre::Column::Id)
            .into_tuple::<(Uuid, Uuid)>()
            .all(&self.0)
            .await?;
        Ok(group_by(rows))
    }
}
