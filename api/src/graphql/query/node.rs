use async_graphql::{Context, ID, Object};
use sea_orm::prelude::Uuid;

use crate::{
    error::AppError,
    graphql::{
        connection::lookup_complexity,
        context::ContextExt,
        ids::{self, NodeKind},
        types::{
            admin_area::AdminArea, capacity::Capacity, centre::Centre, hold::Hold, node::Node,
            organization::Organization, service::Service, service_at_centre::ServiceAtCentre,
        },
    },
};

#[derive(Default)]
pub struct NodeQuery;

/// Loads one node; `None` when no such record exists.
async fn load(ctx: &Context<'_>, kind: NodeKind, id: Uuid) -> Result<Option<Node>, AppError> {
    let loaders = ctx.loaders()?;
    Ok(match kind {
        NodeKind::AdminArea => loaders
            .admin_area
            .load_one(id)
            .await?
            .map(|m| Node::AdminArea(AdminArea(m))),
        NodeKind::Organization => Organization::find(ctx, id).await?.map(Node::Organization),
        NodeKind::Centre => Centre::find(ctx, id).await?.map(Node::Centre),
        NodeKind::Service => Service::find(ctx, id).await?.map(Node::Service),
        NodeKind::Capacity => Capacity::find(ctx, id).await?.map(Node::Capacity),
        NodeKind::ServiceAtCentre => ServiceAtCentre::find(ctx, id).await?.map(Node::ServiceAtCentre),
        NodeKind::Hold => crate::registry::hold::find(ctx.db()?, ctx.viewer()?, id)
            .await?
            .map(|m| Node::Hold(Hold(m))),
    })
}

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist.
    #[graphql(complexity = "lookup_complexity(1, child_complexity)")]
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>, AppError> {
        let (kind, uuid) = ids::decode(&id)?;
        load(ctx, kind, uuid).await
    }

    /// Fetches objects by global ids, in the same order; null for each id that
    /// does not exist. At most 100 ids.
    #[graphql(complexity = "lookup_complexity(ids.len(), child_complexity)")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>, AppError> {
        if ids.len() > 100 {
            return Err(AppError::bad_input(format!("at most 100 ids, got {}", ids.len())));
        }
        let decoded = ids.iter().map(ids::decode).collect::<Result<Vec<_>, _>>()?;
        // Loaders batch the lookups of each type into one query.
        futures::future::try_join_all(decoded.into_iter().map(|(kind, uuid)| load(ctx, kind, uuid))).await
    }
}
