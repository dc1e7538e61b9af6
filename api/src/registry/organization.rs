//! Organizations: the providers of help (state and municipal bodies, NGOs,
//! international partners, private providers).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{enums::OrganizationKind, organization};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, prelude::Uuid, sea_query::SimpleExpr,
};

use super::{Direction, Listing, admin_area, centre, search, text::Lang};
use crate::error::AppError;

/// Conditions on organizations, combined with AND. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct OrganizationFilter {
    pub text: Option<String>,
    pub kinds: Vec<OrganizationKind>,
    /// Organizations with a centre inside this area (a region includes its districts).
    pub area_code: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrganizationOrderField {
    Name,
    UpdatedAt,
}

#[derive(Clone, Copy, Debug)]
pub struct OrganizationOrder {
    pub field: OrganizationOrderField,
    pub direction: Direction,
    /// The language whose names `Name` sorts by.
    pub lang: Lang,
}

impl OrganizationOrder {
    /// By name, in the request's language.
    pub fn by_name(lang: Lang) -> Self {
        Self {
            field: OrganizationOrderField::Name,
            direction: Direction::Asc,
            lang,
        }
    }
}

/// Not archived.
pub fn live() -> SimpleExpr {
    organization::Column::ArchivedAt.is_null()
}

/// Fills the columns derived from the record's own fields (search text,
/// name sort keys); every write path calls it.
pub fn fill_derived(m: &mut organization::Model) {
    m.search_text = search::search_text([Some(&m.name), m.description.as_ref()]);
    m.name_sort_ky = search::sort_key(&m.name, Lang::Ky);
    m.name_sort_ru = search::sort_key(&m.name, Lang::Ru);
}

/// The live organizations matching `filter`, in `order`.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &OrganizationFilter,
    order: OrganizationOrder,
) -> Result<Listing<organization::Entity>, AppError> {
    let mut cond = Condition::all().add(live());
    if let Some(pattern) = search::pattern("text", filter.text.as_deref())? {
        cond = cond.add(organization::Column::SearchText.like(pattern));
    }
    if !filter.kinds.is_empty() {
        cond = cond.add(organization::Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    if let Some(area) = admin_area::optional_scope(db, filter.area_code.as_deref()).await? {
        cond = cond.add(organization::Column::Id.in_subquery(centre::organizations_with_centre_in(&area)));
    }
    if let Some(since) = filter.updated_since {
        cond = cond.add(organization::Column::UpdatedAt.gte(since));
    }
    let direction = order.direction.into();
    let sort = match (order.field, order.lang) {
        (OrganizationOrderField::Name, Lang::Ru) => organization::Column::NameSortRu,
        (OrganizationOrderField::Name, Lang::Ky | Lang::En) => organization::Column::NameSortKy,
        (OrganizationOrderField::UpdatedAt, _) => organization::Column::UpdatedAt,
    };
    Ok(Listing::new(
        organization::Entity::find()
            .filter(cond)
            .order_by(sort, direction)
            .order_by_asc(organization::Column::Id),
    ))
}

/// Organizations by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, organization::Model>, AppError> {
    super::find_by_ids::<organization::Entity>(db, organization::Column::Id, ids, |o| o.id).await
}
