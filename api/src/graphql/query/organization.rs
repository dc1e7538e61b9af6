use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, list, listing_complexity, lookup_complexity},
        context::ContextExt,
        ids::{self, NodeKind},
        types::{
            enums::{OrderDirection, OrganizationKind, to_db},
            organization::{Organization, OrganizationConnection},
        },
    },
    registry::{self, organization as domain},
};

/// Conditions on organizations, combined with AND.
#[derive(InputObject, Default, Debug)]
pub struct OrganizationFilter {
    /// Text found in the name or description, in any language, any case.
    pub text: Option<String>,
    /// Any of these kinds.
    pub kinds: Option<Vec<OrganizationKind>>,
    /// Organizations with a centre in this area (a region includes its districts).
    pub area_code: Option<String>,
    /// Changed at or after this time (for partners mirroring the registry).
    pub updated_since: Option<DateTime<Utc>>,
}

impl From<OrganizationFilter> for domain::OrganizationFilter {
    fn from(filter: OrganizationFilter) -> Self {
        Self {
            text: filter.text,
            kinds: to_db(filter.kinds),
            area_code: filter.area_code,
            updated_since: filter.updated_since,
        }
    }
}

/// Fields organizations can be ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "registry::NamedOrderField")]
pub enum OrganizationOrderField {
    /// By name in the request's language (Kyrgyz unless Russian is asked).
    Name,
    /// By time of the last change.
    UpdatedAt,
}

/// Ordering of organizations.
#[derive(InputObject, Debug)]
pub struct OrganizationOrder {
    /// The field to order by.
    pub field: OrganizationOrderField,
    /// The direction.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// One organization by id; null with a NOT_FOUND error when it does not exist.
    #[graphql(complexity = "lookup_complexity(1, child_complexity)")]
    async fn organization(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Organization>, AppError> {
        let found = Organization::find(ctx, ids::decode_as(NodeKind::Organization, &id)?).await?;
        super::found(found, "organization", &id)
    }

    /// Providers in the registry.
    #[graphql(complexity = "listing_complexity(first, last, child_complexity)")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrganizationFilter>,
        order_by: Option<OrganizationOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<OrganizationConnection, AppError> {
        let filter = domain::OrganizationFilter::from(filter.unwrap_or_default());
        let lang = ctx.lang(None).into();
        let order = super::named_order(order_by.map(|o| (o.field.into(), o.direction.into())), lang);
        let query = fingerprint(&("organizations", &filter, order));
        let listing = registry::organization::list(ctx.db()?, ctx.reference()?, &filter, order).await?;
        let args = PageArgs::new(first, after, last, before);
        list(ctx, args, query, listing, |m| Organization(Arc::new(m)))
            .await
            .map(OrganizationConnection)
    }
}
