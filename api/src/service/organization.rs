//! Listing organizations.

use chrono::{DateTime, Utc};
use entity::{centre, enums::OrganizationKind, organization};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select, sea_query::Query};

use super::{Direction, Lang, admin_area::AreaScope, search};

#[derive(Clone, Debug, Default)]
pub struct OrganizationFilter {
    pub text: Option<String>,
    pub kinds: Vec<OrganizationKind>,
    /// Organizations with a centre inside the area.
    pub area: Option<AreaScope>,
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
    pub lang: Lang,
}

impl OrganizationFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all().add(organization::Column::ArchivedAt.is_null());
        if let Some(pattern) = self.text.as_deref().and_then(search::contains_pattern) {
            cond = cond.add(organization::Column::SearchText.like(pattern));
        }
        if !self.kinds.is_empty() {
            cond = cond.add(organization::Column::Kind.is_in(self.kinds.iter().copied()));
        }
        if let Some(area) = &self.area {
            let with_centre_inside = Query::select()
                .column(centre::Column::OrganizationId)
                .from(centre::Entity)
                .and_where(centre::Column::ArchivedAt.is_null())
                .and_where(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()))
                .to_owned();
            cond = cond.add(organization::Column::Id.in_subquery(with_centre_inside));
        }
        if let Some(since) = self.updated_since {
            cond = cond.add(organization::Column::UpdatedAt.gte(since));
        }
        cond
    }
}

pub fn select(filter: &OrganizationFilter, order: OrganizationOrder) -> Select<organization::Entity> {
    let query = organization::Entity::find().filter(filter.condition());
    let direction = order.direction.into();
    let query = match order.field {
        OrganizationOrderField::Name => match order.lang {
            Lang::Ru => query.order_by(organization::Column::NameSortRu, direction),
            Lang::Ky | Lang::En => query.order_by(organization::Column::NameSortKy, direction),
        },
        OrganizationOrderField::UpdatedAt => query.order_by(organization::Column::UpdatedAt, direction),
    };
    query.order_by_asc(organization::Column::Id)
}
