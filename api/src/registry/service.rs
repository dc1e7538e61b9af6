//! Services: what is offered (HSDS `service`), a social service or a state
//! cash benefit.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    admin_area, centre, centre_language,
    enums::{ServiceCategory, ServiceStatus, TargetGroup},
    service, service_area, service_at_centre, service_target_group,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
    prelude::Uuid,
    sea_query::{Query, SelectStatement, SimpleExpr},
};

use super::{
    Direction, Listing,
    admin_area::{self as area, AreaScope},
    search, service_at_centre as placement,
    text::Lang,
    validate,
};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceOrderField {
    Name,
    UpdatedAt,
}

#[derive(Clone, Copy, Debug)]
pub struct ServiceOrder {
    pub field: ServiceOrderField,
    pub direction: Direction,
    /// The language whose names `Name` sorts by.
    pub lang: Lang,
}

impl ServiceOrder {
    /// By name, in the request's language.
    pub fn by_name(lang: Lang) -> Self {
        Self {
            field: ServiceOrderField::Name,
            direction: Direction::Asc,
            lang,
        }
    }
}

/// Not archived.
pub fn live() -> SimpleExpr {
    service::Column::ArchivedAt.is_null()
}

/// Live and offered now.
pub fn offered() -> Condition {
    Condition::all()
        .add(live())
        .add(service::Column::Status.eq(ServiceStatus::Active))
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
        .and_where(placement::live())
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
        let mut cond = Condition::all().add(live());
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
    filter: &ServiceFilter,
    order: ServiceOrder,
) -> Result<Listing<service::Entity>, AppError> {
    filter.validate()?;
    let area = area::optional_scope(db, filter.area_code.as_deref()).await?;
    let direction = order.direction.into();
    let sort = match (order.field, order.lang) {
        (ServiceOrderField::Name, Lang::Ru) => service::Column::NameSortRu,
        (ServiceOrderField::Name, Lang::Ky | Lang::En) => service::Column::NameSortKy,
        (ServiceOrderField::UpdatedAt, _) => service::Column::UpdatedAt,
    };
    Ok(Listing::new(
        service::Entity::find()
            .filter(filter.condition(area.as_ref())?)
            .order_by(sort, direction)
            .order_by_asc(service::Column::Id),
    ))
}

/// Services by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, service::Model>, AppError> {
    super::find_by_ids::<service::Entity>(db, service::Column::Id, ids, |s| s.id).await
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
        .filter(live())
        .order_by_asc(service::Column::NameSortKy)
        .order_by_asc(service::Column::Id)
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?;
    Ok(super::group_by(rows))
}

/// A service row with the centre it is offered at.
#[derive(Debug, FromQueryResult)]
struct OfferedService {
    #[sea_orm(nested)]
    service: service::Model,
    offered_at: Uuid,
}

/// The live services offered at each centre, by Kyrgyz name.
pub async fn offered_at(
    db: &impl ConnectionTrait,
    centre_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<service::Model>>, AppError> {
    let mut rows = service::Entity::find()
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def().rev())
        .column_as(service_at_centre::Column::CentreId, "offered_at")
        .filter(service_at_centre::Column::CentreId.is_in(centre_ids.iter().copied()))
        .filter(placement::live())
        .filter(live())
        .into_model::<OfferedService>()
        .all(db)
        .await?;
    // Sorted here rather than in SQL, so that the planner starts from the
    // centres' index instead of walking every service in name order.
    rows.sort_by(|a, b| (&a.service.name_sort_ky, a.service.id).cmp(&(&b.service.name_sort_ky, b.service.id)));
    Ok(super::group_by(
        rows.into_iter().map(|row| (row.offered_at, row.service)),
    ))
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
