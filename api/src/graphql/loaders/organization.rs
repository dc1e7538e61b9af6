use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{centre, service};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, prelude::Uuid};

use super::{LoadError, by_id_loader, group_by};

by_id_loader!(
    /// Organizations by id.
    OrganizationById,
    organization
);

/// Ids of an organization's live centres, by Kyrgyz name.
pub struct CentreIdsOfOrganization(pub DatabaseConnection);

impl Loader<Uuid> for CentreIdsOfOrganization {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, LoadError> {
        let rows = centre::Entity::find()
            .select_only()
            .columns([centre::Column::OrganizationId, centre::Column::Id])
            .filter(centre::Column::OrganizationId.is_in(keys.iter().copied()))
            .filter(centre::Column::ArchivedAt.is_null())
            .order_by_asc(centre::Column::NameSortKy)
            .order_by_asc(centre::Column::Id)
            .into_tuple::<(Uuid, Uuid)>()
            .all(&self.0)
            .await?;
        Ok(group_by(rows))
    }
}

/// Ids of an organization's live services, by Kyrgyz name.
pub struct ServiceIdsOfOrganization(pub DatabaseConnection);

impl Loader<Uuid> for ServiceIdsOfOrganization {
    type Value = Vec<Uuid>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, LoadError> {
        let rows = service::Entity::find()
            .select_only()
            .columns([service::Column::OrganizationId, service::Column::Id])
            .filter(service::Column::OrganizationId.is_in(keys.iter().copied()))
            .filter(service::Column::ArchivedAt.is_null())
            .order_by_asc(service::Column::NameSortKy)
            .order_by_asc(service::Column::Id)
            .into_tuple::<(Uuid, Uuid)>()
            .all(&self.0)
            .await?;
        Ok(group_by(rows))
    }
}
