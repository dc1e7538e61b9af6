//! Centres: the physical places where help is given (HSDS `location`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    centre, centre_language,
    enums::{CentreKind, CentreStatus, TargetGroup},
    service_at_centre, service_target_group,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr},
};

use super::{
    Direction, Listing,
    access::LocationAccess,
    admin_area::{self, AreaScope},
    capacity,
    geo::{Near, PublicGrid},
    search, service_at_centre as placement,
    text::Lang,
    validate,
};
use crate::error::AppError;

/// Conditions on centres, combined with AND. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct CentreFilter {
    pub text: Option<String>,
    /// Centres in this area (a region includes its districts).
    pub area_code: Option<String>,
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

impl CentreOrder {
    /// The order when the caller names none: nearest first when the filter
    /// has a point, else by name.
    pub fn default_for(filter: &CentreFilter, lang: Lang) -> Self {
        let field = if filter.near.is_some() {
            CentreOrderField::Distance
        } else {
            CentreOrderField::Name
        };
        Self {
            field,
            direction: Direction::Asc,
            lang,
        }
    }
}

/// Not archived.
pub fn live() -> SimpleExpr {
    centre::Column::ArchivedAt.is_null()
}

/// Live and receiving children now.
pub fn receiving() -> Condition {
    Condition::all()
        .add(live())
        .add(centre::Column::Status.eq(CentreStatus::Active))
}

/// Fills the columns derived from the record's own fields (search text,
/// name sort keys, public location on `grid`); every write path calls it.
pub fn fill_derived(m: &mut centre::Model, grid: PublicGrid) {
    // The address of a confidential shelter must not be searchable: a match
    // would tell an anonymous caller what the address contains.
    let address = if m.address_confidential {
        None
    } else {
        m.address.as_ref()
    };
    m.search_text = search::search_text([Some(&m.name), m.description.as_ref(), address]);
    m.name_sort_ky = search::sort_key(&m.name, Lang::Ky);
    m.name_sort_ru = search::sort_key(&m.name, Lang::Ru);
    let public = |v: Option<f64>| {
        if m.address_confidential {
            v.map(|d| grid.snap(d))
        } else {
            v
        }
    };
    m.public_latitude = public(m.latitude);
    m.public_longitude = public(m.longitude);
}

/// `EXISTS (query AND <link> = centre.id)`: correlated, so that a page
/// ordered by an index stops early instead of materialising every match.
fn centre_has(mut query: SelectStatement, link: SimpleExpr) -> SimpleExpr {
    query.and_where(link.equals((centre::Entity, centre::Column::Id)));
    Expr::exists(query)
}

/// The centre offers a live service for any of `groups`.
fn serves_any_of(groups: &[TargetGroup]) -> SimpleExpr {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(service_at_centre::Entity)
        .inner_join(
            service_target_group::Entity,
            Expr::col((service_target_group::Entity, service_target_group::Column::ServiceId))
                .equals((service_at_centre::Entity, service_at_centre::Column::ServiceId)),
        )
        .and_where(placement::live())
        .and_where(service_target_group::Column::TargetGroup.is_in(groups.iter().copied()))
        .to_owned();
    centre_has(
        query,
        Expr::col((service_at_centre::Entity, service_at_centre::Column::CentreId)),
    )
}

/// Any of `languages` is spoken at the centre.
fn speaks_any_of(languages: &[String]) -> SimpleExpr {
    let query = Query::select()
        .expr(Expr::val(1))
        .from(centre_language::Entity)
        .and_where(centre_language::Column::Language.is_in(languages.iter().cloned()))
        .to_owned();
    centre_has(
        query,
        Expr::col((centre_language::Entity, centre_language::Column::CentreId)),
    )
}

impl CentreFilter {
    pub fn validate(&self) -> Result<(), AppError> {
        validate::child_age("childAge", self.child_age)?;
        validate::language_codes("languages", &self.languages)?;
        if let Some(near) = &self.near {
            near.validate()?;
        }
        Ok(())
    }

    fn condition(&self, area: Option<&AreaScope>, access: &LocationAccess) -> Result<Condition, AppError> {
        let mut cond = Condition::all().add(live());
        if let Some(pattern) = search::pattern("text", self.text.as_deref())? {
            cond = cond.add(centre::Column::SearchText.like(pattern));
        }
        if let Some(area) = area {
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
            Some(true) => cond = cond.add(capacity::centre_has_free_places()),
            Some(false) => cond = cond.add(capacity::centre_has_free_places().not()),
            None => {}
        }
        if let Some(near) = &self.near {
            let (latitude, longitude) = access.coordinates_sql();
            cond = cond.add(match near.within_radius_sql(latitude.clone(), longitude) {
                Some(within) => within,
                None => latitude.is_not_null(),
            });
        }
        Ok(cond)
    }
}

/// Snaps the public location of every confidential centre to `grid`, where
/// it was snapped to another (the grid is a setting): the number changed.
pub async fn apply_public_grid(db: &impl ConnectionTrait, grid: PublicGrid) -> Result<u64, AppError> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let shelters = centre::Entity::find()
        .filter(centre::Column::AddressConfidential.eq(true))
        .filter(centre::Column::Latitude.is_not_null())
        .all(db)
        .await?;
    let mut changed = 0;
    for shelter in shelters {
        let mut snapped = shelter.clone();
        fill_derived(&mut snapped, grid);
        if (snapped.public_latitude, snapped.public_longitude) != (shelter.public_latitude, shelter.public_longitude) {
            let mut active = shelter.into_active_model();
            active.public_latitude = Set(snapped.public_latitude);
            active.public_longitude = Set(snapped.public_longitude);
            active.update(db).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// The live centres matching `filter`, in `order`, located as `access` allows.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &CentreFilter,
    order: CentreOrder,
    access: &LocationAccess,
) -> Result<Listing<centre::Entity>, AppError> {
    filter.validate()?;
    let area = admin_area::optional_scope(db, filter.area_code.as_deref()).await?;
    let query = centre::Entity::find().filter(filter.condition(area.as_ref(), access)?);
    let direction = order.direction.into();
    let query = match order.field {
        CentreOrderField::Name => match order.lang {
            Lang::Ru => query.order_by(centre::Column::NameSortRu, direction),
            Lang::Ky | Lang::En => query.order_by(centre::Column::NameSortKy, direction),
        },
        CentreOrderField::UpdatedAt => query.order_by(centre::Column::UpdatedAt, direction),
        CentreOrderField::AvailablePlaces => query.order_by(capacity::centre_available_places_sql(), direction),
        CentreOrderField::Distance => {
            let near = filter
                .near
                .ok_or_else(|| AppError::bad_input("orderBy DISTANCE needs filter.near"))?;
            query.order_by(access.shown_distance_sql(&near), direction)
        }
    };
    Ok(Listing::new(query.order_by_asc(centre::Column::Id)))
}

/// Ids of the organizations with a live centre inside `area`.
pub fn organizations_with_centre_in(area: &AreaScope) -> SelectStatement {
    Query::select()
        .column(centre::Column::OrganizationId)
        .from(centre::Entity)
        .and_where(live())
        .and_where(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()))
        .to_owned()
}

/// Centres by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, centre::Model>, AppError> {
    super::find_by_ids::<centre::Entity>(db, centre::Column::Id, ids, |c| c.id).await
}

/// The number of centres, live or archived.
pub async fn count_all(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(centre::Entity::find().count(db).await?)
}

/// Ids of up to `limit` centres, in no particular order (for the benchmark's
/// look-ups).
pub async fn some_ids(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Uuid>, AppError> {
    Ok(centre::Entity::find()
        .select_only()
        .column(centre::Column::Id)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// Ids of each organization's live centres, by Kyrgyz name.
pub async fn ids_by_organization(
    db: &impl ConnectionTrait,
    organization_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, AppError> {
    let rows = centre::Entity::find()
        .select_only()
        .columns([centre::Column::OrganizationId, centre::Column::Id])
        .filter(centre::Column::OrganizationId.is_in(organization_ids.iter().copied()))
        .filter(live())
        .order_by_asc(centre::Column::NameSortKy)
        .order_by_asc(centre::Column::Id)
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?;
    Ok(super::group_by(rows))
}

/// Ids of the live centres where each service is delivered, by Kyrgyz name.
/// Ids only: a benefit may be paid at hundreds of offices, and a page of
/// them is chosen before any centre is read.
pub async fn ids_delivering(
    db: &impl ConnectionTrait,
    service_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, AppError> {
    let rows = service_at_centre::Entity::find()
        .select_only()
        .columns([
            service_at_centre::Column::ServiceId,
            service_at_centre::Column::CentreId,
        ])
        .join(
            sea_orm::JoinType::InnerJoin,
            sea_orm::RelationTrait::def(&service_at_centre::Relation::Centre),
        )
        .filter(service_at_centre::Column::ServiceId.is_in(service_ids.iter().copied()))
        .filter(placement::live())
        .filter(live())
        .order_by_asc(centre::Column::NameSortKy)
        .order_by_asc(centre::Column::Id)
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?;
    Ok(super::group_by(rows))
}

/// The languages spoken at each centre (ISO 639-1 codes, sorted).
pub async fn languages_of(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<String>>, AppError> {
    let rows = centre_language::Entity::find()
        .filter(centre_language::Column::CentreId.is_in(ids.iter().copied()))
        .order_by_asc(centre_language::Column::Language)
        .all(db)
        .await?;
    Ok(super::group_by(
        rows.into_iter().map(|row| (row.centre_id, row.language)),
    ))
}
