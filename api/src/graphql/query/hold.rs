use async_graphql::{Context, ID, InputObject, Object};

use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, list, listing_complexity, lookup_complexity},
        context::ContextExt,
        ids::{self, NodeKind},
        types::{
            enums::{HoldStatus, to_db},
            hold::{Hold, HoldConnection},
        },
    },
    registry::{self, hold::HoldFilter as Filter},
};

/// Which holds to list; conditions combine with AND.
#[derive(InputObject, Default, Debug)]
pub struct HoldFilter {
    /// Holds on places at this centre.
    pub centre_id: Option<ID>,
    /// Holds in any of these states.
    pub statuses: Option<Vec<HoldStatus>>,
    /// Holds changed at or after this time.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Default)]
pub struct HoldQuery;

#[Object]
impl HoldQuery {
    /// One hold, if the caller may see it (its holder, its centre's
    /// managers, admins).
    #[graphql(complexity = "lookup_complexity(1, child_complexity)")]
    async fn hold(&self, ctx: &Context<'_>, id: ID) -> Result<Hold, AppError> {
        let uuid = ids::decode_as(NodeKind::Hold, &id)?;
        registry::hold::find(ctx.db()?, ctx.viewer()?, uuid)
            .await?
            .map(Hold)
            .ok_or_else(|| AppError::not_found(format!("no hold with id {:?} that you may see", id.as_str())))
    }

    /// The holds the caller may see, newest first: a partner's own, those
    /// on a centre manager's centres (and their own), every one for admins.
    #[graphql(complexity = "listing_complexity(first, last, child_complexity)")]
    async fn holds(
        &self,
        ctx: &Context<'_>,
        filter: Option<HoldFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<HoldConnection, AppError> {
        let filter = filter.unwrap_or_default();
        let filter = Filter {
            centre_id: ids::decode_optional(NodeKind::Centre, filter.centre_id.as_ref())?,
            statuses: to_db(filter.statuses),
            updated_since: filter.updated_since,
        };
        let viewer = ctx.viewer()?;
        let listing = registry::hold::list(viewer, &filter)?;
        let query = fingerprint(&("holds", &filter, viewer.hold_scope().ok()));
        let args = PageArgs::new(first, after, last, before);
        list(ctx, args, query, listing, Hold).await.map(HoldConnection)
    }
}
