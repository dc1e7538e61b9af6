use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, list, listing_complexity},
        context::ContextExt,
        ids::{self, NodeKind},
        types::audit::{AuditEntry, AuditEntryConnection, CapacityEvent},
    },
    registry::{self, audit::AuditFilter},
};

/// Which audit entries to list; conditions combine with AND.
#[derive(InputObject, Default, Debug)]
pub struct AuditLogFilter {
    /// Changes to this record.
    pub entity_id: Option<ID>,
    /// Changes by this actor (token subject).
    pub actor: Option<String>,
    /// Changes at or after this time.
    pub since: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every change by anyone, newest first (registry admins).
    #[graphql(complexity = "listing_complexity(first, last, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<AuditEntryConnection, AppError> {
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            entity_id: filter
                .entity_id
                .map(|id| ids::decode(&id).map(|(_, uuid)| uuid))
                .transpose()?,
            actor: filter.actor,
            since: filter.since,
        };
        let query = fingerprint(&("auditLog", &filter));
        let listing = registry::audit::list(ctx.viewer()?, &filter)?;
        let args = PageArgs::new(first, after, last, before);
        list(ctx, args, query, listing, AuditEntry)
            .await
            .map(AuditEntryConnection)
    }

    /// The counts of a capacity, oldest first, since a time (registry admins).
    async fn capacity_history(
        &self,
        ctx: &Context<'_>,
        capacity_id: ID,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<CapacityEvent>, AppError> {
        let id = ids::decode_as(NodeKind::Capacity, &capacity_id)?;
        let events = registry::capacity::history(ctx.db()?, ctx.viewer()?, id, since).await?;
        Ok(events.into_iter().map(Into::into).collect())
    }
}
