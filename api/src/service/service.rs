//! Listing services and benefits: filters, orderings, pages.

use chrono::{DateTime, Utc};
use entity::{
    centre, centre_language,
    enums::{ServiceCategory, ServiceStatus, TargetGroup},
    service, service_area, service_at_centre, service_target_group,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select,
    prelude::Uuid,
    sea_query::{Query, SelectStatement},
};

use super::{Direction, Lang, admin_area::AreaScope, search};
use crate::error::AppError;

/// Whether a service is a social service or a cash benefit. Derived from the
/// category, so the two can never disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    Service,
    Benefit,
}

pub fn kind_of(category: ServiceCategory) -> ServiceKind {
    match category {
        ServiceCategory::CashBenefit => ServiceKind::Benefit,
        _ => ServiceKind::Service,
    }
}

/// Conditions on services, combined with AND. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct ServiceFilter {
    pub text: Option<String>,
    /// Services covering the area (their service area overlaps it) or
    /// delivered at a centre inside it.
    pub area: Option<AreaScope>,
    pub organization_id: Option<Uuid>,
    pub categories: Vec<ServiceCategory>,
    pub kind: Option<ServiceKind>,
    /// Services for any of these groups.
    pub target_groups: Vec<TargetGroup>,
    pub child_age: Option<i32>,
    /// Services delivered at a centre where any of these languages is spoken.
    pub languages: Vec<String>,
    pub statuses: Vec<ServiceStatus>,
    pub updated_since: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceOrderField {
    Name,
    UpdatedAt,
}

#[derive(Clone, Copy, Debug)]
pub struct ServiceOrder {
    pub field: ServiceOrderField,
    pub direction: Direction,
    pub lang: Lang,
}

/// Ids of services delivered (not archived) at centres matching `centres`.
fn delivered_at(centres: SelectStatement) -> SelectStatement {
    Query::select()
        .column(service_at_centre::Column::ServiceId)
        .from(service_at_centre::Entity)
        .and_where(service_at_centre::Column::ArchivedAt.is_null())
        .and_where(service_at_centre::Column::CentreId.in_subquery(centres))
        .to_owned()
}

impl ServiceFilter {
    pub fn validate(&self) -> Result<(), AppError> {
        super::validate_child_age(self.child_age)
    }

    fn condition(&self) -> Condition {
        let mut cond = Condition::all().add(service::Column::ArchivedAt.is_null());
        if let Some(pattern) = self.text.as_deref().and_then(search::contains_pattern) {
            cond = cond.add(service::Column::SearchText.like(pattern));
        }
        if let Some(area) = &self.area {
            let covering = Query::select()
                .column(service_area::Column::ServiceId)
                .from(service_area::Entity)
                .and_where(service_area::Column::AdminAreaId.in_subquery(area.overlapping_ids()))
                .to_owned();
            let centres_inside = Query::select()
                .column(centre::Column::Id)
                .from(centre::Entity)
                .and_where(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()))
                .to_owned();
            cond = cond.add(
                Condition::any()
                    .add(service::Column::Id.in_subquery(covering))
                    .add(service::Column::Id.in_subquery(delivered_at(centres_inside))),
            );
        }
        if let Some(id) = self.organization_id {
            cond = cond.add(service::Column::OrganizationId.eq(id));
        }
        if !self.categories.is_empty() {
            cond = cond.add(service::Column::Category.is_in(self.categories.iter().copied()));
        }
        match self.kind {
            Some(ServiceKind::Benefit) => cond = cond.add(service::Column::Category.eq(ServiceCategory::CashBenefit)),
            Some(ServiceKind::Service) => cond = cond.add(service::Column::Category.ne(ServiceCategory::CashBenefit)),
            None => {}
        }
        if !self.target_groups.is_empty() {
            let for_groups = Query::select()
                .column(service_target_group::Column::ServiceId)
                .from(service_target_group::Entity)
                .and_where(service_target_group::Column::TargetGroup.is_in(self.target_groups.iter().copied()))
                .to_owned();
            cond = cond.add(service::Column::Id.in_subquery(for_groups));
        }
        if let Some(age) = self.child_age {
            cond = cond.add(super::ages_include(
                service::Column::AgeMin,
                service::Column::AgeMax,
                age,
            ));
        }
        if !self.languages.is_empty() {
            let speaking = Query::select()
                .column(centre_language::Column::CentreId)
                .from(centre_language::Entity)
                .and_where(centre_language::Column::Language.is_in(self.languages.iter().cloned()))
                .to_owned();
            cond = cond.add(service::Column::Id.in_subquery(delivered_at(speaking)));
        }
        if !self.statuses.is_empty() {
            cond = cond.add(service::Column::Status.is_in(self.statuses.iter().copied()));
        }
        if let Some(since) = self.updated_since {
            cond = cond.add(service::Column::UpdatedAt.gte(since));
        }
        cond
    }
}

pub fn select(filter: &ServiceFilter, order: ServiceOrder) -> Select<service::Entity> {
    let query = service::Entity::find().filter(filter.condition());
    let direction = order.direction.into();
    let query = match order.field {
        ServiceOrderField::Name => match order.lang {
            Lang::Ru => query.order_by(service::Column::NameSortRu, direction),
            Lang::Ky | Lang::En => query.order_by(service::Column::NameSortKy, direction),
        },
        ServiceOrderField::UpdatedAt => query.order_by(service::Column::UpdatedAt, direction),
    };
    query.order_by_asc(service::Column::Id)
}
