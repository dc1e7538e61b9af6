//! `findHelp`: which services at which centres fit a child's need, ranked.
//!
//! A match is one live, offered service at one live centre receiving
//! children. Ranking: nearest first when a point is given (on the distance
//! the caller is shown, see `access`); then matches with places counted
//! before those without (benefits, hotlines); then fresh counts before stale
//! ones (see `capacity::Freshness`); then most free places; ties go to the
//! freshest count, then to the match's id.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Utc};
use entity::{
    capacity, centre, centre_language,
    enums::{GendersServed, ServiceCategory, TargetGroup},
    service, service_at_centre, service_target_group,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, Select,
    prelude::Uuid,
    sea_query::{Alias, Expr, ExprTrait, NullOrdering, Order, Query, SimpleExpr},
};

use super::{
    Detail, Window,
    access::{self, LocationAccess, Visible},
    admin_area::AreaScope,
    capacity::{CapacityView, Freshness},
    centre::CentreSummary,
    geo::Near,
    lifecycle,
    reference::ReferenceCache,
    search,
    service::{ServiceSummary, covering},
    text::Lang,
    validate,
};
use crate::{database::row::Row, error::AppError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
}

/// What a family or a social worker is looking for.
#[derive(Clone, Debug, Default)]
pub struct HelpNeed {
    pub child_age: Option<i32>,
    pub gender: Option<Gender>,
    /// The child belongs to any of these groups.
    pub target_groups: Vec<TargetGroup>,
    pub categories: Vec<ServiceCategory>,
    /// Where the child lives (a region includes its districts).
    pub area_code: Option<String>,
    pub near: Option<Near>,
    /// A language the child or family speaks.
    pub language: Option<String>,
    pub text: Option<String>,
    /// Drop services whose places are all taken.
    pub available_only: bool,
    /// Only matches whose service, centre or capacity changed at or after this.
    pub updated_since: Option<DateTime<Utc>>,
}

/// One ranked match with its service, centre and places, read in the same
/// query (a page needs them all, so loading them separately would only add
/// round trips).
#[derive(Clone, Debug, PartialEq)]
pub struct HelpMatchRow {
    pub service_at_centre_id: Uuid,
    pub service: ServiceSummary,
    /// The centre as the caller may see it.
    pub centre: Visible<CentreSummary>,
    /// `None` for services without places to count.
    pub places: Option<Places>,
    /// The whole capacity, when the search was asked for it
    /// ([`MatchDetail::capacities`]).
    pub capacity: Option<CapacityView>,
    /// The distance from `near` the caller is shown, when a point was given
    /// and the centre has a location.
    pub distance_km: Option<f64>,
}

/// What a match's capacity says, as every ranking reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Places {
    pub capacity_id: Uuid,
    pub available: i32,
    /// When the places were last counted.
    pub updated: DateTime<Utc>,
}

impl HelpMatchRow {
    /// The columns after the distance, in the order [`HelpMatchRow::read`]
    /// reads them.
    fn columns(lang: Lang, detail: MatchDetail) -> Vec<SimpleExpr> {
        let capacity = |c: capacity::Column| -> SimpleExpr { Expr::col((capacity::Entity, c)) };
        let mut columns = vec![Expr::col((service_at_centre::Entity, service_at_centre::Column::Id))];
        columns.extend(ServiceSummary::columns(lang, detail.service));
        columns.extend(CentreSummary::columns(lang, detail.centre));
        columns.extend([
            capacity(capacity::Column::Id),
            capacity(capacity::Column::Available),
            capacity(capacity::Column::Updated),
        ]);
        if detail.capacities {
            columns.extend(CapacityView::columns(Detail::Full));
        }
        columns
    }

    /// A match from a row of the ranking query: its distance, then
    /// [`HelpMatchRow::columns`].
    fn read(row: &Row<'_>, lang: Lang, detail: MatchDetail, access: &LocationAccess) -> Result<Self, DbErr> {
        let distance_km = row.next()?;
        let service_at_centre_id = row.next()?;
        let service = ServiceSummary::read(row, lang, detail.service)?;
        let centre = CentreSummary::read(row, lang, detail.centre)?.seen_by(access);
        let places = match (row.next()?, row.next()?, row.next()?) {
            (Some(capacity_id), Some(available), Some(updated)) => Some(Places {
                capacity_id,
                available,
                updated,
            }),
            _ => None,
        };
        let capacity = if detail.capacities {
            CapacityView::read(row, centre.id, Detail::Full)?
        } else {
            None
        };
        Ok(Self {
            service_at_centre_id,
            service,
            centre,
            places,
            capacity,
            distance_km,
        })
    }
}

impl HelpNeed {
    pub fn validate(&self) -> Result<(), AppError> {
        validate::child_age("childAge", self.child_age)?;
        validate::language_codes("language", self.language.as_slice())?;
        if let Some(near) = &self.near {
            near.validate()?;
        }
        Ok(())
    }

    fn condition(
        &self,
        area: Option<&AreaScope>,
        access: &LocationAccess,
        circle_km: Option<f64>,
    ) -> Result<Condition, AppError> {
        let mut cond = Condition::all()
            .add(lifecycle::placement_live())
            .add(lifecycle::service_offered())
            .add(lifecycle::centre_receiving());
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
        if let Some(since) = self.updated_since {
            cond = cond.add(
                Condition::any()
                    .add(service::Column::UpdatedAt.gte(since))
                    .add(centre::Column::UpdatedAt.gte(since))
                    .add(Expr::col((capacity::Entity, capacity::Column::UpdatedAt)).gte(since)),
            );
        }
        if let Some(area) = area {
            // A hotline helps wherever its service area reaches, whichever
            // town its call centre sits in.
            cond = cond.add(
                Condition::any()
                    .add(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()))
                    .add(
                        Condition::all()
                            .add(service::Column::Category.eq(ServiceCategory::Hotline))
                            .add(service::Column::Id.in_subquery(covering(area))),
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
        if let Some(pattern) = search::pattern("text", self.text.as_deref())? {
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
            let circle = circle_km.map(|radius_km| Near {
                radius_km: Some(radius_km),
                ..*near
            });
            let (latitude, longitude) = access.coordinates_sql();
            if let Some(within) = near.within_radius_sql(latitude, longitude) {
                cond = cond.add(within);
            }
            if let Some(within) = circle.as_ref().and_then(|circle| access.circle_sql(circle)) {
                cond = cond.add(within);
            }
        }
        Ok(cond)
    }

    /// The matching service-at-centre rows with their service, centre and
    /// (optional) capacity joined in, within a search circle of `circle_km`
    /// when one is given; the distance shown is the first column.
    fn matching(
        &self,
        area: Option<&AreaScope>,
        access: &LocationAccess,
        circle_km: Option<f64>,
    ) -> Result<Select<service_at_centre::Entity>, AppError> {
        let distance = match &self.near {
            Some(near) => access.shown_distance_sql(near),
            None => Expr::val(None::<f64>),
        };
        Ok(service_at_centre::Entity::find()
            .select_only()
            .column_as(distance, "distance_km")
            .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def())
            .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
            .join(JoinType::LeftJoin, capacity::Relation::ServiceAtCentre.def().rev())
            .filter(self.condition(area, access, circle_km)?))
    }
}

/// The first circle a nearest-first page searches, learned from the pages
/// this replica has served: the radius that settled recent pages, per
/// square root of the rows they wanted (where matches spread evenly, a page
/// of n rows needs a circle about √n times that wide). Results never depend
/// on it, since the circles grow until the window is settled; only the work
/// does: too small a first circle costs another statement, too large a one
/// sorts more candidates than the page needs, and how large is right
/// depends on the data (`docs/benchmark.md` compares fixed and learned
/// circles). The application keeps one and hands it to each search.
#[derive(Debug)]
pub struct FirstCircle(AtomicU64);

impl Default for FirstCircle {
    /// 1 km for a page of 20 rows (1 / √20 km per √row), until pages
    /// teach otherwise.
    fn default() -> Self {
        Self(AtomicU64::new(0.223_606_8_f64.to_bits()))
    }
}

impl FirstCircle {
    /// How much of the last page's evidence the estimate takes in.
    const WEIGHT: f64 = 0.3;
    /// The narrowest first circle, so that a page of matches at one point
    /// does not shrink it to nothing.
    const MIN_KM: f64 = 0.05;

    fn radius_km(&self, wanted_rows: u64) -> f64 {
        let per_row = f64::from_bits(self.0.load(Ordering::Relaxed));
        (per_row * (wanted_rows as f64).sqrt()).max(Self::MIN_KM)
    }

    /// Learns from a page of `wanted_rows` settled with its last row at
    /// `last_km`: a geometric moving average, with a fifth to spare so that
    /// the next first circle tends to fill.
    fn learn(&self, wanted_rows: u64, last_km: f64) {
        let sample = (1.2 * last_km).max(Self::MIN_KM) / (wanted_rows as f64).sqrt();
        let old = f64::from_bits(self.0.load(Ordering::Relaxed));
        let new = ((1.0 - Self::WEIGHT) * old.ln() + Self::WEIGHT * sample.ln()).exp();
        if new.is_finite() {
            self.0.store(new.to_bits(), Ordering::Relaxed);
        }
    }
}

/// Bounds on how much each further circle grows.
const MIN_GROWTH: f64 = 1.5;
const MAX_GROWTH: f64 = 4.0;

/// What a search reads of each match beyond what every ranking needs.
#[derive(Clone, Copy, Debug)]
pub struct MatchDetail {
    /// The services' details, or only their summaries.
    pub service: Detail,
    /// The centres' details, or only their summaries.
    pub centre: Detail,
    /// Each match's whole capacity (ten more columns a row, so only when
    /// the caller will show them).
    pub capacities: bool,
}

impl Default for MatchDetail {
    /// Whole summaries, no capacities.
    fn default() -> Self {
        Self {
            service: Detail::Full,
            centre: Detail::Full,
            capacities: false,
        }
    }
}

/// A validated need, its area resolved, ready to be counted and paged.
pub struct HelpSearch {
    need: HelpNeed,
    area: Option<AreaScope>,
    access: LocationAccess,
    /// The language the matches' names are read in.
    lang: Lang,
    detail: MatchDetail,
    /// Counts older than this rank after fresh ones.
    stale_before: DateTime<Utc>,
    /// Where nearest-first pages begin, learned from earlier ones.
    first_circle: Arc<FirstCircle>,
}

/// Prepares the search for `need` as a caller with `access` sees it.
pub async fn search(
    db: &impl ConnectionTrait,
    reference: &ReferenceCache,
    need: HelpNeed,
    access: LocationAccess,
    freshness: Freshness,
    lang: Lang,
) -> Result<HelpSearch, AppError> {
    need.validate()?;
    let area = super::admin_area::optional_scope(reference, db, need.area_code.as_deref()).await?;
    Ok(HelpSearch {
        need,
        area,
        access,
        lang,
        detail: MatchDetail::default(),
        stale_before: freshness.stale_before(),
        first_circle: Arc::default(),
    })
}

impl HelpSearch {
    /// Reads of each match what `detail` names.
    pub fn with_detail(mut self, detail: MatchDetail) -> Self {
        self.detail = detail;
        self
    }

    /// Begins nearest-first pages where `first_circle` says, and teaches it
    /// (the application's one, shared by its searches).
    pub fn learning_in(mut self, first_circle: Arc<FirstCircle>) -> Self {
        self.first_circle = first_circle;
        self
    }

    /// The number of matches across all pages.
    pub async fn count(&self, db: &impl ConnectionTrait) -> Result<u64, AppError> {
        let matching = self.need.matching(self.area.as_ref(), &self.access, None)?;
        Ok(matching.count(db).await?)
    }

    /// One window of the ranked matches.
    pub async fn page(&self, db: &impl ConnectionTrait, window: Window) -> Result<Vec<HelpMatchRow>, AppError> {
        let Some(near) = self.need.near else {
            return self.fetch(db, None, window).await;
        };
        // Nearest first, a page needs only the closest rows: search growing
        // circles and stop at the first one whose rows fill the window with
        // distances that no row outside the circle can undercut or tie (see
        // `access::shown_beyond_km`), so that the window is the same
        // as the full query's. In a dense city this sorts a few dozen
        // candidates instead of thousands.
        let limit_km = near.radius_km.unwrap_or(f64::INFINITY);
        let wanted = std::cmp::max(window.offset + window.limit, 1);
        let mut radius_km = self.first_circle.radius_km(wanted);
        while radius_km < limit_km {
            let rows = self.fetch(db, Some(radius_km), window).await?;
            let full = rows.len() as u64 >= window.limit;
            match rows.last().and_then(|row| row.distance_km) {
                Some(last) if full && last < access::shown_beyond_km(radius_km) => {
                    self.first_circle.learn(wanted, last);
                    return Ok(rows);
                }
                // Full, but a row just outside could still be shown as near
                // as the last: a circle whose bound passes the last row
                // settles it (its window can only end nearer).
                Some(last) if full => radius_km = access::settling_circle_km(last),
                _ => radius_km *= next_growth(window, rows.len() as u64),
            }
        }
        self.fetch(db, None, window).await
    }

    /// The ranked matches (see [`HelpNeed::matching`]) with the columns of
    /// a [`HelpMatchRow`].
    fn ranked(&self, circle_km: Option<f64>) -> Result<Select<service_at_centre::Entity>, AppError> {
        let mut query = self.need.matching(self.area.as_ref(), &self.access, circle_km)?;
        for column in HelpMatchRow::columns(self.lang, self.detail) {
            query = query.expr(column);
        }
        if self.need.near.is_some() {
            // By the output column, so that the distance is computed once a
            // row; centres without coordinates (no distance) come last.
            query = query.order_by_with_nulls(Expr::col(Alias::new("distance_km")), Order::Asc, NullOrdering::Last);
        }
        let counted = Expr::col((capacity::Entity, capacity::Column::Updated));
        Ok(query
            .order_by_asc(Expr::col((capacity::Entity, capacity::Column::Id)).is_null())
            // Fresh counts before stale ones (rows without a count are
            // already last).
            .order_by_asc(counted.lt(self.stale_before))
            .order_by_desc(Expr::col((capacity::Entity, capacity::Column::Available)))
            .order_by_desc(Expr::col((capacity::Entity, capacity::Column::Updated)))
            .order_by_asc(service_at_centre::Column::Id))
    }

    async fn fetch(
        &self,
        db: &impl ConnectionTrait,
        circle_km: Option<f64>,
        window: Window,
    ) -> Result<Vec<HelpMatchRow>, AppError> {
        let statement = self
            .ranked(circle_km)?
            .offset(window.offset)
            .limit(window.limit)
            .build(db.get_database_backend());
        let (lang, detail, access) = (self.lang, self.detail, &self.access);
        crate::database::row::read_all(db, statement, |row| HelpMatchRow::read(row, lang, detail, access)).await
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settling_circle_settles_its_row() {
        for km in [0.0, 0.3, 0.5, 0.7, 1.0, 1.499, 2.5, 12.25] {
            let circle = access::settling_circle_km(km).max(FirstCircle::MIN_KM);
            assert!(km < access::shown_beyond_km(circle), "at {km} km: {circle}");
        }
    }

    #[test]
    fn the_first_circle_follows_the_pages_served() {
        let circle = FirstCircle(AtomicU64::new(0.223_606_8_f64.to_bits()));
        assert!((circle.radius_km(20) - 1.0).abs() < 1e-6);
        // Dense pages settle near the point: the first circle narrows…
        (0..30).for_each(|_| circle.learn(20, 0.2));
        assert!((circle.radius_km(20) - 0.24).abs() < 0.01, "{}", circle.radius_km(20));
        // …a page four times longer starts twice as wide…
        assert!((circle.radius_km(80) - 0.48).abs() < 0.02);
        // …and sparse pages widen it again, never below its floor.
        (0..30).for_each(|_| circle.learn(20, 3.0));
        assert!(circle.radius_km(20) > 3.0);
        (0..60).for_each(|_| circle.learn(20, 0.0));
        assert!(circle.radius_km(20) >= FirstCircle::MIN_KM);
    }
}
