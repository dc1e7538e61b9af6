//! Centres: the physical places where help is given (HSDS `location`).

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use entity::{
    centre, centre_language,
    enums::{CentreKind, CentreStatus, GendersServed, TargetGroup},
    service_at_centre, service_target_group,
    values::{LocalizedText, Phone, Phones},
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr},
};
use serde_json::{Value, json};

use super::{
    Detail, Direction, Listing,
    access::{Action, Caller, LocationAccess, Viewer, Visible},
    admin_area::{self, AreaScope},
    capacity,
    centre_lists::{self, CentreLists, Wanted},
    change_feed::Parent,
    events::Events,
    geo::{Near, PublicGrid},
    lifecycle,
    record::{self, Stamp, StampedRow},
    reference::ReferenceCache,
    search,
    text::Lang,
    validate,
};
use crate::{database::row::Row, error::AppError};

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

/// What every list of centres shows, read with the list: the columns of a
/// few bytes each and the name in one language. The other fields come from
/// the whole record, when a request asks for them.
#[derive(Clone, Debug, PartialEq)]
pub struct CentreSummary {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: CentreKind,
    /// The name in `lang` (see [`text::localize`](super::text::localize)).
    pub name: String,
    pub lang: Lang,
    pub admin_area_id: Uuid,
    /// The exact location, unless the summary is [`Visible`] to a caller
    /// who may not see it.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address_confidential: bool,
    /// `None` when the list was read without them ([`Detail::Brief`]).
    pub details: Option<CentreDetails>,
}

/// The small fields of a centre that a list reads only when its request
/// selects one of them: a page of names and kinds leaves out nine columns a
/// row, three of them timestamps that are parsed one by one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CentreDetails {
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub genders: GendersServed,
    pub status: CentreStatus,
    pub stamp: Stamp,
}

impl CentreSummary {
    /// The columns of a summary, in the order [`CentreSummary::read`] reads them.
    pub fn columns(lang: Lang, detail: Detail) -> Vec<SimpleExpr> {
        use centre::Column as C;
        let column = |c: C| -> SimpleExpr { Expr::col((centre::Entity, c)) };
        let mut columns = vec![
            column(C::Id),
            column(C::OrganizationId),
            column(C::Kind),
            super::text::localized_sql(column(C::Name), lang),
            column(C::AdminAreaId),
            column(C::Latitude),
            column(C::Longitude),
            column(C::AddressConfidential),
        ];
        if detail == Detail::Full {
            columns.extend([
                column(C::AgeMin),
                column(C::AgeMax),
                column(C::Genders),
                column(C::Status),
            ]);
            columns.extend(Stamp::columns::<centre::Model>());
        }
        columns
    }

    /// The summary as a caller with `access` may see it: without its
    /// coordinates when they may not see where it is.
    pub(super) fn seen_by(mut self, access: &LocationAccess) -> Visible<Self> {
        if !access.shows_centre(self.id, self.address_confidential) {
            self.latitude = None;
            self.longitude = None;
        }
        Visible::new(self)
    }

    /// A summary from the next columns of `row`, selected by [`CentreSummary::columns`].
    pub(super) fn read(row: &Row<'_>, lang: Lang, detail: Detail) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.next()?,
            organization_id: row.next()?,
            kind: row.next_enum()?,
            name: row.next::<Option<String>>()?.unwrap_or_default(),
            lang,
            admin_area_id: row.next()?,
            latitude: row.next()?,
            longitude: row.next()?,
            address_confidential: row.next()?,
            details: match detail {
                Detail::Brief => None,
                Detail::Full => Some(CentreDetails {
                    age_min: row.next()?,
                    age_max: row.next()?,
                    genders: row.next_enum()?,
                    status: row.next_enum()?,
                    stamp: Stamp::read(row)?,
                }),
            },
        })
    }

    /// The summary of a whole record.
    fn of(model: &centre::Model, lang: Lang) -> Self {
        Self {
            id: model.id,
            organization_id: model.organization_id,
            kind: model.kind,
            name: super::text::localize(&model.name, lang).unwrap_or_default().to_owned(),
            lang,
            admin_area_id: model.admin_area_id,
            latitude: model.latitude,
            longitude: model.longitude,
            address_confidential: model.address_confidential,
            details: Some(CentreDetails::of(model)),
        }
    }
}

impl CentreDetails {
    pub fn of(model: &centre::Model) -> Self {
        Self {
            age_min: model.age_min,
            age_max: model.age_max,
            genders: model.genders,
            status: model.status,
            stamp: model.stamp(),
        }
    }
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
        .and_where(lifecycle::placement_live())
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
        let mut cond = Condition::all().add(lifecycle::centre_live());
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

/// The live centres a list shows, in its order, for one caller: counted,
/// and read a page at a time as that caller may see them.
pub struct CentreList {
    listing: Listing<centre::Entity>,
    access: LocationAccess,
}

/// What a page of centres reads besides their summaries.
#[derive(Clone, Copy, Debug)]
pub struct PageDetail {
    pub lang: Lang,
    /// Whether the summaries carry their details.
    pub detail: Detail,
    /// Which brief lists each centre brings along.
    pub lists: Wanted,
}

impl CentreList {
    /// The number of centres across all pages.
    pub async fn count(&self, db: &impl ConnectionTrait) -> Result<u64, AppError> {
        self.listing.count(db).await
    }

    /// One page of centres, as the caller may see them, each with the
    /// brief lists asked for.
    pub async fn page(
        &self,
        db: &impl ConnectionTrait,
        window: super::Window,
        PageDetail { lang, detail, lists }: PageDetail,
    ) -> Result<Vec<(Visible<CentreSummary>, CentreLists)>, AppError> {
        let columns = CentreSummary::columns(lang, detail);
        let list_columns = centre_lists::columns(db.get_database_backend(), lang, lists);
        let rows = self
            .listing
            .window_with(db, window, columns, list_columns, |row| {
                let summary = CentreSummary::read(row, lang, detail)?;
                let children = centre_lists::read(row, summary.id, lang, lists)?;
                Ok((summary, children))
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(summary, children)| (summary.seen_by(&self.access), children))
            .collect())
    }
}

/// The live centres matching `filter`, in `order`, located as `access` allows.
pub async fn list(
    db: &impl ConnectionTrait,
    reference: &ReferenceCache,
    filter: &CentreFilter,
    order: CentreOrder,
    access: &LocationAccess,
) -> Result<CentreList, AppError> {
    filter.validate()?;
    let area = super::admin_area::optional_scope(reference, db, filter.area_code.as_deref()).await?;
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
    Ok(CentreList {
        listing: Listing::new(query.order_by_asc(centre::Column::Id)),
        access: access.clone(),
    })
}

/// A centre as stored, read for callers who may see different parts of it
/// (the look-ups by id that requests share): outside the registry only its
/// id, whether it is archived and when it changed can be read;
/// [`StoredCentre::seen_by`] gives what a caller may see of the rest.
#[derive(Clone, Debug)]
pub struct StoredCentre(Arc<centre::Model>);

impl StoredCentre {
    pub fn id(&self) -> Uuid {
        self.0.id
    }

    pub fn is_archived(&self) -> bool {
        self.0.archived_at.is_some()
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The centre as a caller with `access` may see it.
    pub fn seen_by(&self, access: &LocationAccess) -> Visible<Arc<centre::Model>> {
        seen(self.0.clone(), access)
    }
}

/// A whole record as a caller with `access` may see it (see `access`): a
/// confidential centre they may not see comes without address,
/// coordinates, phones or e-mail.
pub fn seen(record: Arc<centre::Model>, access: &LocationAccess) -> Visible<Arc<centre::Model>> {
    if access.shows(&record) {
        Visible::new(record)
    } else {
        Visible::new(Arc::new(access.redact((*record).clone())))
    }
}

/// The summary of a record the caller may see, in `lang`.
pub fn summary_of(record: &Visible<Arc<centre::Model>>, lang: Lang) -> Visible<CentreSummary> {
    Visible::new(CentreSummary::of(record, lang))
}

/// The statements of [`by_ids`], built once.
static BY_ID: std::sync::LazyLock<super::LookupStatements> = super::by_id_statements!(centre);

/// Centres by id, as stored (see [`StoredCentre`]).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, StoredCentre>, AppError> {
    let found = super::find_by_ids::<centre::Entity>(db, &BY_ID, ids, |c| c.id).await?;
    Ok(found
        .into_iter()
        .map(|(id, centre)| (id, StoredCentre(Arc::new(centre))))
        .collect())
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
        .filter(lifecycle::centre_live())
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
        .filter(lifecycle::placement_live())
        .filter(lifecycle::centre_live())
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

/// The editable fields of a centre.
#[derive(Clone, Debug)]
pub struct CentreFields {
    pub organization_id: Uuid,
    pub kind: CentreKind,
    pub name: LocalizedText,
    pub description: Option<LocalizedText>,
    pub area_code: String,
    pub address: Option<LocalizedText>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address_confidential: bool,
    pub phones: Vec<Phone>,
    pub email: Option<String>,
    pub opening_hours: Option<LocalizedText>,
    pub accessibility: Option<LocalizedText>,
    pub languages: Vec<String>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub genders: GendersServed,
    pub status: CentreStatus,
}

/// A change to some of a centre's fields; `None` leaves a field as it is,
/// `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct CentrePatch {
    pub organization_id: Option<Uuid>,
    pub kind: Option<CentreKind>,
    pub name: Option<LocalizedText>,
    pub description: Option<Option<LocalizedText>>,
    pub area_code: Option<String>,
    pub address: Option<Option<LocalizedText>>,
    /// Latitude and longitude together.
    pub location: Option<Option<(f64, f64)>>,
    pub address_confidential: Option<bool>,
    pub phones: Option<Vec<Phone>>,
    pub email: Option<Option<String>>,
    pub opening_hours: Option<Option<LocalizedText>>,
    pub accessibility: Option<Option<LocalizedText>>,
    pub languages: Option<Vec<String>>,
    pub age_min: Option<Option<i32>>,
    pub age_max: Option<Option<i32>>,
    pub genders: Option<GendersServed>,
    pub status: Option<CentreStatus>,
}

/// A centre with its languages: the whole record an edit works on.
#[derive(Clone, Debug)]
struct Edited {
    centre: centre::Model,
    languages: Vec<String>,
}

impl CentrePatch {
    fn apply(self, e: &mut Edited, area_id: Option<Uuid>) {
        let m = &mut e.centre;
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { m.$field = v; })* };
        }
        set!(
            organization_id,
            kind,
            name,
            description,
            address,
            address_confidential,
            email,
            opening_hours,
            accessibility,
            age_min,
            age_max,
            genders,
            status
        );
        if let Some(v) = self.phones {
            m.phones = Phones(v);
        }
        if let Some(location) = self.location {
            (m.latitude, m.longitude) = (location.map(|l| l.0), location.map(|l| l.1));
        }
        if let Some(id) = area_id {
            m.admin_area_id = id;
        }
        if let Some(languages) = self.languages {
            e.languages = languages;
        }
    }
}

fn validate(e: &Edited) -> Result<(), AppError> {
    let (m, mut problems) = (&e.centre, validate::Problems::default());
    problems.localized("name", &m.name, true, validate::MAX_NAME_CHARS);
    problems.optional_texts([
        ("description", &m.description),
        ("address", &m.address),
        ("openingHours", &m.opening_hours),
        ("accessibility", &m.accessibility),
    ]);
    problems.coordinates(m.latitude, m.longitude);
    problems.ages(m.age_min, m.age_max);
    problems.email("email", m.email.as_deref());
    problems.phones("phones", &m.phones.0);
    problems.languages("languages", &e.languages);
    problems.finish()
}

/// The editable fields, as the API names them (see `audit`).
fn snapshot(e: &Edited) -> Value {
    let m = &e.centre;
    json!({
        "organizationId": m.organization_id,
        "kind": m.kind,
        "name": m.name,
        "description": m.description,
        "areaId": m.admin_area_id,
        "address": m.address,
        "latitude": m.latitude,
        "longitude": m.longitude,
        "addressConfidential": m.address_confidential,
        "phones": m.phones.0,
        "email": m.email,
        "openingHours": m.opening_hours,
        "accessibility": m.accessibility,
        "languages": e.languages,
        "ageMin": m.age_min,
        "ageMax": m.age_max,
        "genders": m.genders,
        "status": m.status,
        "archived": m.archived_at.is_some(),
    })
}

/// The id of a known area, or the problem with `areaCode`.
async fn area_id(db: &impl ConnectionTrait, code: &str) -> Result<Uuid, AppError> {
    let unknown = || {
        AppError::invalid_fields(vec![crate::error::FieldProblem {
            field: "areaCode".into(),
            message: format!("{code:?} is not a known area code"),
        }])
    };
    validate::area_code("areaCode", code).map_err(|_| unknown())?;
    let areas = admin_area::by_codes(db, &[code]).await?;
    areas.first().map(|a| a.id).ok_or_else(unknown)
}

async fn write_languages(db: &impl ConnectionTrait, centre_id: Uuid, languages: &[String]) -> Result<(), AppError> {
    use sea_orm::ActiveValue::Set;
    centre_language::Entity::delete_many()
        .filter(centre_language::Column::CentreId.eq(centre_id))
        .exec(db)
        .await?;
    let mut unique: Vec<&String> = languages.iter().collect();
    unique.sort();
    unique.dedup();
    if !unique.is_empty() {
        centre_language::Entity::insert_many(unique.into_iter().map(|language| centre_language::ActiveModel {
            centre_id: Set(centre_id),
            language: Set(language.clone()),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Creates a centre (registry admins).
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    grid: PublicGrid,
    fields: CentreFields,
) -> Result<Visible<Arc<centre::Model>>, AppError> {
    let actor = viewer.authorize(Action::EditRegistry)?;
    let txn = super::begin_write(db).await?;
    let admin_area_id = area_id(&txn, &fields.area_code).await?;
    super::organization::require_live(&txn, fields.organization_id).await?;
    let mut e = new_edited(Uuid::new_v4(), fields, admin_area_id, super::now());
    validate(&e)?;
    fill_derived(&mut e.centre, grid);
    record::insert(&txn, actor, &e).await?;
    write_languages(&txn, e.centre.id, &e.languages).await?;
    txn.commit().await?;
    Ok(seen(Arc::new(e.centre), &viewer.location_access()))
}

/// Writes the centre `id` as `fields` say, inside an import's
/// transaction: created, changed at its stored version (audited), or
/// found unchanged. An archived one stays archived (CONFLICT).
///
/// `withheld`: the fields come from a public-grade source that leaves a
/// confidential centre's address, coordinates, phones and e-mail out; a
/// stored centre keeps its own, so that re-importing an export never
/// erases where a shelter is. A confidential centre stays confidential
/// whatever the fields say, and keeps its place when they give none.
pub async fn put(
    txn: &DatabaseTransaction,
    actor: &Caller,
    grid: PublicGrid,
    id: Uuid,
    (fields, withheld): (CentreFields, bool),
) -> Result<record::Put, AppError> {
    let now = super::now();
    let admin_area_id = area_id(txn, &fields.area_code).await?;
    super::organization::require_live(txn, fields.organization_id).await?;
    let current = match centre::Entity::find_by_id(id).one(txn).await? {
        Some(found) if found.archived_at.is_some() => return Err(record::archived("centre", id)),
        Some(_) => Some(load_for_edit(txn, id).await?),
        None => None,
    };
    let mut next = new_edited(id, fields, admin_area_id, now);
    if let Some(current) = &current {
        let (c, n) = (&current.centre, &mut next.centre);
        n.take_stamp(c.stamp());
        // Whether a shelter's address is public is an admin's call in
        // GraphQL (`SetConfidentiality`), never a side effect of a file.
        let unlocated = n.address.is_none() && n.latitude.is_none();
        if withheld || (c.address_confidential && unlocated) {
            (n.address, n.latitude, n.longitude) = (c.address.clone(), c.latitude, c.longitude);
            (n.phones, n.email) = (c.phones.clone(), c.email.clone());
        }
        n.address_confidential |= c.address_confidential;
    }
    validate(&next)?;
    fill_derived(&mut next.centre, grid);
    let put = record::put(txn, actor, current.as_ref(), &mut next, now).await?;
    if put != record::Put::Unchanged {
        write_languages(txn, id, &next.languages).await?;
    }
    Ok(put)
}

/// A new centre with `fields` in `admin_area_id` (its derived columns still empty).
fn new_edited(id: Uuid, fields: CentreFields, admin_area_id: Uuid, now: DateTime<Utc>) -> Edited {
    Edited {
        centre: crate::new_record!(
            centre::Model {
                id,
                organization_id: fields.organization_id,
                kind: fields.kind,
                name: fields.name,
                description: fields.description,
                admin_area_id,
                address: fields.address,
                latitude: fields.latitude,
                longitude: fields.longitude,
                public_latitude: None,
                public_longitude: None,
                address_confidential: fields.address_confidential,
                phones: Phones(fields.phones),
                email: fields.email,
                opening_hours: fields.opening_hours,
                accessibility: fields.accessibility,
                age_min: fields.age_min,
                age_max: fields.age_max,
                genders: fields.genders,
                status: fields.status,
            },
            now,
            demo = false
        ),
        languages: fields.languages,
    }
}

record::versioned!(Edited, "centre", snapshot snapshot, load load_for_edit, row centre::Model = self.centre);

/// The live centre with this id and its languages, for an edit.
async fn load_for_edit(db: &impl ConnectionTrait, id: Uuid) -> Result<Edited, AppError> {
    let centre = centre::Entity::find_by_id(id)
        .filter(lifecycle::centre_live())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no centre with id {id}")))?;
    let languages = languages_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(Edited { centre, languages })
}

/// Changes a centre at `expected_version`: its managers and admins; moving
/// it to another organization, marking its address confidential or public,
/// or archiving it, admins only. Archiving ends the holds on its places
/// (see [`super::hold::cancel_under`]).
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    grid: PublicGrid,
    id: Uuid,
    expected_version: i32,
    patch: CentrePatch,
    archive: bool,
) -> Result<Visible<Arc<centre::Model>>, AppError> {
    let mut actor = viewer.authorize(Action::EditCentre(id))?;
    let txn = super::begin_write(db).await?;
    let current = load_for_edit(&txn, id).await?;
    if archive
        || patch
            .organization_id
            .is_some_and(|o| o != current.centre.organization_id)
    {
        actor = viewer.authorize(Action::EditRegistry)?;
    }
    // A manager's slip here would publish where a shelter is: whether an
    // address is confidential is the admins' call. A manager may still
    // correct a confidential address, which stays confidential.
    if patch
        .address_confidential
        .is_some_and(|c| c != current.centre.address_confidential)
    {
        actor = viewer.authorize(Action::SetConfidentiality)?;
    }
    record::expect_version(&current, expected_version)?;
    let area = match &patch.area_code {
        Some(code) => Some(area_id(&txn, code).await?),
        None => None,
    };
    if let Some(organization) = patch.organization_id {
        super::organization::require_live(&txn, organization).await?;
    }
    let languages_changed = patch.languages.is_some();
    let mut next = current.clone();
    patch.apply(&mut next, area);
    validate(&next)?;
    fill_derived(&mut next.centre, grid);
    record::save(
        &txn,
        actor,
        (&current, &mut next),
        record::edit_action(archive),
        super::now(),
    )
    .await?;
    if languages_changed {
        write_languages(&txn, id, &next.languages).await?;
    }
    let mut outbox = events.outbox();
    if archive {
        super::hold::end_dependents(&txn, &mut outbox, Parent::Centre(id), actor).await?;
    }
    txn.commit().await?;
    outbox.committed();
    Ok(seen(Arc::new(next.centre), &viewer.location_access()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::access::{Caller, OWN_ISSUER, Role};

    fn viewer(role: Role, centres: Vec<Uuid>) -> Viewer {
        Viewer::authenticated(Caller {
            issuer: OWN_ISSUER.into(),
            subject: "someone".into(),
            role,
            centres,
        })
    }

    /// Whether each locating field of a centre is there, as `access` sees it
    /// through every way the registry hands a centre out.
    fn located(stored: &StoredCentre, access: &LocationAccess) -> [bool; 2] {
        let record = stored.seen_by(access);
        let summary = summary_of(&record, Lang::Ky);
        let listed = CentreSummary::of(&stored.0, Lang::Ky).seen_by(access);
        let whole = record.address.is_some()
            && record.latitude.is_some()
            && record.public_latitude.is_some()
            && !record.phones.0.is_empty()
            && record.email == stored.0.email;
        let hidden = record.address.is_none()
            && record.latitude.is_none()
            && record.longitude.is_none()
            && record.public_latitude.is_none()
            && record.public_longitude.is_none()
            && record.phones.0.is_empty()
            && record.email.is_none();
        assert!(whole || hidden, "half a location: {record:?}");
        assert_eq!(summary.latitude.is_some(), whole);
        assert_eq!(listed.latitude.is_some() && listed.longitude.is_some(), whole);
        [whole, record.address_confidential]
    }

    #[test]
    fn each_role_sees_a_shelter_as_the_rule_says() {
        let shelter = StoredCentre(Arc::new(crate::seed::demo::sample_centre(true)));
        let own = shelter.id();
        let cases = [
            ("anonymous", Viewer::anonymous(), false),
            ("partner", viewer(Role::Partner, vec![]), true),
            ("its manager", viewer(Role::CentreManager, vec![own]), true),
            (
                "another centre's manager",
                viewer(Role::CentreManager, vec![Uuid::new_v4()]),
                false,
            ),
            ("admin", viewer(Role::Admin, vec![]), true),
        ];
        for (who, viewer, sees) in cases {
            assert_eq!(located(&shelter, &viewer.location_access()), [sees, true], "{who}");
        }
        let open = StoredCentre(Arc::new(crate::seed::demo::sample_centre(false)));
        let anonymous = Viewer::anonymous().location_access();
        assert_eq!(located(&open, &anonymous), [true, false], "an open centre");
    }
}
