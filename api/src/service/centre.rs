//! Listing centres: filters, orderings, pages.

use chrono::{DateTime, Utc};
use entity::{
    capacity, centre, centre_language,
    enums::{CentreKind, CentreStatus, TargetGroup},
    service_at_centre, service_target_group,
};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr},
};

use super::{Direction, Lang, LocationAccess, admin_area::AreaScope, geo::Near, search};
use crate::error::AppError;

/// Conditions on centres, combined with AND. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct CentreFilter {
    pub text: Option<String>,
    pub area: Option<AreaScope>,
    pub organization_id: Option<Uuid>,
    pub kinds: Vec<CentreKind>,
    pub statuses: Vec<CentreStatus>,
    /// Centres offering a service for any of these groups.
    pub target_groups: Vec<TargetGroup>,
    pub child_age: Option<i32>,
    /// Centres where any of these languages is spoken.
    pub languages: Vec<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub has_availability: Option<bool>,
    pub near: Option<Near>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CentreOrderField {
    Name,
    UpdatedAt,
    AvailablePlaces,
    Distance,
}

#[derive(Clone, Copy, Debug)]
pub struct CentreOrder {
    pub field: CentreOrderField,
    pub direction: Direction,
    /// The language whose names `Name` sorts by.
    pub lang: Lang,
}

/// The coordinate columns a caller may filter and sort on.
pub fn location_columns(access: LocationAccess) -> (SimpleExpr, SimpleExpr) {
    let (lat, lon) = match access {
        LocationAccess::Exact => (centre::Column::Latitude, centre::Column::Longitude),
        LocationAccess::Public => (centre::Column::PublicLatitude, centre::Column::PublicLongitude),
    };
    (Expr::col((centre::Entity, lat)), Expr::col((centre::Entity, lon)))
}

/// `EXISTS (query AND <link> = centre.id)`: correlated, so that a page
/// ordered by an index stops early instead of materialising every match.
fn centre_has(mut query: SelectStatement, link: (service_at_centre::Entity, service_at_centre::Column)) -> SimpleExpr {
    query.and_where(Expr::col(link).equals((centre::Entity, centre::Column::Id)));
    Expr::exists(query)
}

/// The centre has a live (not archived) service for any of `groups`.
fn serves_any_of(groups: &[TargetGroup]) -> SimpleExpr {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(service_at_centre::Entity)
        .inner_join(
            service_target_group::Entity,
            Expr::col((service_target_group::Entity, service_target_group::Column::ServiceId))
                .equals((service_at_centre::Entity, service_at_centre::Column::ServiceId)),
        )
        .and_where(service_at_centre::Column::ArchivedAt.is_null())
        .and_where(service_target_group::Column::TargetGroup.is_in(groups.iter().copied()))
        .to_owned();
    centre_has(query, (service_at_centre::Entity, service_at_centre::Column::CentreId))
}

/// The centre has at least one free place.
fn has_free_places() -> SimpleExpr {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(service_at_centre::Entity)
        .inner_join(
            capacity::Entity,
            Expr::col((capacity::Entity, capacity::Column::ServiceAtCentreId))
                .equals((service_at_centre::Entity, service_at_centre::Column::Id)),
        )
        .and_where(service_at_centre::Column::ArchivedAt.is_null())
        .and_where(capacity::Column::Available.gt(0))
        .to_owned();
    centre_has(query, (service_at_centre::Entity, service_at_centre::Column::CentreId))
}

/// Any of `languages` is spoken at the centre.
fn speaks_any_of(languages: &[String]) -> SimpleExpr {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(centre_language::Entity)
        .and_where(centre_language::Column::Language.is_in(languages.iter().cloned()))
        .and_where(
            Expr::col((centre_language::Entity, centre_language::Column::CentreId))
                .equals((centre::Entity, centre::Column::Id)),
        )
        .to_owned();
    Expr::exists(query)
}

/// Free places summed over a centre's live capacities.
fn available_places_sql() -> SimpleExpr {
    Expr::cust(
        "(SELECT COALESCE(SUM(cap.available), 0) FROM service_at_centre sac \
         JOIN capacity cap ON cap.service_at_centre_id = sac.id \
         WHERE sac.centre_id = centre.id AND sac.archived_at IS NULL)",
    )
}

impl CentreFilter {
    pub fn validate(&self) -> Result<(), AppError> {
        super::validate_child_age(self.child_age)?;
        if let Some(near) = &self.near {
            near.validate()?;
        }
        Ok(())
    }

    fn condition(&self, access: LocationAccess) -> Condition {
        let mut cond = Condition::all().add(centre::Column::ArchivedAt.is_null());
        if let Some(pattern) = self.text.as_deref().and_then(search::contains_pattern) {
            cond = cond.add(centre::Column::SearchText.like(pattern));
        }
        if let Some(area) = &self.area {
            cond = cond.add(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()));
        }
        if let Some(id) = self.organization_id {
            cond = cond.add(centre::Column::OrganizationId.eq(id));
        }
        if !self.kinds.is_empty() {
            cond = cond.add(centre::Column::Kind.is_in(self.kinds.iter().copied()));
        }
        if !self.statuses.is_empty() {
            cond = cond.add(centre::Column::Status.is_in(self.statuses.iter().copied()));
        }
        if !self.target_groups.is_empty() {
            cond = cond.add(serves_any_of(&self.target_groups));
        }
        if let Some(age) = self.child_age {
            cond = cond.add(super::ages_include(centre::Column::AgeMin, centre::Column::AgeMax, age));
        }
        if !self.languages.is_empty() {
            cond = cond.add(speaks_any_of(&self.languages));
        }
        if let Some(since) = self.updated_since {
            cond = cond.add(centre::Column::UpdatedAt.gte(since));
        }
        match self.has_availability {
            Some(true) => cond = cond.add(has_free_places()),
            Some(false) => cond = cond.add(has_free_places().not()),
            None => {}
        }
        if let Some(near) = &self.near {
            let (lat, lon) = location_columns(access);
            if let Some(within) = near.within_radius_sql(lat.clone(), lon.clone()) {
                cond = cond.add(within);
            } else {
                cond = cond.add(lat.is_not_null());
            }
        }
        cond
    }
}

/// The filtered, ordered query; callers page it with [`page`] and [`count`].
pub fn select(
    filter: &CentreFilter,
    order: CentreOrder,
    access: LocationAccess,
) -> Result<Select<centre::Entity>, AppError> {
    let query = centre::Entity::find().filter(filter.condition(access));
    let direction = order.direction.into();
    let query = match order.field {
        CentreOrderField::Name => {
            let column = match order.lang {
                Lang::Ru => centre::Column::NameSortRu,
                Lang::Ky | Lang::En => centre::Column::NameSortKy,
            };
            query.order_by(column, direction)
        }
        CentreOrderField::UpdatedAt => query.order_by(centre::Column::UpdatedAt, direction),
        CentreOrderField::AvailablePlaces => query.order_by(available_places_sql(), direction),
        CentreOrderField::Distance => {
            let near = filter
                .near
                .ok_or_else(|| AppError::bad_input("orderBy DISTANCE needs filter.near"))?;
            let (lat, lon) = location_columns(access);
            query.order_by(near.squared_distance_sql(lat, lon), direction)
        }
    };
    Ok(query.order_by_asc(centre::Column::Id))
}
