//! Place holds: places reserved for a child on the way, so that two hotline
//! workers never send two children to one bed.
//!
//! A hold takes its places from the capacity's `available` at once and
//! atomically (it fails with CONFLICT when too few are free). It ends in one
//! of three ways: released (the places are free again), confirmed (the
//! child arrived: they stay taken) or, unconfirmed after its minutes,
//! expired (free again). Every replica sweeps for due holds every second;
//! the sweep changes only holds still `held`, inside a write, so each hold
//! expires exactly once whatever the number of replicas, and a hold that
//! fell due while no server ran expires at the next start.
//!
//! A count (`setCapacity`) states the places free and not held: the
//! manager of a centre sees the holds on it and leaves their places out.

use chrono::TimeDelta;
use entity::{
    capacity,
    enums::{AuditAction, ChangeAction, HoldStatus, RecordType},
    hold,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use serde_json::{Value, json};

use super::{
    Listing,
    access::{Caller, HoldScope, Viewer},
    audit,
    capacity::{self as places, CapacityRecord},
    changes,
    events::{Events, Outbox},
    validate::Problems,
};
use crate::error::{AppError, CurrentState};

/// How long a hold lasts unless asked otherwise.
pub const DEFAULT_MINUTES: i32 = 90;
/// The longest a hold may last.
pub const MAX_MINUTES: i32 = 240;
/// The longest `reference` kept.
const MAX_REFERENCE_CHARS: usize = 200;
/// Who ends the holds that expire.
const SYSTEM: &str = "system";

/// What `holdPlace` asks for.
#[derive(Clone, Debug)]
pub struct HoldRequest {
    pub capacity_id: Uuid,
    pub places: i32,
    pub minutes: i32,
    pub reference: Option<String>,
}

/// A hold with the capacity it holds places of, as it stands after a change.
#[derive(Clone, Debug)]
pub struct Held {
    pub hold: hold::Model,
    pub capacity: CapacityRecord,
}

fn snapshot(m: &hold::Model) -> Value {
    json!({
        "capacityId": m.capacity_id,
        "places": m.places,
        "reference": m.reference,
        "status": m.status,
        "expiresAt": m.expires_at,
        "endedAt": m.ended_at,
    })
}

fn check(request: &HoldRequest) -> Result<Option<String>, AppError> {
    let mut problems = Problems::default();
    if request.places < 1 {
        problems.add("places", "hold at least one place");
    }
    if !(1..=MAX_MINUTES).contains(&request.minutes) {
        problems.add("minutes", format!("a hold lasts 1 to {MAX_MINUTES} minutes"));
    }
    let reference = request.reference.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if let Some(reference) = reference {
        problems.plain("reference", reference, MAX_REFERENCE_CHARS, false);
    }
    problems.finish()?;
    Ok(reference.map(str::to_owned))
}

/// Holds places of a capacity for `minutes`: any authenticated caller.
pub async fn hold_places(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    request: HoldRequest,
) -> Result<Held, AppError> {
    let holder = viewer.holder()?;
    let reference = check(&request)?;
    let txn = super::begin_write(db).await?;
    let record = places::load_for_edit(&txn, request.capacity_id).await?;
    if places::changed(&txn, &record).await?.archived {
        return Err(AppError::not_found(format!(
            "no capacity with id {}",
            request.capacity_id
        )));
    }
    if !take_places(&txn, request.capacity_id, request.places).await? {
        let free = record.capacity.available;
        return Err(AppError::conflict(
            format!("only {free} places are free here; {} cannot be held", request.places),
            Some(CurrentState {
                version: record.capacity.version,
                values: places::snapshot(&record.capacity),
            }),
        ));
    }
    let now = super::now();
    let hold = hold::Model {
        id: Uuid::new_v4(),
        capacity_id: request.capacity_id,
        places: request.places,
        reference,
        status: HoldStatus::Held,
        held_by: holder.subject.clone(),
        holder_role: holder.role.as_str().to_owned(),
        expires_at: now + TimeDelta::minutes(i64::from(request.minutes)),
        ended_at: None,
        ended_by: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    hold::Entity::insert(hold::ActiveModel::from(hold.clone()))
        .exec_without_returning(&txn)
        .await?;
    let entry = (AuditAction::Hold, &Value::Null, &hold);
    finish(txn, events, holder, entry, request.capacity_id).await
}

/// Lowers `available` by `places` if that many are free: one statement, so
/// that nothing can come between the check and the change.
async fn take_places(txn: &DatabaseTransaction, capacity_id: Uuid, places: i32) -> Result<bool, AppError> {
    let result = capacity::Entity::update_many()
        .col_expr(
            capacity::Column::Available,
            Expr::col(capacity::Column::Available).sub(places),
        )
        .col_expr(capacity::Column::Version, Expr::col(capacity::Column::Version).add(1))
        .col_expr(capacity::Column::UpdatedAt, Expr::value(super::now()))
        .filter(capacity::Column::Id.eq(capacity_id))
        .filter(capacity::Column::Available.gte(places))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives `places` back to a capacity, never above its maximum (a count may
/// have lowered it meanwhile).
async fn give_back(txn: &DatabaseTransaction, capacity_id: Uuid, places: i32) -> Result<(), AppError> {
    // SQLite's two-argument MIN is PostgreSQL's LEAST.
    let least = match txn.get_database_backend() {
        sea_orm::DbBackend::Sqlite => "MIN",
        _ => "LEAST",
    };
    let capped = Func::cust(least)
        .arg(Expr::col(capacity::Column::Available).add(places))
        .arg(Expr::col(capacity::Column::Maximum));
    capacity::Entity::update_many()
        .col_expr(capacity::Column::Available, capped.into())
        .col_expr(capacity::Column::Version, Expr::col(capacity::Column::Version).add(1))
        .col_expr(capacity::Column::UpdatedAt, Expr::value(super::now()))
        .filter(capacity::Column::Id.eq(capacity_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Audits a change to a hold, notes its capacity in the change feed and
/// announces it (unless its places did not change), commits, and returns
/// both as they now stand.
async fn finish(
    txn: DatabaseTransaction,
    events: &Events,
    actor: &Caller,
    (action, before, hold): (AuditAction, &Value, &hold::Model),
    capacity_id: Uuid,
) -> Result<Held, AppError> {
    audit_hold(&txn, (&actor.subject, actor.role.as_str()), action, before, hold).await?;
    let mut outbox = events.outbox();
    let record = if action == AuditAction::Confirm {
        places::load_for_edit(&txn, capacity_id).await?
    } else {
        places_changed(&txn, &mut outbox, capacity_id).await?
    };
    txn.commit().await?;
    outbox.committed();
    Ok(Held {
        hold: hold.clone(),
        capacity: record,
    })
}

/// The audit entry of a change to a hold, by `(subject, role)`.
async fn audit_hold(
    txn: &DatabaseTransaction,
    (subject, role): (&str, &str),
    action: AuditAction,
    before: &Value,
    hold: &hold::Model,
) -> Result<(), AppError> {
    let entry = audit::Entry {
        entity: "hold",
        entity_id: hold.id,
        action,
        before,
        after: &snapshot(hold),
        version: hold.version,
    };
    audit::record_as(txn, subject, role, entry).await
}

/// Notes in the change feed, and queues for subscribers, a capacity whose
/// places a hold took or gave back; returns it as it now stands.
async fn places_changed(
    txn: &DatabaseTransaction,
    outbox: &mut Outbox<'_>,
    capacity_id: Uuid,
) -> Result<CapacityRecord, AppError> {
    let record = places::load_for_edit(txn, capacity_id).await?;
    let version = record.capacity.version;
    changes::record(txn, RecordType::Capacity, capacity_id, version, ChangeAction::Updated).await?;
    outbox.push(txn, places::changed(txn, &record).await?).await?;
    Ok(record)
}

/// How a hold ends at a caller's word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The places are free again.
    Release,
    /// The child arrived: the places stay taken.
    Confirm,
}

/// Releases or confirms a hold: its holder, its centre's managers, admins.
pub async fn end(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    id: Uuid,
    ending: Ending,
) -> Result<Held, AppError> {
    let caller = viewer.holder()?;
    let scope = viewer.hold_scope()?;
    let txn = super::begin_write(db).await?;
    let (current, centre_id) = find_with_centre(&txn, id)
        .await?
        .filter(|(hold, centre)| scope.covers(&hold.held_by, *centre))
        .ok_or_else(|| AppError::not_found(format!("no hold with id {id} that you may see")))?;
    if current.status != HoldStatus::Held {
        return Err(AppError::conflict(
            format!("the hold has already ended ({:?})", current.status).to_lowercase(),
            Some(CurrentState {
                version: current.version,
                values: snapshot(&current),
            }),
        ));
    }
    let (status, action) = match ending {
        Ending::Release => (HoldStatus::Released, AuditAction::Release),
        Ending::Confirm => (HoldStatus::Confirmed, AuditAction::Confirm),
    };
    let ended = end_row(&txn, &current, status, &caller.subject).await?;
    if ending == Ending::Release {
        give_back(&txn, current.capacity_id, current.places).await?;
    }
    tracing::debug!(hold = %id, centre = %centre_id, ?ending, "hold ended");
    let before = snapshot(&current);
    finish(txn, events, caller, (action, &before, &ended), current.capacity_id).await
}

/// Marks a held hold as ended.
async fn end_row(
    txn: &DatabaseTransaction,
    current: &hold::Model,
    status: HoldStatus,
    by: &str,
) -> Result<hold::Model, AppError> {
    let now = super::now();
    let ended = hold::Model {
        status,
        ended_at: Some(now),
        ended_by: Some(by.to_owned()),
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    let result = hold::Entity::update_many()
        .set(hold::ActiveModel {
            status: Set(ended.status),
            ended_at: Set(ended.ended_at),
            ended_by: Set(ended.ended_by.clone()),
            version: Set(ended.version),
            updated_at: Set(ended.updated_at),
            ..Default::default()
        })
        .filter(hold::Column::Id.eq(current.id))
        .filter(hold::Column::Status.eq(HoldStatus::Held))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::conflict("the hold has just ended", None));
    }
    Ok(ended)
}

/// Expires every hold past its time: their places are free again. Returns
/// how many expired. One write, so that each hold expires exactly once even
/// with several replicas sweeping.
pub async fn expire_due(db: &DatabaseConnection, events: &Events) -> Result<usize, AppError> {
    let now = super::now();
    // A read first, so that the sweep takes the write turn only when it has
    // work to do.
    let due = hold::Entity::find()
        .select_only()
        .column(hold::Column::Id)
        .filter(hold::Column::Status.eq(HoldStatus::Held))
        .filter(hold::Column::ExpiresAt.lte(now))
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if due.is_none() {
        return Ok(0);
    }
    let txn = super::begin_write(db).await?;
    let expired = hold::Entity::find()
        .filter(hold::Column::Status.eq(HoldStatus::Held))
        .filter(hold::Column::ExpiresAt.lte(now))
        .order_by_asc(hold::Column::ExpiresAt)
        .all(&txn)
        .await?;
    let mut outbox = events.outbox();
    for current in &expired {
        let ended = end_row(&txn, current, HoldStatus::Expired, SYSTEM).await?;
        give_back(&txn, current.capacity_id, current.places).await?;
        let before = snapshot(current);
        audit_hold(&txn, (SYSTEM, SYSTEM), AuditAction::Expire, &before, &ended).await?;
        places_changed(&txn, &mut outbox, current.capacity_id).await?;
    }
    txn.commit().await?;
    outbox.committed();
    Ok(expired.len())
}

/// Sweeps for due holds every second, for as long as the process runs.
pub fn sweep_forever(db: DatabaseConnection, events: Events) {
    tokio::spawn(async move {
        let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
        every_second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Logged when it starts and stops failing, not every second.
        let mut failing = false;
        loop {
            every_second.tick().await;
            match expire_due(&db, &events).await {
                Ok(expired) => {
                    if failing {
                        tracing::info!("expiring holds again");
                    }
                    if expired > 0 {
                        tracing::info!(holds = expired, "holds expired; their places are free again");
                    }
                    failing = false;
                }
                Err(err) => {
                    if !failing {
                        tracing::warn!(error = %err, "cannot expire holds; retrying every second");
                    }
                    failing = true;
                }
            }
        }
    });
}

/// A hold and the centre of its places.
async fn find_with_centre(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<(hold::Model, Uuid)>, AppError> {
    Ok(hold::Entity::find_by_id(id)
        .join(sea_orm::JoinType::InnerJoin, hold::Relation::Capacity.def())
        .join(sea_orm::JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .column_as(entity::service_at_centre::Column::CentreId, "centre_id")
        .into_model::<HoldWithCentre>()
        .one(db)
        .await?
        .map(|row| (row.hold, row.centre_id)))
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct HoldWithCentre {
    #[sea_orm(nested)]
    hold: hold::Model,
    centre_id: Uuid,
}

/// The hold with this id, if the caller sees it.
pub async fn find(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> Result<Option<hold::Model>, AppError> {
    let Ok(scope) = viewer.hold_scope() else {
        return Ok(None);
    };
    Ok(find_with_centre(db, id)
        .await?
        .filter(|(hold, centre)| scope.covers(&hold.held_by, *centre))
        .map(|(hold, _)| hold))
}

/// Which holds to list.
#[derive(Clone, Debug, Default, Hash)]
pub struct HoldFilter {
    pub centre_id: Option<Uuid>,
    /// Any of these; empty means all.
    pub statuses: Vec<HoldStatus>,
    /// Changed at or after this time.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// The holds the caller sees, newest first.
pub fn list(viewer: &Viewer, filter: &HoldFilter) -> Result<Listing<hold::Entity>, AppError> {
    let scope = viewer.hold_scope()?;
    let mut select = hold::Entity::find();
    if let HoldScope::HeldByOrAt(subject, centres) = &scope {
        let mine = hold::Column::HeldBy.eq(subject.clone());
        select = select.filter(if centres.is_empty() {
            mine
        } else {
            mine.or(hold::Column::CapacityId.in_subquery(capacities_at(centres)))
        });
    }
    if let Some(centre) = filter.centre_id {
        select = select.filter(hold::Column::CapacityId.in_subquery(capacities_at(&[centre])));
    }
    if let Some(since) = filter.updated_since {
        select = select.filter(hold::Column::UpdatedAt.gte(since));
    }
    if !filter.statuses.is_empty() {
        select = select.filter(hold::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    Ok(Listing::new(
        select
            .order_by_desc(hold::Column::CreatedAt)
            .order_by_asc(hold::Column::Id),
    ))
}

/// The ids of the capacities at these centres.
fn capacities_at(centres: &[Uuid]) -> sea_orm::sea_query::SelectStatement {
    use entity::service_at_centre;
    Query::select()
        .column((capacity::Entity, capacity::Column::Id))
        .from(capacity::Entity)
        .inner_join(
            service_at_centre::Entity,
            Expr::col((service_at_centre::Entity, service_at_centre::Column::Id))
                .equals((capacity::Entity, capacity::Column::ServiceAtCentreId)),
        )
        .and_where(
            Expr::col((service_at_centre::Entity, service_at_centre::Column::CentreId)).is_in(centres.iter().copied()),
        )
        .to_owned()
}
