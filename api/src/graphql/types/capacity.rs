use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use sea_orm::prelude::Uuid;

use super::{centre::Centre, enums::CapacityUnit, service::Service, service_at_centre};
use crate::{
    error::AppError,
    graphql::{context::ContextExt, ids},
    registry::capacity::{CapacityRecord, CapacityView},
};

#[derive(Clone, Debug)]
pub struct Capacity(pub Arc<CapacityView>);

impl Capacity {
    /// The capacity as a write or an event left it.
    pub fn of(record: &CapacityRecord) -> Self {
        Self(Arc::new(CapacityView::from(record)))
    }

    /// The capacity with this id, if the caller may see it: those of
    /// archived centres, services or services at centres are for admins.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<Option<Self>, AppError> {
        let loaders = ctx.loaders()?;
        let Some(record) = loaders.capacity.load_one(id).await? else {
            return Ok(None);
        };
        let link = loaders.service_at_centre.load_one(record.service_at_centre_id).await?;
        match link {
            Some(link) if service_at_centre::visible(ctx, &link).await? => Ok(Some(Self(record))),
            _ => Ok(None),
        }
    }
}

/// Places for one service at one centre, counted by the centre (HSDS
/// `service_capacity`).
#[Object]
impl Capacity {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(ids::NodeKind::Capacity, self.0.id)
    }

    /// The centre where the places are.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Centre, AppError> {
        Centre::load(ctx, self.0.centre_id).await
    }

    /// The service the places are for.
    async fn service(&self, ctx: &Context<'_>) -> Result<Service, AppError> {
        Service::load(ctx, self.0.service_id).await
    }

    /// What one place is: a bed, a room, a place in a group, a session.
    async fn unit(&self) -> CapacityUnit {
        self.0.unit.into()
    }

    /// All places.
    async fn maximum(&self) -> i32 {
        self.0.maximum
    }

    /// Free places now.
    async fn available(&self) -> i32 {
        self.0.available
    }

    /// Children waiting for a place.
    async fn waitlist(&self) -> i32 {
        self.0.waitlist
    }

    /// When the places were last counted.
    async fn updated(&self) -> DateTime<Utc> {
        self.0.updated
    }

    /// True when nobody has counted the places for longer than the server
    /// allows (24 hours unless configured): the count may no longer be true;
    /// call the centre before sending a child.
    async fn stale(&self, ctx: &Context<'_>) -> bool {
        ctx.freshness().is_stale(self.0.updated)
    }

    /// Optimistic-concurrency version, incremented by every count.
    async fn version(&self) -> i32 {
        self.0.version
    }
}
