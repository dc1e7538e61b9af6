//! What every edited registry record shares: its stamp (demo or not,
//! version, when it was created, changed and archived) and the one way it
//! is changed, whole, at the version the editor last read.
//!
//! A change reads the live record ([`Versioned::load`]), checks the
//! version the caller expects ([`expect_version`]), then writes the next
//! version over the stored one only if nobody wrote in between
//! ([`save`]): of two racing editors exactly one wins, the other gets a
//! CONFLICT with the record as it now stands. The audit entry goes in the
//! same transaction. Organizations, centres, services, services at a
//! centre and capacities all change this way; only what they own and
//! check differs.

use chrono::{DateTime, Utc};
use entity::{capacity, centre, enums::AuditAction, organization, service, service_at_centre};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    prelude::Uuid,
    sea_query::{Expr, SimpleExpr},
};
use serde_json::Value;

use super::{access::Caller, audit};
use crate::{database::row::Row, error::AppError};

/// The stamp of a record: what every organization, centre and service
/// carries beside its own fields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamp {
    /// A demo record, not an official figure.
    pub is_demo: bool,
    pub archived_at: Option<DateTime<Utc>>,
    /// Incremented by every change (optimistic concurrency).
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Stamp {
    /// The stamp's columns of `entity`, in the order [`Stamp::read`] reads them.
    pub fn columns<E: StampedRow>() -> [SimpleExpr; 5] {
        [E::IS_DEMO, E::ARCHIVED_AT, E::VERSION, E::CREATED_AT, E::UPDATED_AT]
            .map(|column| Expr::col((E::Entity::default(), column)))
    }

    /// A stamp from the next columns of `row`, selected by [`Stamp::columns`].
    pub fn read(row: &Row<'_>) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            is_demo: row.next()?,
            archived_at: row.next()?,
            version: row.next()?,
            created_at: row.next()?,
            updated_at: row.next()?,
        })
    }
}

/// A row that is changed at a version: its table's id and version
/// columns, and how it moves to its next version.
pub trait VersionedRow: Clone + Send + Sync + IntoActiveModel<<Self::Entity as EntityTrait>::ActiveModel> {
    type Entity: EntityTrait<Model = Self, ActiveModel: Send>;
    const ID: <Self::Entity as EntityTrait>::Column;
    const VERSION: <Self::Entity as EntityTrait>::Column;
    fn id(&self) -> Uuid;
    fn version(&self) -> i32;
    /// Moves the row to the version after `current`, changed at `now`.
    fn advance(&mut self, current: i32, now: DateTime<Utc>);
    /// Where the row keeps when it was archived; `None` for rows that are
    /// never archived on their own (a capacity ends with its service at
    /// its centre).
    fn archived_at_mut(&mut self) -> Option<&mut Option<DateTime<Utc>>>;
}

/// A row that carries a [`Stamp`]: organizations, centres and services.
pub trait StampedRow: VersionedRow {
    const IS_DEMO: <Self::Entity as EntityTrait>::Column;
    const ARCHIVED_AT: <Self::Entity as EntityTrait>::Column;
    const CREATED_AT: <Self::Entity as EntityTrait>::Column;
    const UPDATED_AT: <Self::Entity as EntityTrait>::Column;
    fn stamp(&self) -> Stamp;
    /// Takes `stamp` as its own (a record rebuilt from its fields).
    fn take_stamp(&mut self, stamp: Stamp);
}

/// Implements [`VersionedRow`] (and, for stamped rows, [`StampedRow`]) for
/// entity models, whose columns share their names across tables: stamped
/// rows, rows archived without a stamp (a service at a centre), and rows
/// never archived on their own (a capacity).
macro_rules! versioned_rows {
    (stamped: $($stamped:ident),*; archived: $($archived:ident),*; never_archived: $($unarchived:ident),*) => {
        $(versioned_rows!(@row $stamped, |row| Some(&mut row.archived_at));
        impl StampedRow for $stamped::Model {
            const IS_DEMO: $stamped::Column = $stamped::Column::IsDemo;
            const ARCHIVED_AT: $stamped::Column = $stamped::Column::ArchivedAt;
            const CREATED_AT: $stamped::Column = $stamped::Column::CreatedAt;
            const UPDATED_AT: $stamped::Column = $stamped::Column::UpdatedAt;
            fn stamp(&self) -> Stamp {
                Stamp {
                    is_demo: self.is_demo,
                    archived_at: self.archived_at,
                    version: self.version,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                }
            }
            fn take_stamp(&mut self, stamp: Stamp) {
                self.is_demo = stamp.is_demo;
                self.archived_at = stamp.archived_at;
                self.version = stamp.version;
                self.created_at = stamp.created_at;
                self.updated_at = stamp.updated_at;
            }
        })*
        $(versioned_rows!(@row $archived, |row| Some(&mut row.archived_at));)*
        $(versioned_rows!(@row $unarchived, |_row| None);)*
    };
    (@row $module:ident, |$row:ident| $archived_at:expr) => {
        impl VersionedRow for $module::Model {
            type Entity = $module::Entity;
            const ID: $module::Column = $module::Column::Id;
            const VERSION: $module::Column = $module::Column::Version;
            fn id(&self) -> Uuid {
                self.id
            }
            fn version(&self) -> i32 {
                self.version
            }
            fn advance(&mut self, current: i32, now: DateTime<Utc>) {
                self.version = current + 1;
                self.updated_at = now;
            }
            fn archived_at_mut(&mut self) -> Option<&mut Option<DateTime<Utc>>> {
                let $row = self;
                $archived_at
            }
        }
    };
}

versioned_rows!(
    stamped: organization, centre, service;
    archived: service_at_centre;
    never_archived: capacity
);

/// A new organization, centre or service row: the fields given, then what
/// every new record starts with (derived columns empty until its
/// `fill_derived`, version 1, created and changed at `now`, not archived).
/// `demo` is true for the seeded and generated records.
///
/// ```ignore
/// new_record!(organization::Model { id, kind, /* ... */ }, now, demo = false)
/// ```
#[macro_export]
macro_rules! new_record {
    ($module:ident::Model { $($fields:tt)* }, $now:expr, demo = $demo:expr) => {
        $module::Model {
            $($fields)*
            search_text: String::new(),
            name_sort_ky: String::new(),
            name_sort_ru: String::new(),
            is_demo: $demo,
            archived_at: None,
            version: 1,
            created_at: $now,
            updated_at: $now,
        }
    };
}

/// Implements [`Versioned`] for an edited record: its kind, its row (the
/// record itself, or one of its fields), how to snapshot it and the
/// function that loads it for an edit.
macro_rules! versioned {
    ($record:ty, $kind:literal, snapshot $snapshot:expr, load $load:path, row $row:ty $(= self.$field:ident)?) => {
        impl $crate::registry::record::Versioned for $record {
            type Row = $row;
            const KIND: &'static str = $kind;

            fn row(&self) -> &$row {
                $crate::registry::record::versioned!(@at self $(, $field)?)
            }

            fn row_mut(&mut self) -> &mut $row {
                $crate::registry::record::versioned!(@at_mut self $(, $field)?)
            }

            fn snapshot(&self) -> serde_json::Value {
                ($snapshot)(self)
            }

            async fn load(
                db: &impl sea_orm::ConnectionTrait,
                id: sea_orm::prelude::Uuid,
            ) -> Result<Self, $crate::error::AppError> {
                $load(db, id).await
            }
        }
    };
    (@at $this:ident) => { $this };
    (@at $this:ident, $field:ident) => { &$this.$field };
    (@at_mut $this:ident) => { $this };
    (@at_mut $this:ident, $field:ident) => { &mut $this.$field };
}
pub(super) use versioned;

/// A record as it is edited: its row and what it owns (a centre's
/// languages, a service's target groups and areas).
pub(super) trait Versioned: Clone + Send + Sync {
    type Row: VersionedRow;
    /// The record's name in the audit trail and in conflicts.
    const KIND: &'static str;
    fn row(&self) -> &Self::Row;
    fn row_mut(&mut self) -> &mut Self::Row;
    /// The editable fields, as the API names them: what the audit trail
    /// compares and a conflict reports.
    fn snapshot(&self) -> Value;
    /// The live record with this id, for an edit, or NOT_FOUND.
    fn load(db: &impl ConnectionTrait, id: Uuid) -> impl Future<Output = Result<Self, AppError>> + Send;
}

/// How the audit trail names an edit that archives the record or not.
pub(super) fn edit_action(archive: bool) -> AuditAction {
    if archive {
        AuditAction::Archive
    } else {
        AuditAction::Update
    }
}

/// What an import's write did to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Put {
    Created,
    Updated,
    /// Its editable fields were already as given: nothing written.
    Unchanged,
}

/// Writes `next` as the new state of `current` (an import names records
/// by id, whether Kamkor holds them yet or not): inserted when there is no
/// `current`, saved over it at its version when its editable fields
/// differ, else left alone.
pub(super) async fn put<R: Versioned>(
    txn: &DatabaseTransaction,
    actor: &Caller,
    current: Option<&R>,
    next: &mut R,
    now: DateTime<Utc>,
) -> Result<Put, AppError> {
    match current {
        None => {
            insert(txn, actor, next).await?;
            Ok(Put::Created)
        }
        Some(current) if current.snapshot() == next.snapshot() => Ok(Put::Unchanged),
        Some(current) => {
            save(txn, actor, (current, next), AuditAction::Update, now).await?;
            Ok(Put::Updated)
        }
    }
}

/// The CONFLICT of an import that names an archived record: archiving is
/// an editor's decision, which an import does not undo.
pub(super) fn archived(kind: &str, id: Uuid) -> AppError {
    AppError::conflict(
        format!("the {kind} {id} is archived in Kamkor; an import does not bring it back"),
        None,
    )
}

/// The CONFLICT of an edit made at another version than the stored one.
pub(super) fn expect_version<R: Versioned>(current: &R, expected: i32) -> Result<(), AppError> {
    let stored = current.row().version();
    if stored == expected {
        Ok(())
    } else {
        Err(stale(R::KIND, stored, current.snapshot()))
    }
}

/// Inserts a new record's row, audited as created; what it owns is the
/// caller's to write.
pub(super) async fn insert<R: Versioned>(
    txn: &DatabaseTransaction,
    actor: &Caller,
    record: &R,
) -> Result<(), AppError> {
    let row = record.row();
    <R::Row as VersionedRow>::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(txn)
        .await?;
    let entry = audit::Entry {
        entity: R::KIND,
        entity_id: row.id(),
        action: AuditAction::Create,
        before: &Value::Null,
        after: &record.snapshot(),
        version: row.version(),
    };
    audit::record(txn, actor, entry).await
}

/// Writes `next` at the version after `current`, changed at `now`, over
/// the stored row, if that is still at `current`'s version, and audits the
/// change as `action` (archiving stamps `archived_at` too); what the record
/// owns is the caller's to write. CONFLICT, with the stored record, when
/// someone else wrote first.
pub(super) async fn save<R: Versioned>(
    txn: &DatabaseTransaction,
    actor: &Caller,
    (current, next): (&R, &mut R),
    action: AuditAction,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (id, version) = (current.row().id(), current.row().version());
    next.row_mut().advance(version, now);
    if action == AuditAction::Archive {
        let archived_at = next
            .row_mut()
            .archived_at_mut()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a {} is not archived on its own", R::KIND)))?;
        *archived_at = Some(now);
    }
    let replaced = replace_if_version::<<R::Row as VersionedRow>::Entity>(
        txn,
        next.row().clone().into_active_model().reset_all(),
        (<R::Row as VersionedRow>::ID, id),
        (<R::Row as VersionedRow>::VERSION, version),
    )
    .await?;
    if !replaced {
        let stored = R::load(txn, id).await?;
        return Err(stale(R::KIND, stored.row().version(), stored.snapshot()));
    }
    let entry = audit::Entry {
        entity: R::KIND,
        entity_id: id,
        action,
        before: &current.snapshot(),
        after: &next.snapshot(),
        version: next.row().version(),
    };
    audit::record(txn, actor, entry).await
}

/// Writes `record` (already at its new version) over the stored one, if the
/// stored one is still at `expected`: the optimistic-concurrency check that
/// makes exactly one of two racing writers win. `false` when it lost.
async fn replace_if_version<E>(
    db: &impl ConnectionTrait,
    record: E::ActiveModel,
    id: (E::Column, sea_orm::prelude::Uuid),
    version: (E::Column, i32),
) -> Result<bool, AppError>
where
    E: EntityTrait,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let result = E::update_many()
        .set(record)
        .filter(id.0.eq(id.1))
        .filter(version.0.eq(version.1))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The error of a write that found the record at another version.
fn stale(kind: &str, version: i32, snapshot: serde_json::Value) -> AppError {
    AppError::conflict(
        format!("the {kind} was changed by someone else (it is at version {version}); reload it and try again"),
        Some(crate::error::CurrentState {
            version,
            values: snapshot,
        }),
    )
}
