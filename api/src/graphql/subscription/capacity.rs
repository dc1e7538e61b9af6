//! `capacityChanged`: every committed change to places, as it happens.

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Subscription};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};

use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
        types::{capacity::Capacity, enums::ServiceCategory},
    },
    registry::{admin_area, capacity::CapacityRecord, events::CapacityFilter},
};

/// Which changes to hear of; every field narrows, none means all.
#[derive(InputObject, Default)]
pub struct CapacityChangedFilter {
    /// Centres in this area or inside it (an `AdminArea.code`).
    pub area_code: Option<String>,
    /// One centre.
    pub centre_id: Option<ID>,
    /// Services of these categories.
    pub categories: Option<Vec<ServiceCategory>>,
}

#[derive(Default)]
pub struct CapacitySubscription;

#[Subscription]
impl CapacitySubscription {
    /// The capacity as it stands after each committed change: a count, an
    /// edit, a hold taken, released or expired. Events are not replayed: read
    /// the capacities you show first, then apply what arrives. A subscriber
    /// too slow to keep up gets an error item with code `EVENTS_MISSED`
    /// (then the stream goes on): re-read what it shows.
    async fn capacity_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<CapacityChangedFilter>,
    ) -> Result<impl Stream<Item = async_graphql::Result<Capacity>> + use<>, AppError> {
        let filter = capacity_filter(ctx, filter.unwrap_or_default()).await?;
        let receiver = ctx.events()?.subscribe();
        Ok(BroadcastStream::new(receiver).filter_map(move |received| {
            let item = match received {
                Ok(event) if filter.matches(&event) => Some(Ok(Capacity::of(&CapacityRecord::from(&event)))),
                Ok(_) => None,
                Err(BroadcastStreamRecvError::Lagged(missed)) => Some(Err(async_graphql::Error::new(format!(
                    "this subscriber fell behind and missed {missed} changes; re-read the capacities it shows"
                ))
                .extend_with(|_, ext| ext.set("code", "EVENTS_MISSED")))),
            };
            futures::future::ready(item)
        }))
    }
}

/// The filter in registry terms: ids decoded, the area resolved to its path.
async fn capacity_filter(ctx: &Context<'_>, input: CapacityChangedFilter) -> Result<CapacityFilter, AppError> {
    let area_path = match input.area_code.as_deref() {
        Some(code) => Some(
            admin_area::scope(ctx.reference()?, ctx.db()?, code)
                .await?
                .area
                .path
                .clone(),
        ),
        None => None,
    };
    let centre_id = ids::decode_optional(NodeKind::Centre, input.centre_id.as_ref())?;
    Ok(CapacityFilter {
        area_path,
        centre_id,
        categories: input
            .categories
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        sees_archived: ctx.viewer()?.sees_archived(),
    })
}
