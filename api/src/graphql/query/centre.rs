use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use super::NearInput;
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, fingerprint, listing_complexity, lookup_complexity, paginate},
        context::ContextExt,
        ids::{self, NodeKind},
        types::{
            centre::{Centre, CentreConnection},
            enums::{CentreKind, CentreStatus, OrderDirection, TargetGroup, to_db},
        },
    },
    registry::{
        self,
        centre::{self as domain, PageDetail},
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

impl TryFrom<CentreFilter> for domain::CentreFilter {
    type Error = AppError;

    fn try_from(filter: CentreFilter) -> Result<Self, AppError> {
        Ok(Self {
            text: filter.text,
            area_code: filter.area_code,
            organization_id: ids::decode_optional(NodeKind::Organization, filter.organization_id.as_ref())?,
            kinds: to_db(filter.kinds),
            statuses: to_db(filter.statuses),
            target_groups: to_db(filter.target_groups),
            child_age: filter.child_age,
            languages: filter.languages.unwrap_or_default(),
            updated_since: filter.updated_since,
            has_availability: filter.has_availability,
            near: filter.near.map(Into::into),
        })
    }
}

/// Fields centres can be ordered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::CentreOrderField")]
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

#[Object]
impl CentreQuery {
    /// One centre by id; null with a NOT_FOUND error when it does not exist.
    #[graphql(complexity = "lookup_complexity(1, child_complexity)")]
    async fn centre(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Centre>, AppError> {
        let found = Centre::find(ctx, ids::decode_as(NodeKind::Centre, &id)?).await?;
        super::found(found, "centre", &id)
    }

    /// Centres in the registry.
    #[graphql(complexity = "listing_complexity(first, last, child_complexity)")]
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
        let filter = domain::CentreFilter::try_from(filter.unwrap_or_default())?;
        let lang = ctx.lang(None).into();
        let order = match order_by {
            Some(o) => domain::CentreOrder {
                field: o.field.into(),
                direction: o.direction.into(),
                lang,
            },
            None => domain::CentreOrder::default_for(&filter, lang),
        };
        let viewer = ctx.viewer()?;
        let access = viewer.location_access();
        let query = fingerprint(&("centres", &filter, order, &access));
        let db = ctx.db()?;
        let selection = ctx.look_ahead();
        let centres = [selection.field("nodes"), selection.field("edges").field("node")];
        let detail = Centre::detail_selected(&centres);
        let lists = Centre::lists_wanted(&centres);
        let list = &registry::centre::list(db, ctx.reference()?, &filter, order, &access).await?;
        let page_detail = PageDetail { lang, detail, lists };
        let args = PageArgs::new(first, after, last, before);
        let page = paginate(
            ctx,
            args,
            query,
            || list.count(db),
            |window| async move {
                let rows = list.page(db, window, page_detail).await?;
                Ok(rows
                    .into_iter()
                    .map(|(summary, lists)| Centre::new(summary).with_lists(lists))
                    .collect())
            },
        )
        .await?;
        Ok(CentreConnection(page))
    }
}
