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
            enums::{OrderDirection, ServiceCategory, ServiceKind, ServiceStatus, TargetGroup, to_db},
            service::{Service, ServiceConnection},
        },
    },
    registry::{self, service as domain},
};

/// Conditions on services, combined with AND.
#[derive(InputObject, Default, Debug)]
pub struct ServiceFilter {
    /// Text found in the name, description or eligibility, in any language, any case.
    pub text: Option<String>,
    /// Services available in this area: covering it or delivered at a centre
    /// inside it (a region includes its districts).
    pub area_code: Option<String>,
    /// Services of this organization.
    pub organization_id: Option<ID>,
    /// Any of these categories.
    pub categories: Option<Vec<ServiceCategory>>,
    /// Only services, or only benefits.
    pub kind: Option<ServiceKind>,
    /// Meant for any of these groups.
    pub target_groups: Option<Vec<TargetGroup>>,
    /// Open to a child of this age (0..18).
    pub child_age: Option<i32>,
    /// Delivered at a centre where any of these languages is spoken.
    pub languages: Option<Vec<String>>,
    /// Any of these statuses (all statuses when omitted).
    pub statuses: Option<Vec<ServiceStatus>>,
    /// Changed at or after this time (for partners mirroring the registry).
    pub updated_since: Option<DateTime<Utc>>,
}

impl TryFrom<ServiceFilter> for domain::ServiceFilter {
    type Error = AppError;

    fn try_from(filter: ServiceFilter) -> Result<Self, AppError> {
        Ok(Self {
            text: filter.text,
            area_code: filter.area_code,
            organization_id: ids::decode_optional(NodeKind::Organization, filter.organization_id.as_ref())?,
            categories: to_db(filter.categories),
            kind: filter.kind.map(Into::into),
            target_groups: to_db(filter.target_groups),
            child_age: filter.child_age,
            languages: filter.languages.unwrap_or_default(),
            statuses: to_db(filter.statuses),
            updated_since: filter.updated_since,
        })
    }
}

/// Fields services can be ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "registry::NamedOrderField")]
pub enum ServiceOrderField {
    /// By name in the request's language (Kyrgyz unless Russian is asked).
    Name,
    /// By time of the last change.
    UpdatedAt,
}

/// Ordering of services.
#[derive(InputObject, Debug)]
pub struct ServiceOrder {
    /// The field to order by.
    pub field: ServiceOrderField,
    /// The direction.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// One service or benefit by id; null with a NOT_FOUND error when it does not exist.
    #[graphql(complexity = "lookup_complexity(1, child_complexity)")]
    async fn service(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Service>, AppError> {
        let found = Service::find(ctx, ids::decode_as(NodeKind::Service, &id)?).await?;
        super::found(found, "service", &id)
    }

    /// Services and benefits in the registry.
    #[graphql(complexity = "listing_complexity(first, last, child_complexity)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        filter: Option<ServiceFilter>,
        order_by: Option<ServiceOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ServiceConnection, AppError> {
        let filter = domain::ServiceFilter::try_from(filter.unwrap_or_default())?;
        let lang = ctx.lang(None).into();
        let order = super::named_order(order_by.map(|o| (o.field.into(), o.direction.into())), lang);
        let query = fingerprint(&("services", &filter, order));
        let listing = registry::service::list(ctx.db()?, ctx.reference()?, &filter, order).await?;
        let args = PageArgs::new(first, after, last, before);
        let lang = ctx.lang(None);
        list(ctx, args, query, listing, |m| Service::of_record(Arc::new(m), lang))
            .await
            .map(ServiceConnection)
    }
}
