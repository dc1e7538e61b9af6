use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::admin_area;
use sea_orm::{DatabaseConnection, prelude::Uuid};

use crate::{
    error::AppError,
    registry::{self, reference::ReferenceCache},
};

/// Administrative areas by id, through this replica's reference cache.
pub struct AdminAreaById(pub DatabaseConnection, pub Arc<ReferenceCache>);

impl Loader<Uuid> for AdminAreaById {
    type Value = Arc<admin_area::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        registry::admin_area::cached_by_ids(&self.1, &self.0, keys)
            .await
            .map_err(Arc::new)
    }
}
