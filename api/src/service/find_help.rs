//! `findHelp`: which services at which centres fit a child's need, ranked.
//!
//! A match is one live service at one active centre. Ranking: nearest first
//! when a point is given; otherwise most free places first, with matches that
//! have no places to count (benefits, hotlines) after those that have; ties
//! go to the freshest count.

use chrono::{DateTime, Utc};
use entity::{
    capacity, centre, centre_language,
    enums::{CentreStatus, GendersServed, ServiceCategory, ServiceStatus, TargetGroup},
    service, service_area, service_at_centre, service_target_group,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{
    LocationAccess, Window,
    admin_area::AreaScope,
    centre::location_columns,
    geo::{Near, Point, distance_km},
    search,
};
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
}

/// What a family or a social worker is looking for.
#[derive(Clone, Debug)]
pub struct HelpNeed {
    pub child_age: Option<i32>,
    pub gender: Option<Gender>,
    /// The child belongs to any of these groups.
    pub target_groups: Vec<TargetGroup>,
    pub categories: Vec<ServiceCategory>,
    pub area: Option<AreaScope>,
    pub near: Option<Near>,
    /// A language the child or family speaks.
    pub language: Option<String>,
    pub text: Option<String>,
    /// Drop services whose places are all taken.
    pub available_only: bool,
}

/// One ranked match with its service and centre, read in the same query
/// (a page needs them all, so loading them separately would only add
/// round trips).
#[derive(Clone, Debug, PartialEq)]
pub struct HelpMatchRow {
    pub service_at_centre_id: Uuid,
    pub service: service::Model,
    pub centre: centre::Model,
    pub capacity_id: Option<Uuid>,
    pub available_places: Option<i32>,
    pub capacity_updated_at: Option<DateTime<Utc>>,
    /// Great-circle distance from `near`, when given and the centre has a location.
    pub distance_km: Option<f64>,
}

#[derive(Debug, FromQueryResult)]
struct RawRow {
    sac_id: Uuid,
    capacity_id: Option<Uuid>,
    available: Option<i32>,
    capacity_updated: Option<DateTime<Utc>>,
    /// The coordinates the caller may search on (see `LocationAccess`).
    latitude: Option<f64>,
    longitude: Option<f64>,
    #[sea_orm(nested(prefix = "s_"))]
    service: service::Model,
    #[sea_orm(nested(prefix = "c_"))]
    centre: centre::Model,
}

/// Selects every column of `E`, aliased `<prefix><column>`, to be read by a
/// `#[sea_orm(nested(prefix = ...))]` field.
fn with_all_columns<E: EntityTrait, Q: QuerySelect>(mut query: Q, prefix: &str) -> Q {
    for column in E::Column::iter() {
        query = query.column_as(column, format!("{prefix}{}", column.as_str()));
    }
    query
}

impl HelpNeed {
    pub fn validate(&self) -> Result<(), AppError> {
        super::validate_child_age(self.child_age)?;
        if let Some(near) = &self.near {
            near.validate()?;
        }
        Ok(())
    }

    fn condition(&self, access: LocationAccess) -> Condition {
        let mut cond = Condition::all()
            .add(service_at_centre::Column::ArchivedAt.is_null())
            .add(service::Column::ArchivedAt.is_null())
            .add(service::Column::Status.eq(ServiceStatus::Active))
            .add(centre::Column::ArchivedAt.is_null())
            .add(centre::Column::Status.eq(CentreStatus::Active));
        if let Some(age) = self.child_age {
            cond = cond
                .add(super::ages_include(
                    service::Column::AgeMin,
                    service::Column::AgeMax,
                    age,
                ))
                .add(super::ages_include(centre::Column::AgeMin, centre::Column::AgeMax, age));
        }
        if let Some(gender) = self.gender {
            let served = match gender {
                Gender::Female => GendersServed::Female,
                Gender::Male => GendersServed::Male,
            };
            cond = cond.add(centre::Column::Genders.is_in([GendersServed::Any, served]));
        }
        if !self.target_groups.is_empty() {
            // Correlated EXISTS: checked per candidate row, never materialised.
            let for_groups = Query::select()
                .expr(Expr::val(1))
                .from(service_target_group::Entity)
                .and_where(service_target_group::Column::TargetGroup.is_in(self.target_groups.iter().copied()))
                .and_where(
                    Expr::col((service_target_group::Entity, service_target_group::Column::ServiceId))
                        .equals((service_at_centre::Entity, service_at_centre::Column::ServiceId)),
                )
                .to_owned();
            cond = cond.add(Expr::exists(for_groups));
        }
        if !self.categories.is_empty() {
            cond = cond.add(service::Column::Category.is_in(self.categories.iter().copied()));
        }
        if let Some(area) = &self.area {
            // A hotline helps wherever its service area reaches, whichever
            // town its call centre sits in.
            let hotline_covering = Query::select()
                .column(service_area::Column::ServiceId)
                .from(service_area::Entity)
                .and_where(service_area::Column::AdminAreaId.in_subquery(area.overlapping_ids()))
                .to_owned();
            cond = cond.add(
                Condition::any()
                    .add(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()))
                    .add(
                        Condition::all()
                            .add(service::Column::Category.eq(ServiceCategory::Hotline))
                            .add(service::Column::Id.in_subquery(hotline_covering)),
                    ),
            );
        }
        if let Some(language) = &self.language {
            let speaking = Query::select()
                .expr(Expr::val(1))
                .from(centre_language::Entity)
                .and_where(centre_language::Column::Language.eq(language.as_str()))
                .and_where(
                    Expr::col((centre_language::Entity, centre_language::Column::CentreId))
                        .equals((service_at_centre::Entity, service_at_centre::Column::CentreId)),
                )
                .to_owned();
            cond = cond.add(Expr::exists(speaking));
        }
        if let Some(pattern) = self.text.as_deref().and_then(search::contains_pattern) {
            cond = cond.add(
                Condition::any()
                    .add(service::Column::SearchText.like(pattern.clone()))
                    .add(centre::Column::SearchText.like(pattern)),
            );
        }
        if self.available_only {
            cond = cond.add(
                Condition::any()
                    .add(Expr::col((capacity::Entity, capacity::Column::Id)).is_null())
                    .add(capacity::Column::Available.gt(0)),
            );
        }
        if let Some(near) = &self.near {
            let (lat, lon) = location_columns(access);
            if let Some(within) = near.within_radius_sql(lat, lon) {
                cond = cond.add(within);
            }
        }
        cond
    }
}

/// The ranked query over service-at-centre rows with their service, centre
/// and (optional) capacity joined in.
fn select(need: &HelpNeed, access: LocationAccess) -> Select<service_at_centre::Entity> {
    let (lat, lon) = location_columns(access);
    let query = service_at_centre::Entity::find()
        .select_only()
        .column_as(service_at_centre::Column::Id, "sac_id")
        .column_as(Expr::col((capacity::Entity, capacity::Column::Id)), "capacity_id")
        .column_as(Expr::col((capacity::Entity, capacity::Column::Available)), "available")
        .column_as(
            Expr::col((capacity::Entity, capacity::Column::Updated)),
            "capacity_updated",
        )
        .column_as(lat.clone(), "latitude")
        .column_as(lon.clone(), "longitude");
    let query = with_all_columns::<centre::Entity, _>(with_all_columns::<service::Entity, _>(query, "s_"), "c_");
    let mut query = query
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
        .join(JoinType::LeftJoin, capacity::Relation::ServiceAtCentre.def().rev())
        .filter(need.condition(access));
    if let Some(near) = &need.near {
        // Centres without coordinates sort after every located one.
        query = query
            .order_by_asc(lat.clone().is_null())
            .order_by_asc(near.squared_distance_sql(lat, lon));
    }
    query
        .order_by_asc(Expr::col((capacity::Entity, capacity::Column::Id)).is_null())
        .order_by_desc(Expr::col((capacity::Entity, capacity::Column::Available)))
        .order_by_desc(Expr::col((capacity::Entity, capacity::Column::Updated)))
        .order_by_asc(service_at_centre::Column::Id)
}

/// Radius of the first circle searched for a nearest-first page.
const FIRST_CIRCLE_KM: f64 = 1.0;
/// Bounds on how much each further circle grows.
const MIN_GROWTH: f64 = 1.5;
const MAX_GROWTH: f64 = 4.0;

pub async fn page(
    db: &impl ConnectionTrait,
    need: &HelpNeed,
    access: LocationAccess,
    window: Window,
) -> Result<Vec<HelpMatchRow>, AppError> {
    let Some(near) = need.near else {
        return fetch(db, need, access, window).await;
    };
    // Nearest first, a page needs only the closest rows: search growing
    // circles and stop at the first one that fills the window. Every row
    // outside a circle is farther than every row inside it, so the rows of a
    // circle are a prefix of the full order and the page is the same; in a
    // dense city this sorts a few dozen candidates instead of thousands.
    let limit_km = near.radius_km.unwrap_or(f64::INFINITY);
    let mut radius_km = FIRST_CIRCLE_KM;
    while radius_km < limit_km {
        let circle = HelpNeed {
            near: Some(Near {
                radius_km: Some(radius_km),
                ..near
            }),
            ..need.clone()
        };
        let rows = fetch(db, &circle, access, window).await?;
        if rows.len() as u64 >= window.limit {
            return Ok(rows);
        }
        radius_km *= next_growth(window, rows.len() as u64);
    }
    fetch(db, need, access, window).await
}

/// How much to widen the circle after it held `found` rows of a window:
/// matches grow with the area, i.e. with the square of the radius, so aim
/// for a circle a quarter larger than the density seen suggests.
fn next_growth(window: Window, found: u64) -> f64 {
    if found == 0 {
        return MAX_GROWTH;
    }
    let wanted = (window.offset + window.limit) as f64;
    let seen = (window.offset + found) as f64;
    (1.25 * (wanted / seen).sqrt()).clamp(MIN_GROWTH, MAX_GROWTH)
}

async fn fetch(
    db: &impl ConnectionTrait,
    need: &HelpNeed,
    access: LocationAccess,
    window: Window,
) -> Result<Vec<HelpMatchRow>, AppError> {
    let rows = select(need, access)
        .offset(window.offset)
        .limit(window.limit)
        .into_model::<RawRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| to_match(row, need.near.as_ref())).collect())
}

pub async fn count(db: &impl ConnectionTrait, need: &HelpNeed, access: LocationAccess) -> Result<u64, AppError> {
    Ok(select(need, access).into_model::<RawRow>().count(db).await?)
}

fn to_match(row: RawRow, near: Option<&Near>) -> HelpMatchRow {
    let distance_km = match (near, row.latitude, row.longitude) {
        (Some(near), Some(latitude), Some(longitude)) => Some(distance_km(near.point, Point { latitude, longitude })),
        _ => None,
    };
    HelpMatchRow {
        service_at_centre_id: row.sac_id,
        service: row.service,
        centre: row.centre,
        capacity_id: row.capacity_id,
        available_places: row.available,
        capacity_updated_at: row.capacity_updated,
        distance_km,
    }
}
