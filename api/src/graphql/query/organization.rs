use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use super::{connection_complexity, db};
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, paginate},
        context,
        ids::{self, NodeKind},
        types::{
            enums::{OrderDirection, OrganizationKind, to_db},
            loaders,
            organization::{Organization, OrganizationConnection},
        },
    },
    service::{
        self, Window,
        organization::{OrganizationOrder as Order, OrganizationOrderField as Field},
    },
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

/// Fields organizations can be ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
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
    async fn organization(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Organization>, AppError> {
        let uuid = ids::decode_as(NodeKind::Organization, &id)?;
        match loaders(ctx).organization.load_one(uuid).await? {
            Some(model) => Ok(Some(Organization(model))),
            None => Err(AppError::not_found(format!(
                "no organization with id {:?}",
                id.as_str()
            ))),
        }
    }

    /// Providers in the registry.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
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
        let filter = filter.unwrap_or_default();
        let lang = context::lang(ctx, None).into();
        let order = match &order_by {
            Some(o) => Order {
                field: match o.field {
                    OrganizationOrderField::Name => Field::Name,
                    OrganizationOrderField::UpdatedAt => Field::UpdatedAt,
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
        let query_id = fingerprint(&("organizations", &filter, &order_by, lang));
        let db = db(ctx);
        let filter = service::organization::OrganizationFilter {
            text: filter.text,
            kinds: to_db(filter.kinds),
            area: service::admin_area::optional_scope(db, filter.area_code.as_deref()).await?,
            updated_since: filter.updated_since,
        };
        let select = service::organization::select(&filter, order);
        let select = &select;
        paginate(
            ctx,
            PageArgs::new(first, after, last, before),
            query_id,
            || service::count_rows(db, select.clone()),
            |window: Window| async move {
                let rows = service::fetch_page(db, select.clone(), window).await?;
                Ok(rows.into_iter().map(Organization).collect())
            },
        )
        .await
        .map(OrganizationConnection)
    }
}
