use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
        types::{capacity::Capacity, hold::Hold},
    },
    registry::hold::{self as domain, Ending, Held, HoldRequest},
};

/// Places to hold for a child on the way.
#[derive(InputObject)]
pub struct HoldPlaceInput {
    /// The capacity to take places from.
    pub capacity_id: ID,
    /// How many places (at least 1).
    #[graphql(default = 1)]
    pub places: i32,
    /// How long until an unconfirmed hold gives its places back (1..240).
    #[graphql(default_with = "domain::DEFAULT_MINUTES")]
    pub minutes: i32,
    /// Your own case number, up to 200 characters; shown to you, the
    /// centre's managers and admins, never to other partners.
    pub reference: Option<String>,
}

/// A hold and the places it changed.
#[derive(SimpleObject)]
pub struct HoldPayload {
    /// The hold as it now stands.
    pub hold: Hold,
    /// The capacity as it now stands.
    pub capacity: Capacity,
}

impl From<Held> for HoldPayload {
    fn from(held: Held) -> Self {
        Self {
            hold: Hold(held.hold),
            capacity: Capacity::of(&held.capacity),
        }
    }
}

#[derive(Default)]
pub struct HoldMutation;

#[Object]
impl HoldMutation {
    /// Holds places for a child on the way (partners, centre managers,
    /// admins): `available` drops at once; CONFLICT when too few are free.
    /// Unconfirmed, the hold gives its places back after `minutes`. Apart
    /// from admins, one holder holds a limited number of places at once
    /// (FORBIDDEN past it) and takes a limited number of holds an hour
    /// (RATE_LIMITED past it, with `retryAfter` in seconds).
    async fn hold_place(&self, ctx: &Context<'_>, input: HoldPlaceInput) -> Result<HoldPayload, AppError> {
        let request = HoldRequest {
            capacity_id: ids::decode_as(NodeKind::Capacity, &input.capacity_id)?,
            places: input.places,
            minutes: input.minutes,
            reference: input.reference,
        };
        let held = domain::hold_places(ctx.db()?, ctx.viewer()?, (ctx.events()?, ctx.fair_share()), request).await?;
        Ok(held.into())
    }

    /// Gives a hold's places back (its holder, its centre's managers,
    /// admins); CONFLICT when it has already ended.
    async fn release_hold(&self, ctx: &Context<'_>, id: ID) -> Result<HoldPayload, AppError> {
        let id = ids::decode_as(NodeKind::Hold, &id)?;
        let held = domain::end(ctx.db()?, ctx.viewer()?, ctx.events()?, id, Ending::Release).await?;
        Ok(held.into())
    }

    /// The child arrived: the hold ends and its places stay taken (its
    /// holder, its centre's managers, admins); CONFLICT when it has already
    /// ended.
    async fn confirm_hold(&self, ctx: &Context<'_>, id: ID) -> Result<HoldPayload, AppError> {
        let id = ids::decode_as(NodeKind::Hold, &id)?;
        let held = domain::end(ctx.db()?, ctx.viewer()?, ctx.events()?, id, Ending::Confirm).await?;
        Ok(held.into())
    }
}
