//! Capacities: places for one service at one centre, counted by the centre
//! (HSDS `service_capacity`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use entity::{
    admin_area, capacity, capacity_event, centre,
    enums::{AuditAction, CapacityUnit},
    service, service_at_centre,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query, SimpleExpr},
};
use serde_json::{Value, json};

use super::{
    Detail,
    access::{Action, Caller, Viewer},
    events::{CapacityChanged, Events},
    lifecycle, record,
    validate::Problems,
};
use crate::{database::row::Row, error::AppError};

/// How long a count of places stays fresh: a bed count nobody has confirmed
/// for days is worse than none, so older counts are reported `stale`,
/// ranked after fresh ones and listed for the ministry to chase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    pub stale_after: chrono::TimeDelta,
}

impl Default for Freshness {
    fn default() -> Self {
        Self {
            stale_after: chrono::TimeDelta::hours(24),
        }
    }
}

impl Freshness {
    /// Counts older than this are stale now.
    pub fn stale_before(&self) -> chrono::DateTime<chrono::Utc> {
        super::now() - self.stale_after
    }

    pub fn is_stale(&self, counted: chrono::DateTime<chrono::Utc>) -> bool {
        counted < self.stale_before()
    }
}

/// A capacity with the service and centre it counts places for.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityRecord {
    pub capacity: capacity::Model,
    pub service_id: Uuid,
    pub centre_id: Uuid,
}

/// A capacity as the API shows it: its figures and where it counts, and,
/// unless a list was read without them, its details. Reads leave out the
/// columns only the audit log shows (who counted, when the row was created
/// and changed): two timestamps a row, each parsed from text on SQLite.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityView {
    pub id: Uuid,
    pub centre_id: Uuid,
    pub unit: CapacityUnit,
    pub maximum: i32,
    pub available: i32,
    /// When the places were last counted.
    pub updated: DateTime<Utc>,
    /// `None` when the list was read without them ([`Detail::Brief`]).
    pub details: Option<CapacityDetails>,
}

/// The fields of a capacity that a list reads only when its request
/// selects one of them: a page of counts leaves out four columns a row.
/// Every value a row carries is copied and allocated on its own by the
/// database driver, so each column left out saves work on every row
/// (figures in `docs/benchmark.md`, "Figures behind the code").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CapacityDetails {
    pub service_id: Uuid,
    pub service_at_centre_id: Uuid,
    pub waitlist: i32,
    pub version: i32,
}

impl From<&CapacityRecord> for CapacityView {
    fn from(record: &CapacityRecord) -> Self {
        let c = &record.capacity;
        Self {
            id: c.id,
            centre_id: record.centre_id,
            unit: c.unit,
            maximum: c.maximum,
            available: c.available,
            updated: c.updated,
            details: Some(CapacityDetails {
                service_id: record.service_id,
                service_at_centre_id: c.service_at_centre_id,
                waitlist: c.waitlist,
                version: c.version,
            }),
        }
    }
}

impl CapacityView {
    /// The columns of a view but its centre, in the order
    /// [`CapacityView::read`] reads them; the query joins the capacity's
    /// service at centre.
    pub fn columns(detail: Detail) -> Vec<SimpleExpr> {
        let mut columns: Vec<SimpleExpr> = FIGURES.into_iter().map(|c| Expr::col((capacity::Entity, c))).collect();
        if detail == Detail::Full {
            columns.extend(CapacityDetails::columns());
        }
        columns
    }

    /// How many columns [`CapacityView::columns`] selects.
    fn column_count(detail: Detail) -> usize {
        FIGURES.len()
            + match detail {
                Detail::Brief => 0,
                Detail::Full => CapacityDetails::COLUMNS,
            }
    }

    /// A view of a capacity at `centre_id` from the next columns of `row`,
    /// selected by [`CapacityView::columns`]; `None` when its id is null
    /// (a left join found none).
    pub fn read(row: &Row<'_>, centre_id: Uuid, detail: Detail) -> Result<Option<Self>, DbErr> {
        let Some(id) = row.next()? else {
            // The other columns are null too, but for the placement's
            // service, which the query joins whether or not it has places.
            row.skip(Self::column_count(detail) - 1);
            return Ok(None);
        };
        Ok(Some(Self {
            id,
            centre_id,
            unit: row.next_enum()?,
            maximum: row.next()?,
            available: row.next()?,
            updated: row.next()?,
            details: match detail {
                Detail::Brief => None,
                Detail::Full => Some(CapacityDetails {
                    service_id: row.next()?,
                    service_at_centre_id: row.next()?,
                    waitlist: row.next()?,
                    version: row.next()?,
                }),
            },
        }))
    }
}

impl CapacityDetails {
    const COLUMNS: usize = 4;

    /// The columns of the details, in the order [`CapacityView::read`]
    /// reads them after the figures.
    fn columns() -> [SimpleExpr; Self::COLUMNS] {
        let capacity = |c: capacity::Column| -> SimpleExpr { Expr::col((capacity::Entity, c)) };
        [
            Expr::col((service_at_centre::Entity, service_at_centre::Column::ServiceId)),
            capacity(capacity::Column::ServiceAtCentreId),
            capacity(capacity::Column::Waitlist),
            capacity(capacity::Column::Version),
        ]
    }
}

/// The columns every view reads, in the order [`CapacityView::read`] reads them.
const FIGURES: [capacity::Column; 5] = [
    capacity::Column::Id,
    capacity::Column::Unit,
    capacity::Column::Maximum,
    capacity::Column::Available,
    capacity::Column::Updated,
];

/// The columns of a whole record that a view leaves out, in the order
/// [`read_record`] reads them after the view's.
const AUDIT_COLUMNS: [capacity::Column; 3] = [
    capacity::Column::UpdatedBy,
    capacity::Column::CreatedAt,
    capacity::Column::UpdatedAt,
];

/// Whole capacities with their service and centre, read by [`read_record`].
fn with_placement() -> Select<capacity::Entity> {
    AUDIT_COLUMNS
        .into_iter()
        .fold(views_with_placement(Detail::Full), |query, column| query.column(column))
}

/// A capacity with its service and centre, selected by [`with_placement`]:
/// its view, then the audit columns.
fn read_record(row: &Row<'_>) -> Result<CapacityRecord, DbErr> {
    let view = read_view(row, Detail::Full)?;
    let details = view
        .details
        .ok_or_else(|| DbErr::Type("a capacity read without its details".into()))?;
    Ok(CapacityRecord {
        capacity: capacity::Model {
            id: view.id,
            service_at_centre_id: details.service_at_centre_id,
            unit: view.unit,
            maximum: view.maximum,
            available: view.available,
            waitlist: details.waitlist,
            updated: view.updated,
            version: details.version,
            updated_by: row.next()?,
            created_at: row.next()?,
            updated_at: row.next()?,
        },
        service_id: details.service_id,
        centre_id: view.centre_id,
    })
}

/// Capacity views with their centre, read by [`read_view`].
fn views_with_placement(detail: Detail) -> Select<capacity::Entity> {
    let query = capacity::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .column(service_at_centre::Column::CentreId);
    CapacityView::columns(detail)
        .into_iter()
        .fold(query, |query, column| query.expr(column))
}

/// A view selected by [`views_with_placement`].
fn read_view(row: &Row<'_>, detail: Detail) -> Result<CapacityView, DbErr> {
    let centre_id = row.next()?;
    CapacityView::read(row, centre_id, detail)?.ok_or_else(|| DbErr::Type("a capacity without an id".into()))
}

/// Capacities by id, with their details.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, CapacityView>, AppError> {
    let query = views_with_placement(Detail::Full).filter(capacity::Column::Id.is_in(super::padded(ids)));
    let rows = crate::database::row::read_all(db, query.build(db.get_database_backend()), |row| {
        read_view(row, Detail::Full)
    })
    .await?;
    Ok(rows.into_iter().map(|view| (view.id, view)).collect())
}

/// The capacities of each centre's live services, by id, with or without
/// their details.
pub async fn of_centres(
    db: &impl ConnectionTrait,
    centre_ids: &[Uuid],
    detail: Detail,
) -> Result<HashMap<Uuid, Vec<CapacityView>>, AppError> {
    // Ordered here rather than by the database: SQLite would sort the
    // rows in a temporary b-tree of its own, statement by statement, at
    // more cost than sorting each centre's few capacities here (figures in
    // `docs/benchmark.md`, "Figures behind the code").
    let query = views_with_placement(detail)
        .filter(service_at_centre::Column::CentreId.is_in(centre_ids.iter().copied()))
        .filter(lifecycle::placement_live());
    let rows = crate::database::row::read_all(db, query.build(db.get_database_backend()), |row| read_view(row, detail))
        .await?;
    let mut lists = super::group_by(rows.into_iter().map(|view| (view.centre_id, view)));
    lists.values_mut().for_each(|list| sort_as_listed(list));
    Ok(lists)
}

/// Puts a centre's capacities in the order its lists show them: by id.
pub fn sort_as_listed(views: &mut [CapacityView]) {
    views.sort_unstable_by_key(|view| view.id);
}

/// The live placements of the centre of the enclosing query, joined to
/// their capacities, for correlated subqueries (below, and
/// `centre_lists`).
pub(super) fn capacities_of_enclosing_centre() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .from(service_at_centre::Entity)
        .inner_join(
            capacity::Entity,
            Expr::col((capacity::Entity, capacity::Column::ServiceAtCentreId))
                .equals((service_at_centre::Entity, service_at_centre::Column::Id)),
        )
        .and_where(lifecycle::placement_live())
        .and_where(lifecycle::placement_of_enclosing_centre())
        .to_owned()
}

/// SQL: the centre (of the enclosing query) has at least one free place.
pub fn centre_has_free_places() -> SimpleExpr {
    let query = capacities_of_enclosing_centre()
        .expr(Expr::val(1))
        .and_where(capacity::Column::Available.gt(0))
        .to_owned();
    Expr::exists(query)
}

/// SQL: free places summed over the capacities of the centre (of the
/// enclosing query).
pub fn centre_available_places_sql() -> SimpleExpr {
    let sum = capacities_of_enclosing_centre()
        .expr(
            Expr::col((capacity::Entity, capacity::Column::Available))
                .sum()
                .if_null(0),
        )
        .to_owned();
    sum.into()
}

/// Capacities as events, in one query: each with its placement, its
/// service's category, its centre's area and whether either is archived.
async fn events_where(db: &impl ConnectionTrait, condition: Condition) -> Result<Vec<CapacityChanged>, AppError> {
    let query = with_placement()
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
        .join(JoinType::InnerJoin, centre::Relation::AdminArea.def())
        .column(service::Column::Category)
        .column(admin_area::Column::Path)
        .column(centre::Column::ArchivedAt)
        .column(service::Column::ArchivedAt)
        .column(service_at_centre::Column::ArchivedAt)
        .filter(condition)
        .order_by_asc(capacity::Column::UpdatedAt);
    crate::database::row::read_all(db, query.build(db.get_database_backend()), |row| {
        let CapacityRecord {
            capacity: c,
            service_id,
            centre_id,
        } = read_record(row)?;
        let category = row.next_enum()?;
        let area_path = row.next()?;
        let centre_archived: Option<chrono::DateTime<chrono::Utc>> = row.next()?;
        let service_archived: Option<chrono::DateTime<chrono::Utc>> = row.next()?;
        let placement_archived: Option<chrono::DateTime<chrono::Utc>> = row.next()?;
        Ok(CapacityChanged {
            capacity_id: c.id,
            service_at_centre_id: c.service_at_centre_id,
            centre_id,
            service_id,
            category,
            area_path,
            archived: centre_archived.is_some() || service_archived.is_some() || placement_archived.is_some(),
            unit: c.unit,
            maximum: c.maximum,
            available: c.available,
            waitlist: c.waitlist,
            updated: c.updated,
            updated_by: c.updated_by,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
    })
    .await
}

/// The event that tells subscribers a capacity now stands as `record`.
pub async fn changed(db: &impl ConnectionTrait, record: &CapacityRecord) -> Result<CapacityChanged, AppError> {
    let id = record.capacity.id;
    events_where(db, Condition::all().add(capacity::Column::Id.eq(id)))
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("capacity {id} lost its service or centre")))
}

/// The capacity an event tells of, as it stood then.
impl From<&CapacityChanged> for CapacityRecord {
    fn from(event: &CapacityChanged) -> Self {
        Self {
            capacity: capacity::Model {
                id: event.capacity_id,
                service_at_centre_id: event.service_at_centre_id,
                unit: event.unit,
                maximum: event.maximum,
                available: event.available,
                waitlist: event.waitlist,
                updated: event.updated,
                updated_by: event.updated_by.clone(),
                version: event.version,
                created_at: event.created_at,
                updated_at: event.updated_at,
            },
            service_id: event.service_id,
            centre_id: event.centre_id,
        }
    }
}

/// [`changed_since`] as the events' listener asks for it (see
/// `events::ChangedSince`).
pub fn changed_since_boxed(
    db: &DatabaseConnection,
    since: chrono::DateTime<chrono::Utc>,
) -> futures::future::BoxFuture<'_, Result<Vec<CapacityChanged>, AppError>> {
    Box::pin(changed_since(db, since))
}

/// The capacities changed (counted, held, edited) since a time, as events,
/// oldest change first.
pub async fn changed_since(
    db: &impl ConnectionTrait,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<CapacityChanged>, AppError> {
    events_where(db, Condition::all().add(capacity::Column::UpdatedAt.gte(since))).await
}

/// A centre with counts of places gone stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaleCentre {
    pub centre_id: Uuid,
    /// When its oldest count was taken.
    pub oldest: chrono::DateTime<chrono::Utc>,
    /// How many of its capacities have a stale count.
    pub stale: i64,
}

/// The stale counts of live services at receiving centres, per centre,
/// oldest first.
fn stale_per_centre(freshness: Freshness) -> Select<capacity::Entity> {
    let oldest = Expr::col((capacity::Entity, capacity::Column::Updated)).min();
    capacity::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, capacity::Relation::ServiceAtCentre.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Service.def())
        .join(JoinType::InnerJoin, service_at_centre::Relation::Centre.def())
        .filter(lifecycle::placement_live())
        .filter(lifecycle::service_offered())
        .filter(lifecycle::centre_receiving())
        .filter(capacity::Column::Updated.lt(freshness.stale_before()))
        .column(service_at_centre::Column::CentreId)
        .column_as(oldest.clone(), "oldest")
        .column_as(Expr::col((capacity::Entity, capacity::Column::Id)).count(), "stale")
        .group_by(service_at_centre::Column::CentreId)
        .order_by_asc(oldest)
        .order_by_asc(service_at_centre::Column::CentreId)
}

/// The centres whose counts are stale, oldest count first (registry
/// admins): the ones to call.
pub async fn stale_centres(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    freshness: Freshness,
    window: super::Window,
) -> Result<Vec<StaleCentre>, AppError> {
    viewer.authorize(Action::Oversee)?;
    let rows: Vec<(Uuid, chrono::DateTime<chrono::Utc>, i64)> = stale_per_centre(freshness)
        .offset(window.offset)
        .limit(window.limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(centre_id, oldest, stale)| StaleCentre {
            centre_id,
            oldest,
            stale,
        })
        .collect())
}

/// The number of centres with stale counts (registry admins).
pub async fn count_stale_centres(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    freshness: Freshness,
) -> Result<u64, AppError> {
    viewer.authorize(Action::Oversee)?;
    Ok(stale_per_centre(freshness)
        .into_tuple::<(Uuid, chrono::DateTime<chrono::Utc>, i64)>()
        .count(db)
        .await?)
}

/// Places to count: what `setCapacity` takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Count {
    pub capacity_id: Uuid,
    pub available: i32,
    /// Unchanged when `None`.
    pub maximum: Option<i32>,
    /// Unchanged when `None`.
    pub waitlist: Option<i32>,
    pub expected_version: i32,
}

/// A change to a capacity's fields; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CapacityPatch {
    pub unit: Option<CapacityUnit>,
    pub maximum: Option<i32>,
    pub available: Option<i32>,
    pub waitlist: Option<i32>,
}

/// Most places one capacity may count.
const MAX_PLACES: i32 = 100_000;

/// Checks the counts of a capacity; `prefix` names the input it came from.
fn validate(m: &capacity::Model, prefix: &str, problems: &mut Problems) {
    let field = |name: &str| format!("{prefix}{name}");
    if !(0..=MAX_PLACES).contains(&m.maximum) {
        problems.add(field("maximum"), format!("must be between 0 and {MAX_PLACES}"));
    }
    if m.available < 0 {
        problems.add(field("available"), "must not be negative");
    } else if m.available > m.maximum {
        problems.add(field("available"), format!("must not be above maximum ({})", m.maximum));
    }
    if !(0..=MAX_PLACES).contains(&m.waitlist) {
        problems.add(field("waitlist"), format!("must be between 0 and {MAX_PLACES}"));
    }
}

/// The fields, as the API names them (see `audit`; a conflict reports them).
pub fn snapshot(m: &capacity::Model) -> Value {
    json!({
        "unit": m.unit,
        "maximum": m.maximum,
        "available": m.available,
        "waitlist": m.waitlist,
        "updated": m.updated,
        "updatedBy": m.updated_by,
    })
}

/// The fields as [`snapshot`] gives them, less who counted them unless the
/// viewer may count places at the centre: a conflict on a hold reaches any
/// partner, and who counted is a centre's staff member.
pub fn snapshot_for(viewer: &Viewer, record: &CapacityRecord) -> Value {
    let mut values = snapshot(&record.capacity);
    if viewer.authorize(Action::EditPlacesAt(record.centre_id)).is_err()
        && let Some(fields) = values.as_object_mut()
    {
        fields.remove("updatedBy");
    }
    values
}

/// The capacity with this id, with its placement, for an edit: its service
/// must still be offered at its centre.
pub(super) async fn load_for_edit(db: &impl ConnectionTrait, id: Uuid) -> Result<CapacityRecord, AppError> {
    read_one(
        db,
        with_placement()
            .filter(capacity::Column::Id.eq(id))
            .filter(lifecycle::placement_live()),
        id,
    )
    .await
}

/// The capacity with this id, with its placement, whether or not its
/// service is still offered there (the holds on it end either way).
pub(super) async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<CapacityRecord, AppError> {
    read_one(db, with_placement().filter(capacity::Column::Id.eq(id)), id).await
}

async fn read_one(
    db: &impl ConnectionTrait,
    query: Select<capacity::Entity>,
    id: Uuid,
) -> Result<CapacityRecord, AppError> {
    crate::database::row::read_all(db, query.build(db.get_database_backend()), read_record)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("no capacity with id {id}")))
}

record::versioned!(CapacityRecord, "capacity", snapshot |r: &CapacityRecord| snapshot(&r.capacity), load load_for_edit, row capacity::Model = self.capacity);

/// Writes a capacity at its next version over the stored one (see
/// [`record::save`]), with the history of its counts, inside `txn`.
async fn save(
    txn: &DatabaseTransaction,
    actor: &Caller,
    current: &CapacityRecord,
    next: &mut CapacityRecord,
    action: AuditAction,
) -> Result<(), AppError> {
    // One time for the count and the change: a count's `updated` and its
    // `updatedAt` agree.
    let now = super::now();
    let (before, after) = (&current.capacity, &mut next.capacity);
    let counted =
        (after.available, after.maximum, after.waitlist) != (before.available, before.maximum, before.waitlist);
    if counted || action == AuditAction::SetCapacity {
        after.updated = now;
        after.updated_by = Some(actor.subject.clone());
    }
    record::save(txn, actor, (current, next), action, now).await?;
    if counted || action == AuditAction::SetCapacity {
        record_count(txn, &next.capacity, &actor.subject).await?;
    }
    Ok(())
}

/// Adds a count to the capacity's history.
async fn record_count(db: &impl ConnectionTrait, m: &capacity::Model, actor: &str) -> Result<(), AppError> {
    capacity_event::Entity::insert(capacity_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        capacity_id: Set(m.id),
        available: Set(m.available),
        maximum: Set(m.maximum),
        waitlist: Set(m.waitlist),
        actor: Set(actor.to_owned()),
        at: Set(m.updated),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Starts counting places for a service at a centre: the centre's managers
/// and admins. One capacity per service at a centre.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    centre_id: Uuid,
    service_id: Uuid,
    unit: CapacityUnit,
    counts: (i32, i32, i32),
) -> Result<CapacityRecord, AppError> {
    let actor = viewer.authorize(Action::EditPlacesAt(centre_id))?;
    let (maximum, available, waitlist) = counts;
    let now = super::now();
    let mut m = capacity::Model {
        id: Uuid::new_v4(),
        service_at_centre_id: Uuid::nil(),
        unit,
        maximum,
        available,
        waitlist,
        updated: now,
        updated_by: Some(actor.subject.clone()),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let mut problems = Problems::default();
    validate(&m, "", &mut problems);
    problems.finish()?;
    let txn = super::begin_write(db).await?;
    let link = lifecycle::live_placement(&txn, centre_id, service_id).await?;
    m.service_at_centre_id = link.id;
    let existing = capacity::Entity::find()
        .filter(capacity::Column::ServiceAtCentreId.eq(link.id))
        .one(&txn)
        .await?;
    if let Some(existing) = existing {
        return Err(AppError::conflict(
            "places are already counted for this service at this centre; update that capacity",
            Some(crate::error::CurrentState {
                version: existing.version,
                values: snapshot(&existing),
            }),
        ));
    }
    let record = CapacityRecord {
        capacity: m,
        service_id,
        centre_id,
    };
    record::insert(&txn, actor, &record).await?;
    record_count(&txn, &record.capacity, &actor.subject).await?;
    let mut outbox = events.outbox();
    outbox.push(&txn, changed(&txn, &record).await?).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(record)
}

/// A count of places an import brings: for which service at which
/// centre, in what unit, and when it was counted at its source.
#[derive(Clone, Debug)]
pub struct ImportedCount {
    pub id: Uuid,
    /// The service at a centre counted: its id, its service's and its centre's.
    pub placement: (Uuid, Uuid, Uuid),
    pub unit: CapacityUnit,
    /// Maximum, available and waiting.
    pub counts: (i32, i32, i32),
    pub counted: DateTime<Utc>,
}

/// Writes the capacity `count.id` inside an import's transaction: created,
/// changed (audited, its history extended, its subscribers told), or found
/// unchanged. A count older than Kamkor's own is refused (CONFLICT): an
/// import never overwrites what a centre counted since.
pub async fn put(
    txn: &DatabaseTransaction,
    actor: &Caller,
    outbox: &mut super::events::Outbox<'_>,
    count: ImportedCount,
) -> Result<record::Put, AppError> {
    let (maximum, available, waitlist) = count.counts;
    let (placement_id, service_id, centre_id) = count.placement;
    let now = super::now();
    // Two look-ups, each by its own index: one with OR may walk the table,
    // and an import asks once for every count it brings.
    let stored = match capacity::Entity::find_by_id(count.id).one(txn).await? {
        Some(found) => Some(found),
        None => {
            capacity::Entity::find()
                .filter(capacity::Column::ServiceAtCentreId.eq(placement_id))
                .one(txn)
                .await?
        }
    };
    let current = match stored {
        Some(found) if (found.id, found.service_at_centre_id) != (count.id, placement_id) => {
            return Err(AppError::conflict(
                format!(
                    "Kamkor counts these places as capacity {} (of service at a centre {})",
                    found.id, found.service_at_centre_id
                ),
                None,
            ));
        }
        Some(found) if found.updated > count.counted => {
            return Err(AppError::conflict(
                format!(
                    "Kamkor's count of capacity {} (at {}) is newer than the import's (at {})",
                    found.id, found.updated, count.counted
                ),
                None,
            ));
        }
        Some(_) => Some(load_for_edit(txn, count.id).await?),
        None => None,
    };
    let mut next = CapacityRecord {
        capacity: capacity::Model {
            id: count.id,
            service_at_centre_id: placement_id,
            unit: count.unit,
            maximum,
            available,
            waitlist,
            updated: count.counted,
            updated_by: Some(actor.subject.clone()),
            version: 1,
            created_at: now,
            updated_at: now,
        },
        service_id,
        centre_id,
    };
    if let Some(current) = &current {
        let c = &current.capacity;
        next.capacity.version = c.version;
        next.capacity.created_at = c.created_at;
        if (c.unit, c.maximum, c.available, c.waitlist) == (count.unit, maximum, available, waitlist) {
            return Ok(record::Put::Unchanged);
        }
    }
    let mut problems = Problems::default();
    validate(&next.capacity, "", &mut problems);
    problems.finish()?;
    let put = record::put(txn, actor, current.as_ref(), &mut next, now).await?;
    record_count(txn, &next.capacity, &actor.subject).await?;
    outbox.push(txn, changed(txn, &next).await?).await?;
    Ok(put)
}

/// Changes a capacity's unit or counts at `expected_version`.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    id: Uuid,
    expected_version: i32,
    patch: CapacityPatch,
) -> Result<CapacityRecord, AppError> {
    viewer.writer()?;
    let txn = super::begin_write(db).await?;
    let current = load_for_edit(&txn, id).await?;
    let actor = viewer.authorize(Action::EditPlacesAt(current.centre_id))?;
    record::expect_version(&current, expected_version)?;
    let mut record = current.clone();
    let next = &mut record.capacity;
    next.unit = patch.unit.unwrap_or(next.unit);
    next.maximum = patch.maximum.unwrap_or(next.maximum);
    next.available = patch.available.unwrap_or(next.available);
    next.waitlist = patch.waitlist.unwrap_or(next.waitlist);
    let mut problems = Problems::default();
    validate(next, "", &mut problems);
    problems.finish()?;
    save(&txn, actor, &current, &mut record, AuditAction::Update).await?;
    let mut outbox = events.outbox();
    outbox.push(&txn, changed(&txn, &record).await?).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(record)
}

/// Records counts of places, all or none: a centre manager's daily count
/// in one call. A count at a stale version fails them all with CONFLICT.
pub async fn set(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    counts: Vec<Count>,
) -> Result<Vec<CapacityRecord>, AppError> {
    viewer.writer()?;
    let batch = counts.len() > 1;
    let prefix = |i: usize| if batch { format!("counts.{i}.") } else { String::new() };
    let mut seen = std::collections::HashSet::new();
    let mut problems = Problems::default();
    for (i, count) in counts.iter().enumerate() {
        if !seen.insert(count.capacity_id) {
            problems.add(format!("{}capacityId", prefix(i)), "is counted twice");
        }
    }
    problems.finish()?;
    let txn = super::begin_write(db).await?;
    let mut outbox = events.outbox();
    let mut saved = Vec::with_capacity(counts.len());
    for (i, count) in counts.into_iter().enumerate() {
        let current = load_for_edit(&txn, count.capacity_id).await?;
        let actor = viewer.authorize(Action::EditPlacesAt(current.centre_id))?;
        record::expect_version(&current, count.expected_version)?;
        let mut record = current.clone();
        let next = &mut record.capacity;
        next.available = count.available;
        next.maximum = count.maximum.unwrap_or(next.maximum);
        next.waitlist = count.waitlist.unwrap_or(next.waitlist);
        let mut problems = Problems::default();
        validate(next, &prefix(i), &mut problems);
        problems.finish()?;
        save(&txn, actor, &current, &mut record, AuditAction::SetCapacity).await?;
        outbox.push(&txn, changed(&txn, &record).await?).await?;
        saved.push(record);
    }
    txn.commit().await?;
    outbox.committed();
    Ok(saved)
}

/// The counts of a capacity since a time, oldest first (registry admins).
pub async fn history(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    capacity_id: Uuid,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<capacity_event::Model>, AppError> {
    viewer.authorize(Action::ReadAudit)?;
    let mut query = capacity_event::Entity::find().filter(capacity_event::Column::CapacityId.eq(capacity_id));
    if let Some(since) = since {
        query = query.filter(capacity_event::Column::At.gte(since));
    }
    Ok(query
        .order_by_asc(capacity_event::Column::At)
        .order_by_asc(capacity_event::Column::Id)
        .limit(1_000)
        .all(db)
        .await?)
}
