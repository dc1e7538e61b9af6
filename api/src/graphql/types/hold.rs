use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::hold;

use super::{capacity::Capacity, enums::HoldStatus};
use crate::{
    error::AppError,
    graphql::{
        connection::connection_type,
        context::ContextExt,
        ids::{self, NodeKind},
    },
};

/// A hold, built only for a caller who may see it (its holder, its
/// centre's managers, admins: see `registry::access`).
#[derive(Clone, Debug)]
pub struct Hold(pub hold::Model);

/// Places reserved for a child on the way: taken from `available` while
/// held, given back when released, expired or cancelled (its service at
/// the centre, its centre or its service was archived), kept when
/// confirmed. Seen by its holder, the managers of its centre and admins
/// only.
#[Object]
impl Hold {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Hold, self.0.id)
    }

    /// The places the hold is on, as they now stand.
    async fn capacity(&self, ctx: &Context<'_>) -> Result<Capacity, AppError> {
        let id = self.0.capacity_id;
        ctx.loaders()?
            .capacity
            .load_one(id)
            .await?
            .map(Capacity)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("hold on a missing capacity {id}")))
    }

    /// How many places are held.
    async fn places(&self) -> i32 {
        self.0.places
    }

    /// The holder's own case number, as they gave it.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    /// Where the hold stands.
    async fn status(&self) -> HoldStatus {
        self.0.status.into()
    }

    /// Who holds the places (their token's subject).
    async fn held_by(&self) -> &str {
        &self.0.held_by
    }

    /// Who vouched for the holder: `kamkor` for the registry's own tokens,
    /// else the identity provider's issuer (`iss`). The holder is the
    /// issuer and the subject together.
    async fn holder_issuer(&self) -> &str {
        &self.0.holder_issuer
    }

    /// When an unconfirmed hold gives its places back.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// When it was released, confirmed, expired or cancelled.
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }

    /// Who released, confirmed or cancelled it (the subject of their token;
    /// `system` when it expired).
    async fn ended_by(&self) -> Option<&str> {
        self.0.ended_by.as_deref()
    }

    /// When the places were held.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Incremented by every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

connection_type!(
    HoldConnection,
    HoldEdge,
    Hold,
    "A page of holds, newest first, as a Relay connection.",
    "A hold in a page, with its cursor."
);
