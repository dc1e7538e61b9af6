use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use super::{NearInput, connection_complexity, db, language_codes};
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, paginate},
        context,
        ids::{self, NodeKind},
        types::{
            centre::{Centre, CentreConnection},
            enums::{CentreKind, CentreStatus, OrderDirection, TargetGroup, to_db},
            loaders,
        },
    },
    service::{
        self, Window,
        centre::{CentreOrder as Order, CentreOrderField as Field},
    },
};

/// Conditions on centres, combined with AND.
#[derive(InputObject, Default, Debug)]
pub struct CentreFilter {
    /// Text found in the name, description or (public) address, in any
    /// language, any case.
    pub text: Option<String>,
    /// Centres in this area (a region includes its districts).
    pub area_code: Option<String>,
    /// Centres of this organization.
    pub organization_id: Option<ID>,
    /// Any of these kinds.
    pub kinds: Option<Vec<CentreKind>>,
    /// Any of these statuses (all statuses when omitted).
    pub statuses: Option<Vec<CentreStatus>>,
    /// Offering a service for any of these groups.
    pub target_groups: Option<Vec<TargetGroup>>,
    /// Receiving a child of this age (0..18).
    pub child_age: Option<i32>,
    /// Where any of these languages is spoken (ISO 639-1: ky, ru, uz, en).
    pub languages: Option<Vec<String>>,
    /// Changed at or after this time (for partners mirroring the registry).
    pub updated_since: Option<DateTime<Utc>>,
    /// True: with at least one free place; false: with none.
    pub has_availability: Option<bool>,
    /// Near a point (and within `radiusKm` when given).
    pub near: Option<NearInput>,
}

/// Fields centres can be ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CentreOrderField {
    /// By name in the request's language (Kyrgyz unless Russian is asked).
    Name,
    /// By time of the last change.
    UpdatedAt,
    /// By free places summed over the centre's capacities.
    AvailablePlaces,
    /// By distance from `filter.near` (required).
    Distance,
}

/// Ordering of centres.
#[derive(InputObject, Debug)]
pub struct CentreOrder {
    /// The field to order by.
    pub field: CentreOrderField,
    /// The direction.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

#[derive(Default)]
pub struct CentreQuery;

impl CentreQuery {
    /// The default order: nearest first with `near`, else by name.
    fn order(order_by: Option<&CentreOrder>, near: bool, lang: service::Lang) -> Order {
        match order_by {
            Some(o) => Order {
                field: match o.field {
                    CentreOrderField::Name => Field::Name,
                    CentreOrderField::UpdatedAt => Field::UpdatedAt,
                    CentreOrderField::AvailablePlaces => Field::AvailablePlaces,
                    CentreOrderField::Distance => Field::Distance,
                },
                direction: o.direction.into(),
                lang,
            },
            None if near => Order {
                field: Field::Distance,
                direction: service::Direction::Asc,
                lang,
            },
            None => Order {
                field: Field::Name,
                direction: service::Direction::Asc,
                lang,
            },
        }
    }
}

#[Object]
impl CentreQuery {
    /// One centre by id; null with a NOT_FOUND error when it does not exist.
    async fn centre(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Centre>, AppError> {
        let uuid = ids::decode_as(NodeKind::Centre, &id)?;
        match loaders(ctx).centre.load_one(uuid).await? {
            Some(model) => Ok(Some(Centre::new(model, &context::request(ctx).viewer))),
            None => Err(AppError::not_found(format!("no centre with id {:?}", id.as_str()))),
        }
    }

    /// Centres in the registry.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn centres(
        &self,
        ctx: &Context<'_>,
        filter: Option<CentreFilter>,
        order_by: Option<CentreOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CentreConnection, AppError> {
        let filter = filter.unwrap_or_default();
        let lang = context::lang(ctx, None).into();
        let request = context::request(ctx);
        let viewer = request.viewer.clone();
        let access = viewer.location_access();
        let order = Self::order(order_by.as_ref(), filter.near.is_some(), lang);
        let query_id = fingerprint(&("centres", &filter, &order_by, lang, access));
        let db = db(ctx);
        let filter = service::centre::CentreFilter {
            text: filter.text,
            area: service::admin_area::optional_scope(db, filter.area_code.as_deref()).await?,
            organization_id: filter
                .organization_id
                .map(|id| ids::decode_as(NodeKind::Organization, &id))
                .transpose()?,
            kinds: to_db(filter.kinds),
            statuses: to_db(filter.statuses),
            target_groups: to_db(filter.target_groups),
            child_age: filter.child_age,
            languages: language_codes(filter.languages)?,
            updated_since: filter.updated_since,
            has_availability: filter.has_availability,
            near: filter.near.map(Into::into),
        };
        filter.validate()?;
        let select = service::centre::select(&filter, order, access)?;
        let select = &select;
        paginate(
            ctx,
            PageArgs::new(first, after, last, before),
            query_id,
            || service::count_rows(db, select.clone()),
            |window: Window| async move {
                let rows = service::fetch_page(db, select.clone(), window).await?;
                Ok(rows.into_iter().map(|m| Centre::new(m, &viewer)).collect())
            },
        )
        .await
        .map(CentreConnection)
    }
}
