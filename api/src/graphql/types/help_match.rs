use std::sync::Arc;

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::{capacity::Capacity, centre::Centre, service::Service};
use crate::{
    error::AppError,
    graphql::{connection::connection_type, context::ContextExt, plain::Plain},
    registry::find_help::{HelpMatchRow, Places},
};

/// A match, its service and centre ready for their resolvers (the centre
/// as the caller may see it).
#[derive(Clone, Debug)]
pub struct HelpMatch {
    service: Service,
    centre: Centre,
    capacity: Option<Capacity>,
    places: Option<Places>,
    distance_km: Option<f64>,
}

impl HelpMatch {
    pub fn new(row: HelpMatchRow) -> Self {
        let HelpMatchRow {
            service,
            centre,
            places,
            capacity,
            distance_km,
            ..
        } = row;
        Self {
            service: Service::new(Arc::new(service)),
            centre: Centre::new(centre),
            capacity: capacity.map(|c| Capacity(Arc::new(c))),
            places,
            distance_km,
        }
    }
}

/// One service at one centre that fits a need.
#[Object]
impl HelpMatch {
    /// The service that fits.
    async fn service(&self) -> Plain<Service> {
        Plain(self.service.clone())
    }

    /// Where it is delivered.
    async fn centre(&self) -> Centre {
        self.centre.clone()
    }

    /// The places counted for this service at this centre; null for services
    /// without places (benefits, hotlines).
    async fn capacity(&self, ctx: &Context<'_>) -> Result<Option<Capacity>, AppError> {
        if let Some(capacity) = &self.capacity {
            return Ok(Some(capacity.clone()));
        }
        // Read with the match unless the query hid the field from look-ahead.
        let Some(places) = &self.places else { return Ok(None) };
        Ok(ctx
            .loaders()?
            .capacity
            .load_one(places.capacity_id)
            .await?
            .map(Capacity))
    }

    /// Free places now; null when there are no places to count.
    async fn available_places(&self) -> Option<i32> {
        self.places.map(|p| p.available)
    }

    /// Distance in km from the point given in `near`. Rounded to whole
    /// kilometres for confidential shelters when the caller may not see them.
    async fn distance_km(&self) -> Option<f64> {
        self.distance_km
    }

    /// When the places were last counted.
    async fn capacity_updated_at(&self) -> Option<DateTime<Utc>> {
        self.places.map(|p| p.updated)
    }

    /// True when the count of places is stale (see `Capacity.stale`); null
    /// when there are no places to count.
    async fn stale(&self, ctx: &Context<'_>) -> Option<bool> {
        let freshness = ctx.freshness();
        self.places.map(|p| freshness.is_stale(p.updated))
    }
}

connection_type!(
    HelpMatchConnection,
    HelpMatchEdge,
    HelpMatch,
    "A page of ranked `findHelp` matches, as a Relay connection.",
    "A match in a page, with its cursor."
);
