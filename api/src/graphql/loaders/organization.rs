use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::organization;
use sea_orm::{DatabaseConnection, prelude::Uuid};

use crate::{
    error::AppError,
    registry::{self, reference::ReferenceCache},
};

/// Organizations by id, through this replica's reference cache.
pub struct OrganizationById(pub DatabaseConnection, pub Arc<ReferenceCache>);

impl Loader<Uuid> for OrganizationById {
    type Value = Arc<organization::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        registry::organization::cached_by_ids(&self.1, &self.0, keys)
            .await
            .map_err(Arc::new)
    }
}
