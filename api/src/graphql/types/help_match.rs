use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::{capacity::Capacity, centre::Centre, loaders, service::Service};
use crate::graphql::connection::connection_type;
use crate::{error::AppError, graphql::context, service::find_help::HelpMatchRow};

#[derive(Clone, Debug)]
pub struct HelpMatch(pub HelpMatchRow);

/// One service at one centre that fits a need.
#[Object]
impl HelpMatch {
    /// The service that fits.
    async fn service(&self) -> Service {
        Service(self.0.service.clone())
    }

    /// Where it is delivered.
    async fn centre(&self, ctx: &Context<'_>) -> Centre {
        Centre::new(self.0.centre.clone(), &context::request(ctx).viewer)
    }

    /// The places counted for this service at this centre; null for services
    /// without places (benefits, hotlines).
    async fn capacity(&self, ctx: &Context<'_>) -> Result<Option<Capacity>, AppError> {
        let Some(id) = self.0.capacity_id else { return Ok(None) };
        Ok(loaders(ctx).capacity.load_one(id).await?.map(Capacity))
    }

    /// Free places now; null when there are no places to count.
    async fn available_places(&self) -> Option<i32> {
        self.0.available_places
    }

    /// Distance in km from the point given in `near`. Rounded to whole
    /// kilometres for confidential shelters when the caller may not see them.
    async fn distance_km(&self, ctx: &Context<'_>) -> Option<f64> {
        let distance = self.0.distance_km?;
        let hidden = self.0.centre.address_confidential && !context::request(ctx).viewer.sees_confidential();
        Some(if hidden {
            distance.round()
        } else {
            (distance * 1000.0).round() / 1000.0
        })
    }

    /// When the places were last counted.
    async fn capacity_updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.capacity_updated_at
    }
}

connection_type!(
    HelpMatchConnection,
    HelpMatchEdge,
    HelpMatch,
    "A page of ranked `findHelp` matches, as a Relay connection.",
    "A match in a page, with its cursor."
);
