//! Per-request DataLoaders: every relation a resolver follows is batched into
//! one query per request level, and cached for the request only (never across
//! callers).

pub mod admin_area;
pub mod capacity;
pub mod centre;
pub mod organization;
pub mod service;

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use sea_orm::{DatabaseConnection, prelude::Uuid};

use crate::error::AppError;

/// The loaders of one request.
pub struct Loaders {
    pub admin_area: DataLoader<admin_area::AdminAreaById, HashMapCache>,
    pub organization: DataLoader<organization::OrganizationById, HashMapCache>,
    pub organization_centres: DataLoader<organization::CentreIdsOfOrganization, HashMapCache>,
    pub organization_services: DataLoader<organization::ServiceIdsOfOrganization, HashMapCache>,
    pub centre: DataLoader<centre::CentreById, HashMapCache>,
    pub centre_services: DataLoader<centre::ServicesOfCentre, HashMapCache>,
    pub centre_capacities: DataLoader<centre::CapacitiesOfCentre, HashMapCache>,
    pub centre_languages: DataLoader<centre::LanguagesOfCentre, HashMapCache>,
    pub service: DataLoader<service::ServiceById, HashMapCache>,
    pub service_target_groups: DataLoader<service::TargetGroupsOfService, HashMapCache>,
    pub service_areas: DataLoader<service::AreasOfService, HashMapCache>,
    pub service_centres: DataLoader<service::CentreIdsOfService, HashMapCache>,
    pub capacity: DataLoader<capacity::CapacityById, HashMapCache>,
}

fn loader<L>(inner: L) -> DataLoader<L, HashMapCache>
where
    L: async_graphql::dataloader::Loader<Uuid>,
{
    DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default())
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            admin_area: loader(admin_area::AdminAreaById(db.clone())),
            organization: loader(organization::OrganizationById(db.clone())),
            organization_centres: loader(organization::CentreIdsOfOrganization(db.clone())),
            organization_services: loader(organization::ServiceIdsOfOrganization(db.clone())),
            centre: loader(centre::CentreById(db.clone())),
            centre_services: loader(centre::ServicesOfCentre(db.clone())),
            centre_capacities: loader(centre::CapacitiesOfCentre(db.clone())),
            centre_languages: loader(centre::LanguagesOfCentre(db.clone())),
            service: loader(service::ServiceById(db.clone())),
            service_target_groups: loader(service::TargetGroupsOfService(db.clone())),
            service_areas: loader(service::AreasOfService(db.clone())),
            service_centres: loader(service::CentreIdsOfService(db.clone())),
            capacity: loader(capacity::CapacityById(db.clone())),
        }
    }
}

/// The error type of every loader: cheap to clone (loaders share one result
/// among all waiting resolvers), turned into an internal `AppError`.
#[derive(Clone, Debug)]
pub struct LoadError(std::sync::Arc<sea_orm::DbErr>);

impl From<sea_orm::DbErr> for LoadError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self(std::sync::Arc::new(err))
    }
}

impl From<LoadError> for AppError {
    fn from(err: LoadError) -> Self {
        AppError::Internal(anyhow::anyhow!("loading related records: {}", err.0))
    }
}

/// Groups rows by a key, keeping the rows' order within each group.
pub fn group_by<K, V>(rows: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>>
where
    K: std::hash::Hash + Eq,
{
    let mut groups: HashMap<K, Vec<V>> = HashMap::new();
    for (key, value) in rows {
        groups.entry(key).or_default().push(value);
    }
    groups
}

/// Declares a loader of records by primary key.
macro_rules! by_id_loader {
    ($(#[$meta:meta])* $name:ident, $entity:ident) => {
        $(#[$meta])*
        pub struct $name(pub sea_orm::DatabaseConnection);

        impl async_graphql::dataloader::Loader<sea_orm::prelude::Uuid> for $name {
            type Value = entity::$entity::Model;
            type Error = $crate::graphql::loaders::LoadError;

            async fn load(
                &self,
                keys: &[sea_orm::prelude::Uuid],
            ) -> Result<std::collections::HashMap<sea_orm::prelude::Uuid, Self::Value>, Self::Error> {
                use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                let rows = entity::$entity::Entity::find()
                    .filter(entity::$entity::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.0)
                    .await?;
                Ok(rows.into_iter().map(|row| (row.id, row)).collect())
            }
        }
    };
}
pub(crate) use by_id_loader;
