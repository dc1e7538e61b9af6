//! The change feed, for partners that mirror the registry.
//!
//! Every write records, in its own transaction, which record it changed:
//! one row per record, moved to the end of the feed by each new change, so
//! that the feed lists each changed record once, at the position of its
//! latest change. Positions follow commit order, because writes take turns
//! (see [`super::begin_write`]): no write can commit a lower position after
//! a reader has seen a higher one. A mirror reads the feed from a time,
//! then from the cursor of the last change it applied, and never misses a
//! change.

use chrono::{DateTime, Utc};
use entity::{
    change_feed,
    enums::{ChangeAction, RecordType},
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    prelude::Uuid,
};

use crate::error::AppError;

/// Notes, inside the write's transaction (begun by
/// [`super::begin_write`]), that a record now stands at `version` after
/// `action`.
pub async fn record(
    txn: &impl ConnectionTrait,
    record_type: RecordType,
    id: Uuid,
    version: i32,
    action: ChangeAction,
) -> Result<(), AppError> {
    change_feed::Entity::delete_many()
        .filter(change_feed::Column::RecordType.eq(record_type))
        .filter(change_feed::Column::RecordId.eq(id))
        .exec(txn)
        .await?;
    change_feed::Entity::insert(change_feed::ActiveModel {
        seq: NotSet,
        record_type: Set(record_type),
        record_id: Set(id),
        version: Set(version),
        action: Set(action),
        changed_at: Set(super::now()),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Whose dependents leave public view with it.
#[derive(Clone, Copy, Debug)]
pub enum Parent {
    Centre(Uuid),
    Service(Uuid),
    /// A service at a centre: its capacity.
    Link(Uuid),
}

impl Parent {
    /// SQL: the services at centres (placements) under this parent.
    pub fn placements(self) -> sea_orm::sea_query::SimpleExpr {
        use entity::service_at_centre::Column;
        match self {
            Self::Centre(id) => Column::CentreId.eq(id),
            Self::Service(id) => Column::ServiceId.eq(id),
            Self::Link(id) => Column::Id.eq(id),
        }
    }
}

/// Notes the records that leave (or return to) public view with a parent
/// archived (or revived): the capacities, and the services offered at a
/// centre, of a centre or service; the capacity of a service at a centre.
/// A mirror then drops (or reads again) them as it would the parent.
pub async fn record_dependents(
    txn: &impl ConnectionTrait,
    parent: Parent,
    action: ChangeAction,
) -> Result<(), AppError> {
    use entity::{capacity, service_at_centre};
    let links = parent.placements();
    let capacities: Vec<(Uuid, i32)> = capacity::Entity::find()
        .join(sea_orm::JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .filter(links.clone())
        .select_only()
        .column(capacity::Column::Id)
        .column(capacity::Column::Version)
        .into_tuple()
        .all(txn)
        .await?;
    for (id, version) in capacities {
        record(txn, RecordType::Capacity, id, version, action).await?;
    }
    if matches!(parent, Parent::Link(_)) {
        return Ok(());
    }
    let offered: Vec<(Uuid, i32)> = service_at_centre::Entity::find()
        .filter(links)
        .select_only()
        .column(service_at_centre::Column::Id)
        .column(service_at_centre::Column::Version)
        .into_tuple()
        .all(txn)
        .await?;
    for (id, version) in offered {
        record(txn, RecordType::ServiceAtCentre, id, version, action).await?;
    }
    Ok(())
}

/// Rows for records loaded in bulk (the demo data, generated data sets):
/// created, or archived when they were loaded archived.
pub fn loaded(record_type: RecordType, id: Uuid, version: i32, archived: bool) -> change_feed::ActiveModel {
    change_feed::ActiveModel {
        seq: NotSet,
        record_type: Set(record_type),
        record_id: Set(id),
        version: Set(version),
        action: Set(if archived {
            ChangeAction::Archived
        } else {
            ChangeAction::Created
        }),
        changed_at: Set(super::now()),
    }
}

/// One page of the feed: the changes at or after `since` that come after
/// position `after`, in commit order, and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<change_feed::Model>, bool), AppError> {
    let mut query = change_feed::Entity::find()
        .filter(change_feed::Column::ChangedAt.gte(since))
        .order_by_asc(change_feed::Column::Seq)
        .limit(limit + 1);
    if let Some(after) = after {
        query = query.filter(change_feed::Column::Seq.gt(after));
    }
    let mut rows = query.all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
