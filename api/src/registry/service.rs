//! Services: what is offered (HSDS `service`), a social service or a state
//! cash benefit.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    admin_area, centre, centre_language,
    enums::{BenefitBasis, BenefitPeriod, ServiceCategory, ServiceStatus, TargetGroup},
    service, service_area, service_at_centre, service_target_group,
    values::LocalizedText,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr},
};
use serde_json::{Value, json};

use super::{
    Detail, Listing, NamedOrder,
    access::{Action, Caller, Viewer},
    admin_area::{self as area, AreaScope},
    change_feed::Parent,
    events::Events,
    lifecycle,
    record::{self, Stamp, StampedRow},
    reference::ReferenceCache,
    search,
    text::Lang,
    validate,
};
use crate::{database::row::Row, error::AppError};

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
    /// delivered at a centre inside it (a region includes its districts).
    pub area_code: Option<String>,
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

/// Fills the columns derived from the record's own fields (search text,
/// name sort keys); every write path calls it.
pub fn fill_derived(m: &mut service::Model) {
    m.search_text = search::search_text([Some(&m.name), Some(&m.description), m.eligibility.as_ref()]);
    m.name_sort_ky = search::sort_key(&m.name, Lang::Ky);
    m.name_sort_ru = search::sort_key(&m.name, Lang::Ru);
}

/// Ids of services delivered (not archived) at centres matching `centres`.
fn delivered_at(centres: SelectStatement) -> SelectStatement {
    Query::select()
        .column(service_at_centre::Column::ServiceId)
        .from(service_at_centre::Entity)
        .and_where(lifecycle::placement_live())
        .and_where(service_at_centre::Column::CentreId.in_subquery(centres))
        .to_owned()
}

/// Ids of the services whose service area overlaps `area`.
pub fn covering(area: &AreaScope) -> SelectStatement {
    Query::select()
        .column(service_area::Column::ServiceId)
        .from(service_area::Entity)
        .and_where(service_area::Column::AdminAreaId.in_subquery(area.overlapping_ids()))
        .to_owned()
}

impl ServiceFilter {
    pub fn validate(&self) -> Result<(), AppError> {
        validate::child_age("childAge", self.child_age)?;
        validate::language_codes("languages", &self.languages)
    }

    fn condition(&self, area: Option<&AreaScope>) -> Result<Condition, AppError> {
        let mut cond = Condition::all().add(lifecycle::service_live());
        if let Some(pattern) = search::pattern("text", self.text.as_deref())? {
            cond = cond.add(service::Column::SearchText.like(pattern));
        }
        if let Some(area) = area {
            let centres_inside = Query::select()
                .column(centre::Column::Id)
                .from(centre::Entity)
                .and_where(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()))
                .to_owned();
            cond = cond.add(
                Condition::any()
                    .add(service::Column::Id.in_subquery(covering(area)))
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
        Ok(cond)
    }
}

/// The live services matching `filter`, in `order`.
pub async fn list(
    db: &impl ConnectionTrait,
    reference: &ReferenceCache,
    filter: &ServiceFilter,
    order: NamedOrder,
) -> Result<Listing<service::Entity>, AppError> {
    filter.validate()?;
    let area = super::admin_area::optional_scope(reference, db, filter.area_code.as_deref()).await?;
    use service::Column as C;
    let select = service::Entity::find().filter(filter.condition(area.as_ref())?);
    Ok(Listing::new(order.apply(
        select,
        (C::NameSortKy, C::NameSortRu, C::UpdatedAt),
        C::Id,
    )))
}

/// The number of services, live or archived.
pub async fn count_all(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(service::Entity::find().count(db).await?)
}

/// The statements of [`by_ids`], built once.
static BY_ID: std::sync::LazyLock<super::LookupStatements> = super::by_id_statements!(service);

/// Services by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, service::Model>, AppError> {
    super::find_by_ids::<service::Entity>(db, &BY_ID, ids, |s| s.id).await
}

/// Ids of each organization's live services, by Kyrgyz name.
pub async fn ids_by_organization(
    db: &impl ConnectionTrait,
    organization_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, AppError> {
    let rows = service::Entity::find()
        .select_only()
        .columns([service::Column::OrganizationId, service::Column::Id])
        .filter(service::Column::OrganizationId.is_in(organization_ids.iter().copied()))
        .filter(lifecycle::service_live())
        .order_by_asc(service::Column::NameSortKy)
        .order_by_asc(service::Column::Id)
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?;
    Ok(super::group_by(rows))
}

/// What every list of services shows, read with the list: the columns of
/// a few bytes each and the name in one language. The other fields come
/// from the whole record, when a request asks for them.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSummary {
    pub id: Uuid,
    pub category: ServiceCategory,
    /// The name in `lang` (see [`text::localize`](super::text::localize)).
    pub name: String,
    pub lang: Lang,
    /// `None` when the list was read without them ([`Detail::Brief`]).
    pub details: Option<ServiceDetails>,
}

/// The small fields of a service that a list reads only when its request
/// selects one of them: a page of names and categories leaves out ten
/// columns a row, three of them timestamps that are parsed one by one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceDetails {
    pub organization_id: Uuid,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub status: ServiceStatus,
    /// No fees are recorded: the service is free.
    pub free: bool,
    pub stamp: Stamp,
}

impl ServiceSummary {
    /// The columns of a summary, in the order [`ServiceSummary::read`] reads them.
    pub fn columns(lang: Lang, detail: Detail) -> Vec<SimpleExpr> {
        use service::Column as C;
        let column = |c: C| -> SimpleExpr { Expr::col((service::Entity, c)) };
        let mut columns = vec![
            column(C::Id),
            column(C::Category),
            super::text::localized_sql(column(C::Name), lang),
        ];
        if detail == Detail::Full {
            columns.extend([
                column(C::OrganizationId),
                column(C::AgeMin),
                column(C::AgeMax),
                column(C::Status),
                column(C::Fees).is_null(),
            ]);
            columns.extend(Stamp::columns::<service::Model>());
        }
        columns
    }

    /// A summary from the next columns of `row`, selected by [`ServiceSummary::columns`].
    pub fn read(row: &Row<'_>, lang: Lang, detail: Detail) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.next()?,
            category: row.next_enum()?,
            name: row.next::<Option<String>>()?.unwrap_or_default(),
            lang,
            details: match detail {
                Detail::Brief => None,
                Detail::Full => Some(ServiceDetails {
                    organization_id: row.next()?,
                    age_min: row.next()?,
                    age_max: row.next()?,
                    status: row.next_enum()?,
                    free: row.next()?,
                    stamp: Stamp::read(row)?,
                }),
            },
        })
    }

    /// The summary of a whole record.
    pub fn of(model: &service::Model, lang: Lang) -> Self {
        Self {
            id: model.id,
            category: model.category,
            name: super::text::localize(&model.name, lang).unwrap_or_default().to_owned(),
            lang,
            details: Some(ServiceDetails::of(model)),
        }
    }
}

impl ServiceDetails {
    pub fn of(model: &service::Model) -> Self {
        Self {
            organization_id: model.organization_id,
            age_min: model.age_min,
            age_max: model.age_max,
            status: model.status,
            free: model.fees.is_none(),
            stamp: model.stamp(),
        }
    }
}

/// The live services offered at each centre, by Kyrgyz name, summarised
/// in `lang`.
pub async fn offered_at(
    db: &impl ConnectionTrait,
    centre_ids: &[Uuid],
    lang: Lang,
    detail: Detail,
) -> Result<HashMap<Uuid, Vec<ServiceSummary>>, AppError> {
    let mut query = service::Entity::find()
        .select_only()
        .column(service_at_centre::Column::CentreId);
    for column in ServiceSummary::columns(lang, detail) {
        query = query.expr(column);
    }
    let query = query
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def().rev())
        .filter(service_at_centre::Column::CentreId.is_in(centre_ids.iter().copied()))
        .filter(lifecycle::placement_live())
        .filter(lifecycle::service_live())
        // By centre first, so that the planner starts from the centres'
        // index instead of walking every service in name order.
        .order_by_asc(service_at_centre::Column::CentreId)
        .order_by_asc(service::Column::NameSortKy)
        .order_by_asc(service::Column::Id);
    let rows = crate::database::row::read_all(db, query.build(db.get_database_backend()), |row| {
        Ok((row.next::<Uuid>()?, ServiceSummary::read(row, lang, detail)?))
    })
    .await?;
    Ok(super::group_by(rows))
}

/// The groups of children each service is for.
pub async fn target_groups_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<TargetGroup>>, AppError> {
    let rows = service_target_group::Entity::find()
        .filter(service_target_group::Column::ServiceId.is_in(ids.iter().copied()))
        .order_by_asc(service_target_group::Column::TargetGroup)
        .all(db)
        .await?;
    Ok(super::group_by(
        rows.into_iter().map(|row| (row.service_id, row.target_group)),
    ))
}

/// The areas each service covers, by code.
pub async fn areas_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<admin_area::Model>>, AppError> {
    let rows = service_area::Entity::find()
        .filter(service_area::Column::ServiceId.is_in(ids.iter().copied()))
        .join(JoinType::InnerJoin, service_area::Relation::AdminArea.def())
        .order_by_asc(admin_area::Column::Code)
        .select_also(admin_area::Entity)
        .all(db)
        .await?;
    Ok(super::group_by(
        rows.into_iter()
            .filter_map(|(link, area)| area.map(|a| (link.service_id, a))),
    ))
}

/// The terms of a state cash benefit.
#[derive(Clone, Debug, PartialEq)]
pub struct BenefitTerms {
    /// Whole som (KGS).
    pub amount: i64,
    pub period: BenefitPeriod,
    pub basis: BenefitBasis,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub legal_basis: Option<LocalizedText>,
}

/// The editable fields of a service.
#[derive(Clone, Debug)]
pub struct ServiceFields {
    pub organization_id: Uuid,
    pub category: ServiceCategory,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub eligibility: Option<LocalizedText>,
    pub application_process: Option<LocalizedText>,
    pub required_documents: Option<LocalizedText>,
    pub fees: Option<LocalizedText>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub benefit: Option<BenefitTerms>,
    pub target_groups: Vec<TargetGroup>,
    pub area_codes: Vec<String>,
    pub status: ServiceStatus,
}

/// A change to some of a service's fields; `None` leaves a field as it is,
/// `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct ServicePatch {
    pub organization_id: Option<Uuid>,
    pub category: Option<ServiceCategory>,
    pub name: Option<LocalizedText>,
    pub description: Option<LocalizedText>,
    pub eligibility: Option<Option<LocalizedText>>,
    pub application_process: Option<Option<LocalizedText>>,
    pub required_documents: Option<Option<LocalizedText>>,
    pub fees: Option<Option<LocalizedText>>,
    pub age_min: Option<Option<i32>>,
    pub age_max: Option<Option<i32>>,
    pub benefit: Option<Option<BenefitTerms>>,
    pub target_groups: Option<Vec<TargetGroup>>,
    pub area_codes: Option<Vec<String>>,
    pub status: Option<ServiceStatus>,
}

/// A service with its target groups and the codes of its areas: the whole
/// record an edit works on.
#[derive(Clone, Debug)]
struct Edited {
    service: service::Model,
    target_groups: Vec<TargetGroup>,
    area_codes: Vec<String>,
}

fn benefit_of(m: &service::Model) -> Option<BenefitTerms> {
    Some(BenefitTerms {
        amount: m.benefit_amount?,
        period: m.benefit_period?,
        basis: m.benefit_basis?,
        valid_from: m.benefit_valid_from,
        valid_to: m.benefit_valid_to,
        legal_basis: m.benefit_legal_basis.clone(),
    })
}

fn set_benefit(m: &mut service::Model, terms: Option<BenefitTerms>) {
    m.benefit_amount = terms.as_ref().map(|t| t.amount);
    m.benefit_currency = terms.as_ref().map(|_| "KGS".to_owned());
    m.benefit_period = terms.as_ref().map(|t| t.period);
    m.benefit_basis = terms.as_ref().map(|t| t.basis);
    m.benefit_valid_from = terms.as_ref().and_then(|t| t.valid_from);
    m.benefit_valid_to = terms.as_ref().and_then(|t| t.valid_to);
    m.benefit_legal_basis = terms.and_then(|t| t.legal_basis);
}

impl ServicePatch {
    fn apply(self, e: &mut Edited) {
        let m = &mut e.service;
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = self.$field { m.$field = v; })* };
        }
        set!(
            organization_id,
            category,
            name,
            description,
            eligibility,
            application_process,
            required_documents,
            fees,
            age_min,
            age_max,
            status
        );
        if let Some(terms) = self.benefit {
            set_benefit(m, terms);
        }
        if let Some(groups) = self.target_groups {
            e.target_groups = groups;
        }
        if let Some(codes) = self.area_codes {
            e.area_codes = codes;
        }
    }
}

fn validate(e: &Edited) -> Result<(), AppError> {
    let (m, mut problems) = (&e.service, validate::Problems::default());
    problems.localized("name", &m.name, true, validate::MAX_NAME_CHARS);
    problems.localized("description", &m.description, true, validate::MAX_TEXT_CHARS);
    problems.optional_texts([
        ("eligibility", &m.eligibility),
        ("applicationProcess", &m.application_process),
        ("requiredDocuments", &m.required_documents),
        ("fees", &m.fees),
    ]);
    problems.ages(m.age_min, m.age_max);
    match (benefit_of(m), m.category == ServiceCategory::CashBenefit) {
        (None, true) => problems.add("benefit", "is required for a CASH_BENEFIT"),
        (Some(_), false) => problems.add("benefit", "goes with the CASH_BENEFIT category only"),
        (Some(terms), true) => {
            if !(1..=10_000_000).contains(&terms.amount) {
                problems.add("benefit.amount", "must be between 1 and 10,000,000 som");
            }
            if let (Some(from), Some(to)) = (terms.valid_from, terms.valid_to)
                && from > to
            {
                problems.add("benefit.validTo", "must not be before validFrom");
            }
            if let Some(basis) = &terms.legal_basis {
                problems.localized("benefit.legalBasis", basis, false, validate::MAX_TEXT_CHARS);
            }
        }
        (None, false) => {}
    }
    problems.finish()
}

/// The editable fields, as the API names them (see `audit`).
fn snapshot(e: &Edited) -> Value {
    let m = &e.service;
    let mut groups = e.target_groups.clone();
    groups.sort();
    let mut areas = e.area_codes.clone();
    areas.sort();
    json!({
        "organizationId": m.organization_id,
        "category": m.category,
        "name": m.name,
        "description": m.description,
        "eligibility": m.eligibility,
        "applicationProcess": m.application_process,
        "requiredDocuments": m.required_documents,
        "fees": m.fees,
        "ageMin": m.age_min,
        "ageMax": m.age_max,
        "benefit": benefit_of(m).map(|t| json!({
            "amount": t.amount, "period": t.period, "basis": t.basis,
            "validFrom": t.valid_from, "validTo": t.valid_to, "legalBasis": t.legal_basis,
        })),
        "targetGroups": groups,
        "areaCodes": areas,
        "status": m.status,
        "archived": m.archived_at.is_some(),
    })
}

/// The ids of the areas with these codes, or the problem with `areaCodes`.
async fn area_ids(db: &impl ConnectionTrait, codes: &[String]) -> Result<Vec<Uuid>, AppError> {
    let mut problems = validate::Problems::default();
    let wanted: Vec<&str> = codes.iter().map(String::as_str).collect();
    let found = area::by_codes(db, &wanted).await?;
    for (i, code) in codes.iter().enumerate() {
        if !found.iter().any(|a| &a.code == code) {
            problems.add(format!("areaCodes.{i}"), format!("{code:?} is not a known area code"));
        }
    }
    problems.finish()?;
    Ok(found.into_iter().map(|a| a.id).collect())
}

/// Replaces a service's target groups and areas.
async fn write_links(
    db: &impl ConnectionTrait,
    id: Uuid,
    groups: &[TargetGroup],
    area_ids: &[Uuid],
) -> Result<(), AppError> {
    use sea_orm::ActiveValue::Set;
    service_target_group::Entity::delete_many()
        .filter(service_target_group::Column::ServiceId.eq(id))
        .exec(db)
        .await?;
    service_area::Entity::delete_many()
        .filter(service_area::Column::ServiceId.eq(id))
        .exec(db)
        .await?;
    let mut groups = groups.to_vec();
    groups.sort();
    groups.dedup();
    if !groups.is_empty() {
        service_target_group::Entity::insert_many(groups.into_iter().map(|target_group| {
            service_target_group::ActiveModel {
                service_id: Set(id),
                target_group: Set(target_group),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    let mut areas = area_ids.to_vec();
    areas.sort();
    areas.dedup();
    if !areas.is_empty() {
        service_area::Entity::insert_many(areas.into_iter().map(|admin_area_id| service_area::ActiveModel {
            service_id: Set(id),
            admin_area_id: Set(admin_area_id),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Creates a service or benefit (registry admins).
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fields: ServiceFields,
) -> Result<service::Model, AppError> {
    let actor = viewer.authorize(Action::EditRegistry)?;
    let txn = super::begin_write(db).await?;
    super::organization::require_live(&txn, fields.organization_id).await?;
    let area_ids = area_ids(&txn, &fields.area_codes).await?;
    let mut e = new_edited(Uuid::new_v4(), fields, super::now());
    validate(&e)?;
    fill_derived(&mut e.service);
    record::insert(&txn, actor, &e).await?;
    write_links(&txn, e.service.id, &e.target_groups, &area_ids).await?;
    txn.commit().await?;
    Ok(e.service)
}

/// Writes the service `id` as `fields` say, inside an import's
/// transaction: created, changed at its stored version (audited), or
/// found unchanged. An archived one stays archived (CONFLICT).
pub async fn put(
    txn: &DatabaseTransaction,
    actor: &Caller,
    id: Uuid,
    fields: ServiceFields,
) -> Result<record::Put, AppError> {
    let now = super::now();
    super::organization::require_live(txn, fields.organization_id).await?;
    let area_ids = area_ids(txn, &fields.area_codes).await?;
    let current = match service::Entity::find_by_id(id).one(txn).await? {
        Some(found) if found.archived_at.is_some() => return Err(record::archived("service", id)),
        Some(_) => Some(load_for_edit(txn, id).await?),
        None => None,
    };
    let mut next = new_edited(id, fields, now);
    if let Some(current) = &current {
        next.service.take_stamp(current.service.stamp());
    }
    validate(&next)?;
    fill_derived(&mut next.service);
    let put = record::put(txn, actor, current.as_ref(), &mut next, now).await?;
    if put != record::Put::Unchanged {
        write_links(txn, id, &next.target_groups, &area_ids).await?;
    }
    Ok(put)
}

/// A new service with `fields` (its derived columns still empty).
fn new_edited(id: Uuid, fields: ServiceFields, now: DateTime<Utc>) -> Edited {
    let mut m = crate::new_record!(
        service::Model {
            id,
            organization_id: fields.organization_id,
            category: fields.category,
            name: fields.name,
            description: fields.description,
            eligibility: fields.eligibility,
            application_process: fields.application_process,
            required_documents: fields.required_documents,
            fees: fields.fees,
            age_min: fields.age_min,
            age_max: fields.age_max,
            benefit_amount: None,
            benefit_currency: None,
            benefit_period: None,
            benefit_basis: None,
            benefit_valid_from: None,
            benefit_valid_to: None,
            benefit_legal_basis: None,
            status: fields.status,
        },
        now,
        demo = false
    );
    set_benefit(&mut m, fields.benefit);
    Edited {
        service: m,
        target_groups: fields.target_groups,
        area_codes: fields.area_codes,
    }
}

record::versioned!(Edited, "service", snapshot snapshot, load load_for_edit, row service::Model = self.service);

/// The live service with this id and its links, for an edit.
async fn load_for_edit(db: &impl ConnectionTrait, id: Uuid) -> Result<Edited, AppError> {
    let service = service::Entity::find_by_id(id)
        .filter(lifecycle::service_live())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no service with id {id}")))?;
    let target_groups = target_groups_of(db, &[id]).await?.remove(&id).unwrap_or_default();
    let area_codes = areas_of(db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.code)
        .collect();
    Ok(Edited {
        service,
        target_groups,
        area_codes,
    })
}

/// Changes (or archives) a service at `expected_version` (registry admins).
/// Archiving ends the holds on its places (see
/// [`super::hold::cancel_under`]).
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    id: Uuid,
    expected_version: i32,
    patch: ServicePatch,
    archive: bool,
) -> Result<service::Model, AppError> {
    let actor = viewer.authorize(Action::EditRegistry)?;
    let txn = super::begin_write(db).await?;
    let current = load_for_edit(&txn, id).await?;
    record::expect_version(&current, expected_version)?;
    if let Some(organization) = patch.organization_id {
        super::organization::require_live(&txn, organization).await?;
    }
    let links_changed = patch.target_groups.is_some() || patch.area_codes.is_some();
    let mut next = current.clone();
    patch.apply(&mut next);
    let area_ids = area_ids(&txn, &next.area_codes).await?;
    validate(&next)?;
    fill_derived(&mut next.service);
    record::save(
        &txn,
        actor,
        (&current, &mut next),
        record::edit_action(archive),
        super::now(),
    )
    .await?;
    if links_changed {
        write_links(&txn, id, &next.target_groups, &area_ids).await?;
    }
    let mut outbox = events.outbox();
    if archive {
        super::hold::end_dependents(&txn, &mut outbox, Parent::Service(id), actor).await?;
    }
    txn.commit().await?;
    outbox.committed();
    Ok(next.service)
}
