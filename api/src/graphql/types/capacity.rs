use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use super::{centre::Centre, enums::CapacityUnit, service::Service};
use crate::{error::AppError, graphql::ids, registry::capacity::CapacityRecord};

#[derive(Clone, Debug)]
pub struct Capacity(pub CapacityRecord);

/// Places for one service at one centre, counted by the centre (HSDS
/// `service_capacity`).
#[Object]
impl Capacity {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(ids::NodeKind::Capacity, self.0.capacity.id)
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
        self.0.capacity.unit.into()
    }

    /// All places.
    async fn maximum(&self) -> i32 {
        self.0.capacity.maximum
    }

    /// Free places now.
    async fn available(&self) -> i32 {
        self.0.capacity.available
    }

    /// Children waiting for a place.
    async fn waitlist(&self) -> i32 {
        self.0.capacity.waitlist
    }

    /// When the places were last counted.
    async fn updated(&self) -> DateTime<Utc> {
        self.0.capacity.updated
    }

    /// Optimistic-concurrency version, incremented by every count.
    async fn version(&self) -> i32 {
        self.0.capacity.version
    }
}
