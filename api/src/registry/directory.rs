//! The registry read as a directory: live services with everything around
//! them (their organization, the centres they are offered at, the places
//! counted there), a page at a time, for the outlets that publish the
//! registry whole (HSDS export and the `/hsds` API).
//!
//! Centres leave here already seen by the caller ([`Visible`]): a
//! confidential centre's address, coordinates, phones and e-mail never
//! reach an outlet for a caller who may not see them.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use entity::{admin_area, capacity, centre, enums::TargetGroup, organization, service, service_at_centre};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, prelude::Uuid};

use super::{
    Window,
    access::{LocationAccess, Visible},
    lifecycle,
};
use crate::error::AppError;

/// Live services and what an outlet shows with them.
#[derive(Default)]
pub struct Directory {
    pub services: Vec<service::Model>,
    pub organizations: HashMap<Uuid, organization::Model>,
    pub target_groups: HashMap<Uuid, Vec<TargetGroup>>,
    /// The areas each service covers.
    pub areas: HashMap<Uuid, Vec<admin_area::Model>>,
    /// The live centres each service is offered at, by service.
    pub placements: HashMap<Uuid, Vec<service_at_centre::Model>>,
    pub centres: HashMap<Uuid, Visible<Arc<centre::Model>>>,
    /// The languages spoken at each centre.
    pub languages: HashMap<Uuid, Vec<String>>,
    /// The places counted for each service at a centre, by its id.
    pub capacities: HashMap<Uuid, capacity::Model>,
}

/// Live services after `after` in id order: the stable walk of an export.
pub async fn services_after(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<service::Model>, AppError> {
    let mut query = service::Entity::find().filter(lifecycle::service_live());
    if let Some(after) = after {
        query = query.filter(service::Column::Id.gt(after));
    }
    Ok(query.order_by_asc(service::Column::Id).limit(limit).all(db).await?)
}

/// The number of live services (what an export walks).
pub async fn count_services(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(service::Entity::find()
        .filter(lifecycle::service_live())
        .count(db)
        .await?)
}

/// `services` with everything an outlet shows around them, seen by `access`.
pub async fn around(
    db: &impl ConnectionTrait,
    access: &LocationAccess,
    services: Vec<service::Model>,
) -> Result<Directory, AppError> {
    if services.is_empty() {
        return Ok(Directory::default());
    }
    let ids: Vec<Uuid> = services.iter().map(|s| s.id).collect();
    let placements = live_placements(db, &ids).await?;
    let centre_ids: Vec<Uuid> = unique(placements.iter().map(|p| p.centre_id));
    let centres = centres_seen(db, access, &centre_ids).await?;
    let placements: Vec<service_at_centre::Model> = placements
        .into_iter()
        .filter(|p| centres.contains_key(&p.centre_id))
        .collect();
    let capacities = capacities_of(db, &unique(placements.iter().map(|p| p.id))).await?;
    let organization_ids = unique(
        services
            .iter()
            .map(|s| s.organization_id)
            .chain(centres.values().map(|c| c.organization_id)),
    );
    Ok(Directory {
        target_groups: super::service::target_groups_of(db, &ids).await?,
        areas: super::service::areas_of(db, &ids).await?,
        languages: super::centre::languages_of(db, &centre_ids).await?,
        organizations: super::organization::by_ids(db, &organization_ids).await?,
        placements: super::group_by(placements.into_iter().map(|p| (p.service_id, p))),
        centres,
        capacities,
        services,
    })
}

/// Live centres after `after` in id order, seen by `access`, with their
/// languages: the centres an export lists beside the services.
pub async fn centres_after(
    db: &impl ConnectionTrait,
    access: &LocationAccess,
    after: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<Visible<Arc<centre::Model>>>, HashMap<Uuid, Vec<String>>), AppError> {
    let mut query = centre::Entity::find().filter(lifecycle::centre_live());
    if let Some(after) = after {
        query = query.filter(centre::Column::Id.gt(after));
    }
    let rows = query.order_by_asc(centre::Column::Id).limit(limit).all(db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let languages = super::centre::languages_of(db, &ids).await?;
    let seen = rows
        .into_iter()
        .map(|c| super::centre::seen(Arc::new(c), access))
        .collect();
    Ok((seen, languages))
}

/// Live organizations after `after` in id order.
pub async fn organizations_after(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<organization::Model>, AppError> {
    let mut query = organization::Entity::find().filter(lifecycle::organization_live());
    if let Some(after) = after {
        query = query.filter(organization::Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(organization::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One window of the live services offered at live centres, in id order,
/// with the number of them all.
pub async fn placements(
    db: &impl ConnectionTrait,
    organization_id: Option<Uuid>,
    window: Window,
) -> Result<(Vec<service_at_centre::Model>, u64), AppError> {
    use sea_orm::{JoinType, PaginatorTrait, RelationTrait};
    let mut query = service_at_centre::Entity::find()
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
        .filter(lifecycle::placement_live())
        .filter(lifecycle::service_live())
        .filter(lifecycle::centre_live());
    if let Some(id) = organization_id {
        query = query.filter(service::Column::OrganizationId.eq(id));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(service_at_centre::Column::Id)
        .offset(window.offset)
        .limit(window.limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The live service at a centre with this id, if its service and centre
/// are live too.
pub async fn placement(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<service_at_centre::Model>, AppError> {
    use sea_orm::{JoinType, RelationTrait};
    Ok(service_at_centre::Entity::find_by_id(id)
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
        .filter(lifecycle::placement_live())
        .filter(lifecycle::service_live())
        .filter(lifecycle::centre_live())
        .one(db)
        .await?)
}

/// Live services by id (archived ones are not in a directory).
pub async fn live_services(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<service::Model>, AppError> {
    Ok(service::Entity::find()
        .filter(service::Column::Id.is_in(ids.iter().copied()))
        .filter(lifecycle::service_live())
        .order_by_asc(service::Column::Id)
        .all(db)
        .await?)
}

/// Every area, for the area terms and the addresses.
pub async fn areas(db: &impl ConnectionTrait) -> Result<Vec<admin_area::Model>, AppError> {
    super::admin_area::all(db).await
}

async fn live_placements(
    db: &impl ConnectionTrait,
    service_ids: &[Uuid],
) -> Result<Vec<service_at_centre::Model>, AppError> {
    if service_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(service_at_centre::Entity::find()
        .filter(service_at_centre::Column::ServiceId.is_in(service_ids.iter().copied()))
        .filter(lifecycle::placement_live())
        .order_by_asc(service_at_centre::Column::Id)
        .all(db)
        .await?)
}

/// The live centres among `ids`, seen by `access`, with their languages.
pub async fn centres(
    db: &impl ConnectionTrait,
    access: &LocationAccess,
    ids: &[Uuid],
) -> Result<(HashMap<Uuid, Visible<Arc<centre::Model>>>, HashMap<Uuid, Vec<String>>), AppError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok((
        centres_seen(db, access, ids).await?,
        super::centre::languages_of(db, ids).await?,
    ))
}

/// The live centres among `ids`, seen by `access`.
async fn centres_seen(
    db: &impl ConnectionTrait,
    access: &LocationAccess,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Visible<Arc<centre::Model>>>, AppError> {
    let stored = super::centre::by_ids(db, ids).await?;
    Ok(stored
        .into_iter()
        .filter(|(_, c)| !c.is_archived())
        .map(|(id, c)| (id, c.seen_by(access)))
        .collect())
}

async fn capacities_of(
    db: &impl ConnectionTrait,
    link_ids: &[Uuid],
) -> Result<HashMap<Uuid, capacity::Model>, AppError> {
    if link_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = capacity::Entity::find()
        .filter(capacity::Column::ServiceAtCentreId.is_in(link_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| (c.service_at_centre_id, c)).collect())
}

fn unique(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}
