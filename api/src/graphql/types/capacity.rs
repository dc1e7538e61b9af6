use std::sync::Arc;

use async_graphql::{Context, ID, Lookahead, Object};
use chrono::{DateTime, Utc};

use sea_orm::prelude::Uuid;

use super::{centre::Centre, enums::CapacityUnit, service::Service, service_at_centre};
use crate::{
    error::AppError,
    graphql::{context::ContextExt, ids, plain::plain_fields},
    registry::{
        Detail,
        capacity::{CapacityDetails, CapacityRecord, CapacityView},
    },
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
        let Some(details) = record.details else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "capacity {id} read without its details"
            )));
        };
        let link = loaders.service_at_centre.load_one(details.service_at_centre_id).await?;
        match link {
            Some(link) if service_at_centre::visible(ctx, &link).await? => Ok(Some(Self(record))),
            _ => Ok(None),
        }
    }

    fn global_id(&self) -> ID {
        ids::encode(ids::NodeKind::Capacity, self.0.id)
    }

    /// Whether the capacity was read with its details.
    fn has_details(&self) -> bool {
        self.0.details.is_some()
    }

    /// Whether a list of capacities, whose selections are `capacities`,
    /// reads their [`CapacityDetails`] (see `types::detail_selected`).
    pub fn detail_selected(capacities: &[Lookahead<'_>]) -> Detail {
        super::detail_selected(capacities, DETAIL_FIELDS)
    }

    /// The capacity's details: read with it, or else (a list read without
    /// them) from the capacity by id.
    async fn details(&self, ctx: &Context<'_>) -> Result<CapacityDetails, AppError> {
        if let Some(details) = self.0.details {
            return Ok(details);
        }
        ctx.loaders()?
            .capacity
            .load_one(self.0.id)
            .await?
            .and_then(|view| view.details)
            .ok_or_else(|| AppError::not_found(format!("capacity {} is gone", self.0.id)))
    }
}

plain_fields!(Capacity, |capacity, ctx, nested| {
    "id" => capacity.id(ctx),
    "unit" => capacity.unit(ctx),
    "maximum" => capacity.maximum(ctx),
    "available" => capacity.available(ctx),
    "updated" => capacity.updated(ctx),
    "stale" => capacity.stale(ctx),
    "waitlist" details => capacity.waitlist(ctx),
    "version" details => capacity.version(ctx),
} also_details ["service"]);

/// Places for one service at one centre, counted by the centre (HSDS
/// `service_capacity`).
#[Object]
impl Capacity {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The centre where the places are.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Centre, AppError> {
        Centre::load(ctx, self.0.centre_id).await
    }

    /// The service the places are for.
    async fn service(&self, ctx: &Context<'_>) -> Result<Service, AppError> {
        Service::load(ctx, self.details(ctx).await?.service_id).await
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
    async fn waitlist(&self, ctx: &Context<'_>) -> Result<i32, AppError> {
        Ok(self.details(ctx).await?.waitlist)
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
    async fn version(&self, ctx: &Context<'_>) -> Result<i32, AppError> {
        Ok(self.details(ctx).await?.version)
    }
}
