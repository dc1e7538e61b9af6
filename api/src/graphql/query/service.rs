use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use super::{connection_complexity, db, language_codes};
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, paginate},
        context,
        ids::{self, NodeKind},
        types::{
            enums::{OrderDirection, ServiceCategory, ServiceKind, ServiceStatus, TargetGroup, to_db},
            loaders,
            service::{Service, ServiceConnection},
        },
    },
    service::{
        self, Window,
        service::{ServiceOrder as Order, ServiceOrderField as Field},
    },
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

/// Fields services can be ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
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
    async fn service(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Service>, AppError> {
        let uuid = ids::decode_as(NodeKind::Service, &id)?;
        match loaders(ctx).service.load_one(uuid).await? {
            Some(model) => Ok(Some(Service(model))),
            None => Err(AppError::not_found(format!("no service with id {:?}", id.as_str()))),
        }
    }

    /// Services and benefits in the registry.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
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
        let filter = filter.unwrap_or_default();
        let lang = context::lang(ctx, None).into();
        let order = match &order_by {
            Some(o) => Order {
                field: match o.field {
                    ServiceOrderField::Name => Field::Name,
                    ServiceOrderField::UpdatedAt => Field::UpdatedAt,
                },
                direction: o.direction.into(),
                lang,
            },
            None => Order {
                field: Field::Name,
                direction: service::Direction::Asc,
                lang,
            },
        };
        let query_id = fingerprint(&("services", &filter, &order_by, lang));
        let db = db(ctx);
        let filter = service::service::ServiceFilter {
            text: filter.text,
            area: service::admin_area::optional_scope(db, filter.area_code.as_deref()).await?,
            organization_id: filter
                .organization_id
                .map(|id| ids::decode_as(NodeKind::Organization, &id))
                .transpose()?,
            categories: to_db(filter.categories),
            kind: filter.kind.map(Into::into),
            target_groups: to_db(filter.target_groups),
            child_age: filter.child_age,
            languages: language_codes(filter.languages)?,
            statuses: to_db(filter.statuses),
            updated_since: filter.updated_since,
        };
        filter.validate()?;
        let select = service::service::select(&filter, order);
        let select = &select;
        paginate(
            ctx,
            PageArgs::new(first, after, last, before),
            query_id,
            || service::count_rows(db, select.clone()),
            |window: Window| async move {
                let rows = service::fetch_page(db, select.clone(), window).await?;
                Ok(rows.into_iter().map(Service).collect())
            },
        )
        .await
        .map(ServiceConnection)
    }
}
