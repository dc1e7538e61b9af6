use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use crate::{
    error::AppError,
    graphql::{
        connection::ROUND_TRIP,
        context::ContextExt,
        types::change_feed::{self, Change, ChangeConnection},
    },
    registry,
};

/// The largest page of the change feed.
const MAX_CHANGES: i32 = 500;

/// A round trip plus the page size times the selection.
fn feed_complexity(first: Option<i32>, child: usize) -> usize {
    (first.unwrap_or(100).clamp(0, MAX_CHANGES) as usize)
        .saturating_mul(child)
        .saturating_add(ROUND_TRIP)
}

#[derive(Default)]
pub struct ChangeFeedQuery;

#[Object]
impl ChangeFeedQuery {
    /// The change feed, for mirrors: every organization, centre, service,
    /// service at a centre and capacity created, changed or archived at or
    /// after `since`, each once, at the position of its latest change, in
    /// commit order. Start with the time of your full read (or any earlier
    /// time), then continue from `pageInfo.endCursor`: no change is missed
    /// and none is listed twice unless the record changed again.
    #[graphql(complexity = "feed_complexity(first, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Changes committed at or after this time.")] since: DateTime<Utc>,
        #[graphql(default = 100, desc = "Changes per page, 0..500.")] first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (`pageInfo.endCursor` of an earlier page).")] after: Option<
            String,
        >,
    ) -> Result<ChangeConnection, AppError> {
        let first = first.unwrap_or(100);
        if !(0..=MAX_CHANGES).contains(&first) {
            return Err(AppError::bad_input(format!(
                "`first` must be between 0 and {MAX_CHANGES}, got {first}"
            )));
        }
        let position = after.as_deref().map(change_feed::decode).transpose()?;
        let (rows, has_next) = registry::change_feed::page(ctx.db()?, since, position, first as u64).await?;
        Ok(ChangeConnection {
            changes: rows.into_iter().map(Change).collect(),
            has_next,
            after,
        })
    }
}
