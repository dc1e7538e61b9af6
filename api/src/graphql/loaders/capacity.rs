use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use sea_orm::{DatabaseConnection, prelude::Uuid};

use super::{registry_loader, shared_lists};
use crate::{
    error::AppError,
    registry::{self, Detail, capacity::CapacityView},
};

registry_loader!(
    /// Capacities by id, with their details.
    CapacityById: CapacityView = registry::capacity::by_ids
);

/// The capacities counted at a centre, with or without their details.
pub struct CapacitiesOfCentre(pub DatabaseConnection, pub Detail);

impl Loader<Uuid> for CapacitiesOfCentre {
    type Value = Arc<[Arc<CapacityView>]>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        registry::capacity::of_centres(&self.0, keys, self.1)
            .await
            .map(shared_lists)
            .map_err(Arc::new)
    }
}
