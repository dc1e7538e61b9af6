//! Per-request DataLoaders: every relation a resolver follows is batched into
//! one query per request level, and cached for the request only (never across
//! callers). Each loader is one call into the registry. Records by id are
//! read through this replica's [`lookups`], which batch them across requests
//! (and keep nothing).
//!
//! Values are shared (`Arc`), records and each record of a list alike: a
//! resolver takes the loader's own rows instead of a copy of them.

pub mod admin_area;
pub mod capacity;
pub mod centre;
pub mod lookups;
pub mod organization;
pub mod service;
pub mod service_at_centre;

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::{DatabaseConnection, prelude::Uuid};

use self::lookups::{SharedLookups, Through};
use crate::registry::{Detail, reference::ReferenceCache, text::Lang};

/// The loaders of one request.
pub struct Loaders {
    pub admin_area: DataLoader<admin_area::AdminAreaById, HashMapCache>,
    pub organization: DataLoader<organization::OrganizationById, HashMapCache>,
    pub organization_centres: DataLoader<centre::CentreIdsOfOrganization, HashMapCache>,
    pub organization_services: DataLoader<service::ServiceIdsOfOrganization, HashMapCache>,
    pub centre: DataLoader<Through<centre::CentreById>, HashMapCache>,
    /// A centre's services with their details, and without them (for lists
    /// that select none, see `types::service::Service::detail_selected`).
    pub centre_services: DataLoader<service::ServicesOfCentre, HashMapCache>,
    pub centre_services_brief: DataLoader<service::ServicesOfCentre, HashMapCache>,
    /// A centre's capacities with their details, and without them (for
    /// lists that select none, see `types::capacity::Capacity::detail_selected`,
    /// and for the sum of free places).
    pub centre_capacities: DataLoader<capacity::CapacitiesOfCentre, HashMapCache>,
    pub centre_capacities_brief: DataLoader<capacity::CapacitiesOfCentre, HashMapCache>,
    pub centre_languages: DataLoader<centre::LanguagesOfCentre, HashMapCache>,
    pub service: DataLoader<Through<service::ServiceById>, HashMapCache>,
    pub service_target_groups: DataLoader<service::TargetGroupsOfService, HashMapCache>,
    pub service_areas: DataLoader<service::AreasOfService, HashMapCache>,
    pub service_centres: DataLoader<centre::CentreIdsOfService, HashMapCache>,
    pub capacity: DataLoader<Through<capacity::CapacityById>, HashMapCache>,
    pub service_at_centre: DataLoader<Through<service_at_centre::ServiceAtCentreById>, HashMapCache>,
    /// This replica's areas and organizations, which the area and
    /// organization loaders read through, and which resolve the area codes
    /// that filters name.
    pub reference: Arc<ReferenceCache>,
}

/// A loader that waits async-graphql's 1 ms for more keys. Without the
/// wait, nested relations of a page (a centre's capacities' services) were
/// read one statement per parent (`tests/api/n_plus_one.rs`).
fn loader<L: Loader<Uuid>>(inner: L) -> DataLoader<L, HashMapCache> {
    DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default())
}

impl Loaders {
    /// The loaders of a request whose texts are in `lang` unless a field
    /// asks for another language; areas and organizations come through
    /// this replica's `reference` cache, records by id through its shared
    /// `lookups`.
    pub fn new(db: &DatabaseConnection, reference: &Arc<ReferenceCache>, lookups: &SharedLookups, lang: Lang) -> Self {
        Self {
            admin_area: loader(admin_area::AdminAreaById(db.clone(), reference.clone())),
            organization: loader(organization::OrganizationById(db.clone(), reference.clone())),
            organization_centres: loader(centre::CentreIdsOfOrganization(db.clone())),
            organization_services: loader(service::ServiceIdsOfOrganization(db.clone())),
            centre: lookups.centre(),
            centre_services: loader(service::ServicesOfCentre(db.clone(), lang, Detail::Full)),
            centre_services_brief: loader(service::ServicesOfCentre(db.clone(), lang, Detail::Brief)),
            centre_capacities: loader(capacity::CapacitiesOfCentre(db.clone(), Detail::Full)),
            centre_capacities_brief: loader(capacity::CapacitiesOfCentre(db.clone(), Detail::Brief)),
            centre_languages: loader(centre::LanguagesOfCentre(db.clone())),
            service: lookups.service(),
            service_target_groups: loader(service::TargetGroupsOfService(db.clone())),
            service_areas: loader(service::AreasOfService(db.clone())),
            service_centres: loader(centre::CentreIdsOfService(db.clone())),
            capacity: lookups.capacity(),
            service_at_centre: lookups.service_at_centre(),
            reference: reference.clone(),
        }
    }

    /// Loaders that batch but never cache, for a subscription: it lives for
    /// hours, and each event must be resolved against the registry as it
    /// stands then.
    /// The reference cache stays: the events keep it true.
    pub fn uncached(
        db: &DatabaseConnection,
        reference: &Arc<ReferenceCache>,
        lookups: &SharedLookups,
        lang: Lang,
    ) -> Self {
        let loaders = Self::new(db, reference, lookups, lang);
        loaders.admin_area.enable_all_cache(false);
        loaders.organization.enable_all_cache(false);
        loaders.organization_centres.enable_all_cache(false);
        loaders.organization_services.enable_all_cache(false);
        loaders.centre.enable_all_cache(false);
        loaders.centre_services.enable_all_cache(false);
        loaders.centre_services_brief.enable_all_cache(false);
        loaders.centre_capacities.enable_all_cache(false);
        loaders.centre_capacities_brief.enable_all_cache(false);
        loaders.centre_languages.enable_all_cache(false);
        loaders.service.enable_all_cache(false);
        loaders.service_target_groups.enable_all_cache(false);
        loaders.service_areas.enable_all_cache(false);
        loaders.service_centres.enable_all_cache(false);
        loaders.capacity.enable_all_cache(false);
        loaders.service_at_centre.enable_all_cache(false);
        loaders
    }
}

/// Shares each value of a loaded map.
pub fn shared<T>(values: std::collections::HashMap<Uuid, T>) -> std::collections::HashMap<Uuid, std::sync::Arc<T>> {
    values
        .into_iter()
        .map(|(key, value)| (key, std::sync::Arc::new(value)))
        .collect()
}

/// Shares each list of a loaded map, and each record of each list.
#[allow(clippy::type_complexity)]
pub fn shared_lists<T>(
    values: std::collections::HashMap<Uuid, Vec<T>>,
) -> std::collections::HashMap<Uuid, std::sync::Arc<[std::sync::Arc<T>]>> {
    values
        .into_iter()
        .map(|(key, list)| (key, list.into_iter().map(std::sync::Arc::new).collect()))
        .collect()
}

/// Declares a loader that batches its keys into one registry call
/// `fn(db, &[Uuid]) -> Result<HashMap<Uuid, Value>, AppError>` and shares
/// what it loads: `Name: T = fetch` for one record per key (an `Arc<T>`),
/// `Name: [T] = fetch` for a list per key (an `Arc<[Arc<T>]>`).
macro_rules! registry_loader {
    ($(#[$meta:meta])* $name:ident: [$item:ty] = $fetch:path) => {
        $crate::graphql::loaders::registry_loader!(@loader $(#[$meta])* $name, std::sync::Arc<[std::sync::Arc<$item>]>, $fetch, shared_lists);
    };
    ($(#[$meta:meta])* $name:ident: $value:ty = $fetch:path) => {
        $crate::graphql::loaders::registry_loader!(@loader $(#[$meta])* $name, std::sync::Arc<$value>, $fetch, shared);
    };
    (@loader $(#[$meta:meta])* $name:ident, $value:ty, $fetch:path, $share:ident) => {
        $(#[$meta])*
        pub struct $name(pub sea_orm::DatabaseConnection);

        impl async_graphql::dataloader::Loader<sea_orm::prelude::Uuid> for $name {
            type Value = $value;
            // Shared, because one failure reaches every waiting resolver.
            type Error = std::sync::Arc<$crate::error::AppError>;

            async fn load(
                &self,
                keys: &[sea_orm::prelude::Uuid],
            ) -> Result<std::collections::HashMap<sea_orm::prelude::Uuid, Self::Value>, Self::Error> {
                $fetch(&self.0, keys)
                    .await
                    .map($crate::graphql::loaders::$share)
                    .map_err(std::sync::Arc::new)
            }
        }
    };
}
pub(crate) use registry_loader;
