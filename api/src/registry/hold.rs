//! Place holds: places reserved for a child on the way, so that two hotline
//! workers never send two children to one bed.
//!
//! A hold takes its places from the capacity's `available` at once and
//! atomically (it fails with CONFLICT when too few are free). It ends in one
//! of four ways: released (the places are free again), confirmed (the child
//! arrived: they stay taken), expired (unconfirmed after its minutes: free
//! again) or cancelled (its service at the centre, its centre or its
//! service left the registry: the places go back to the capacity, which
//! leaves public view with them).
//!
//! Holds always end. Every replica sweeps for due holds every second, and
//! each due hold expires in a write of its own that changes it only while
//! it is still `held`: each hold expires exactly once whatever the number of
//! replicas, one hold that cannot expire never keeps the others from
//! expiring (it is logged and retried alone), and a hold that fell due while
//! no server ran expires at the next start. Expiry times are the
//! database's, never a replica's clock: replicas whose clocks disagree
//! still agree on when a hold is due.
//!
//! Fair shares: apart from admins, a holder (an issuer's subject) holds at
//! most so many places at once and takes at most so many holds an hour
//! ([`FairShare`]), so that no one token can empty the country's free places.
//!
//! A count (`setCapacity`) states the places free and not held: the
//! manager of a centre sees the holds on it and leaves their places out.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    capacity,
    enums::{AuditAction, ChangeAction, HoldStatus, RecordType},
    hold, service_at_centre,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Func, Query, SelectStatement},
};
use serde_json::{Value, json};

use super::{
    Listing,
    access::{Caller, HoldScope, Role, Viewer},
    audit::{self, Actor},
    capacity::{self as places, CapacityRecord},
    change_feed::{self, Parent},
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

/// What one holder may hold (admins are exempt): a hotline sends a few
/// children at a time, not a region's worth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FairShare {
    /// Most places one holder holds at once.
    pub max_places_held: u32,
    /// Most holds one holder takes in any hour.
    pub max_holds_per_hour: u32,
}

impl Default for FairShare {
    fn default() -> Self {
        Self {
            max_places_held: 20,
            max_holds_per_hour: 60,
        }
    }
}

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

/// Holds places of a capacity for `minutes`: any authenticated caller,
/// within their fair share.
pub async fn hold_places(
    db: &DatabaseConnection,
    viewer: &Viewer,
    (events, share): (&Events, FairShare),
    request: HoldRequest,
) -> Result<Held, AppError> {
    let holder = viewer.holder()?;
    let reference = check(&request)?;
    let txn = super::begin_write(db).await?;
    let now = super::database_now(&txn).await?;
    let record = places::load_for_edit(&txn, request.capacity_id).await?;
    if places::changed(&txn, &record).await?.archived {
        return Err(AppError::not_found(format!(
            "no capacity with id {}",
            request.capacity_id
        )));
    }
    if holder.role != Role::Admin {
        check_share(&txn, holder, share, request.places, now).await?;
    }
    if !take_places(&txn, request.capacity_id, request.places).await? {
        let free = record.capacity.available;
        return Err(AppError::conflict(
            format!("only {free} places are free here; {} cannot be held", request.places),
            Some(CurrentState {
                version: record.capacity.version,
                values: places::snapshot_for(viewer, &record),
            }),
        ));
    }
    let hold = hold::Model {
        id: Uuid::new_v4(),
        capacity_id: request.capacity_id,
        places: request.places,
        reference,
        status: HoldStatus::Held,
        held_by: holder.subject.clone(),
        holder_issuer: holder.issuer.clone(),
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
    finish(txn, events, Actor::of(holder), entry, request.capacity_id).await
}

/// The holds of this holder.
fn holds_of(holder: &Caller) -> sea_orm::Select<hold::Entity> {
    hold::Entity::find()
        .filter(hold::Column::HeldBy.eq(holder.subject.as_str()))
        .filter(hold::Column::HolderIssuer.eq(holder.issuer.as_str()))
}

/// Refuses a hold of `places` more that would take the holder past their
/// fair share: FORBIDDEN past the places held at once (until they release
/// or confirm some), RATE_LIMITED past the holds of an hour (until the
/// oldest of them is an hour old).
async fn check_share(
    txn: &DatabaseTransaction,
    holder: &Caller,
    share: FairShare,
    places: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let held: Vec<i32> = holds_of(holder)
        .select_only()
        .column(hold::Column::Places)
        .filter(hold::Column::Status.eq(HoldStatus::Held))
        .into_tuple()
        .all(txn)
        .await?;
    let held: i64 = held.into_iter().map(i64::from).sum();
    let max_places = i64::from(share.max_places_held);
    if held + i64::from(places) > max_places {
        return Err(AppError::forbidden(format!(
            "you hold {held} places already, and one holder holds at most {max_places} at once: release or \
             confirm some of your holds first"
        )));
    }
    let hour_ago = now - TimeDelta::hours(1);
    let this_hour: Vec<DateTime<Utc>> = holds_of(holder)
        .select_only()
        .column(hold::Column::CreatedAt)
        .filter(hold::Column::CreatedAt.gt(hour_ago))
        .order_by_asc(hold::Column::CreatedAt)
        .into_tuple()
        .all(txn)
        .await?;
    let max_per_hour = share.max_holds_per_hour as usize;
    if this_hour.len() >= max_per_hour {
        // The hold that must leave the hour before another fits in it.
        let leaving = this_hour[this_hour.len() - max_per_hour];
        let wait = std::cmp::max((leaving + TimeDelta::hours(1) - now).num_seconds(), 1);
        return Err(AppError::RateLimited {
            message: format!("one holder takes at most {max_per_hour} holds an hour; the next fits in {wait} s"),
            retry_after: wait.unsigned_abs(),
        });
    }
    Ok(())
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
    actor: Actor<'_>,
    (action, before, hold): (AuditAction, &Value, &hold::Model),
    capacity_id: Uuid,
) -> Result<Held, AppError> {
    audit_hold(&txn, actor, action, before, hold).await?;
    let mut outbox = events.outbox();
    let record = if action == AuditAction::Confirm {
        places::load(&txn, capacity_id).await?
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

/// The audit entry of a change to a hold.
async fn audit_hold(
    txn: &DatabaseTransaction,
    actor: Actor<'_>,
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
    audit::record_as(txn, actor, entry).await
}

/// Notes in the change feed, and queues for subscribers, a capacity whose
/// places a hold took or gave back; returns it as it now stands. The
/// capacity may have left public view (a hold cancelled with its parent):
/// it is read archived or not.
async fn places_changed(
    txn: &DatabaseTransaction,
    outbox: &mut Outbox<'_>,
    capacity_id: Uuid,
) -> Result<CapacityRecord, AppError> {
    let record = places::load(txn, capacity_id).await?;
    let version = record.capacity.version;
    change_feed::record(txn, RecordType::Capacity, capacity_id, version, ChangeAction::Updated).await?;
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
        .filter(|(hold, centre)| scope.covers((&hold.holder_issuer, &hold.held_by), *centre))
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
    finish(
        txn,
        events,
        Actor::of(caller),
        (action, &before, &ended),
        current.capacity_id,
    )
    .await
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

/// Ends, inside an archiving write, the open holds on the places under
/// `parent` (a centre, a service, or a service at a centre), before the
/// places leave public view with it: each hold is cancelled by the
/// archiving caller and audited, its places go back to the capacity (so
/// that its count is true should the parent return), and its capacity is
/// noted in the change feed and queued for subscribers. Call it after the
/// parent is marked archived, so that the events say the places have left
/// public view. Returns how many holds ended.
pub async fn cancel_under(
    txn: &DatabaseTransaction,
    outbox: &mut Outbox<'_>,
    parent: Parent,
    by: &Caller,
) -> Result<usize, AppError> {
    let open = hold::Entity::find()
        .filter(hold::Column::Status.eq(HoldStatus::Held))
        .filter(hold::Column::CapacityId.in_subquery(capacities_under(parent)))
        .order_by_asc(hold::Column::CreatedAt)
        .all(txn)
        .await?;
    let mut capacities = HashSet::new();
    for current in &open {
        let ended = end_row(txn, current, HoldStatus::Cancelled, &by.subject).await?;
        give_back(txn, current.capacity_id, current.places).await?;
        audit_hold(txn, Actor::of(by), AuditAction::Cancel, &snapshot(current), &ended).await?;
        capacities.insert(current.capacity_id);
    }
    for capacity_id in capacities {
        places_changed(txn, outbox, capacity_id).await?;
    }
    Ok(open.len())
}

/// The ids of the capacities of the placements under `parent`.
fn capacities_under(parent: Parent) -> SelectStatement {
    capacities_of_placements(parent.placements())
}

/// The ids of the capacities of the placements (services at centres) where
/// `placements` holds.
fn capacities_of_placements(placements: sea_orm::sea_query::SimpleExpr) -> SelectStatement {
    Query::select()
        .column((capacity::Entity, capacity::Column::Id))
        .from(capacity::Entity)
        .inner_join(
            service_at_centre::Entity,
            Expr::col((service_at_centre::Entity, service_at_centre::Column::Id))
                .equals((capacity::Entity, capacity::Column::ServiceAtCentreId)),
        )
        .and_where(placements)
        .to_owned()
}

/// SQL: the hold is held and due by the database's clock.
fn held_and_due(backend: sea_orm::DbBackend) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(hold::Column::Status.eq(HoldStatus::Held))
        .add(Expr::col(hold::Column::ExpiresAt).lte(super::database_now_sql(backend)))
}

/// The ids of the holds due, soonest due first.
async fn due(db: &DatabaseConnection) -> Result<Vec<Uuid>, AppError> {
    Ok(hold::Entity::find()
        .select_only()
        .column(hold::Column::Id)
        .filter(held_and_due(db.get_database_backend()))
        .order_by_asc(hold::Column::ExpiresAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// Expires one hold, if it is still held and due by the database's clock:
/// its places are free again. `false` when there was nothing to do (another
/// replica expired it, or its holder ended it meanwhile).
pub async fn expire(db: &DatabaseConnection, events: &Events, id: Uuid) -> Result<bool, AppError> {
    let txn = super::begin_write(db).await?;
    let Some(current) = hold::Entity::find_by_id(id)
        .filter(held_and_due(db.get_database_backend()))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let ended = end_row(&txn, &current, HoldStatus::Expired, Actor::SYSTEM.subject).await?;
    give_back(&txn, current.capacity_id, current.places).await?;
    let before = snapshot(&current);
    finish(
        txn,
        events,
        Actor::SYSTEM,
        (AuditAction::Expire, &before, &ended),
        current.capacity_id,
    )
    .await?;
    Ok(true)
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub expired: usize,
    /// The due holds that could not expire, with why.
    pub failed: Vec<(Uuid, String)>,
}

/// Expires every due hold, each in a write of its own.
pub async fn expire_due(db: &DatabaseConnection, events: &Events) -> Result<Sweep, AppError> {
    let mut sweep = Sweep::default();
    for id in due(db).await? {
        match expire(db, events, id).await {
            Ok(expired) => sweep.expired += usize::from(expired),
            Err(err) => sweep.failed.push((id, format!("{err:#}"))),
        }
    }
    Ok(sweep)
}

/// Sweeps for due holds every second, for as long as the process runs.
pub fn sweep_forever(db: DatabaseConnection, events: Events) {
    tokio::spawn(async move {
        let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
        every_second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut log = SweepLog::default();
        loop {
            every_second.tick().await;
            log.note(expire_due(&db, &events).await);
        }
    });
}

/// What the sweeps say in the log: each problem when it starts and when it
/// ends, not every second.
#[derive(Default)]
struct SweepLog {
    /// The sweep as a whole cannot run (the database is unreachable).
    failing: bool,
    /// Holds that failed to expire at the last sweep: only these are kept,
    /// so the set is never larger than one sweep's due holds.
    stuck: HashSet<Uuid>,
}

impl SweepLog {
    fn note(&mut self, outcome: Result<Sweep, AppError>) {
        let sweep = match outcome {
            Ok(sweep) => sweep,
            Err(err) => {
                if !self.failing {
                    tracing::warn!(error = %err, "cannot look for due holds; retrying every second");
                }
                self.failing = true;
                return;
            }
        };
        if std::mem::take(&mut self.failing) {
            tracing::info!("looking for due holds again");
        }
        if sweep.expired > 0 {
            tracing::info!(holds = sweep.expired, "holds expired; their places are free again");
        }
        let mut stuck = HashSet::with_capacity(sweep.failed.len());
        for (id, error) in sweep.failed {
            if !self.stuck.contains(&id) {
                tracing::warn!(hold = %id, error, "a hold cannot expire; retrying it alone every second");
            }
            stuck.insert(id);
        }
        for id in self.stuck.difference(&stuck) {
            tracing::info!(hold = %id, "a hold that could not expire has ended");
        }
        self.stuck = stuck;
    }
}

/// A hold and the centre of its places.
async fn find_with_centre(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<(hold::Model, Uuid)>, AppError> {
    Ok(hold::Entity::find_by_id(id)
        .join(sea_orm::JoinType::InnerJoin, hold::Relation::Capacity.def())
        .join(sea_orm::JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .column_as(service_at_centre::Column::CentreId, "centre_id")
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
        .filter(|(hold, centre)| scope.covers((&hold.holder_issuer, &hold.held_by), *centre))
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
    if let HoldScope::HeldByOrAt {
        issuer,
        subject,
        centres,
    } = &scope
    {
        let mine = hold::Column::HeldBy
            .eq(subject.as_str())
            .and(hold::Column::HolderIssuer.eq(issuer.as_str()));
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
fn capacities_at(centres: &[Uuid]) -> SelectStatement {
    capacities_of_placements(
        Expr::col((service_at_centre::Entity, service_at_centre::Column::CentreId)).is_in(centres.iter().copied()),
    )
}

/// What archiving a centre, a service or a service at a centre does to
/// what hangs below it: the holds on its places end (see
/// [`cancel_under`]) and its dependents move in the change
/// feed, so that mirrors learn they left the public view.
pub(super) async fn end_dependents(
    txn: &DatabaseTransaction,
    outbox: &mut Outbox<'_>,
    parent: Parent,
    actor: &Caller,
) -> Result<(), AppError> {
    cancel_under(txn, outbox, parent, actor).await?;
    super::change_feed::record_dependents(txn, parent, entity::enums::ChangeAction::Archived).await
}
