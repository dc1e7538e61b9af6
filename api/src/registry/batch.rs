//! Loading many records at once (the demo data, the benchmark's data):
//! collected in memory, their derived columns filled, then written inside
//! one transaction: by COPY on PostgreSQL, in multi-row INSERTs on SQLite
//! (which runs in this process, where an INSERT costs no round trip).

mod copy;

use entity::{
    admin_area, capacity, capacity_event, centre, centre_language, change_feed, enums::RecordType, organization,
    service, service_area, service_at_centre, service_target_group,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, TransactionTrait,
};

use crate::{database, error::AppError, registry};

/// Rows per INSERT: far below SQLite's and PostgreSQL's bind-parameter limits
/// for our widest table.
const CHUNK: usize = 400;

/// Rows from which a batch rebuilds the tables' indexes (and on PostgreSQL
/// their constraints) after its rows are in, rather than maintaining them
/// row by row: a rebuild costs the whole table, data already there
/// included, so only a big batch gains.
const REBUILD_FROM_ROWS: usize = 100_000;

/// Records to insert together.
#[derive(Default)]
pub struct Batch {
    pub areas: Vec<admin_area::Model>,
    pub organizations: Vec<organization::Model>,
    pub centres: Vec<centre::Model>,
    pub centre_languages: Vec<centre_language::Model>,
    pub services: Vec<service::Model>,
    pub target_groups: Vec<service_target_group::Model>,
    pub service_areas: Vec<service_area::Model>,
    pub placements: Vec<service_at_centre::Model>,
    pub capacities: Vec<capacity::Model>,
    pub capacity_events: Vec<capacity_event::Model>,
    /// The grid confidential centres' public locations are snapped to.
    pub public_grid: registry::geo::PublicGrid,
}

/// Counts of what a batch inserted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub areas: usize,
    pub organizations: usize,
    pub centres: usize,
    pub services: usize,
    pub placements: usize,
    pub capacities: usize,
}

/// Where a batch's rows go, one table at a time.
trait Sink {
    async fn put<A>(&mut self, rows: Vec<A>) -> Result<(), AppError>
    where
        A: ActiveModelTrait + Send;
}

/// Multi-row INSERTs inside a sea-orm transaction.
struct Inserts<'t>(&'t DatabaseTransaction);

impl Sink for Inserts<'_> {
    async fn put<A>(&mut self, rows: Vec<A>) -> Result<(), AppError>
    where
        A: ActiveModelTrait + Send,
    {
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
            <A::Entity as EntityTrait>::insert_many(chunk)
                .exec_without_returning(self.0)
                .await?;
        }
        Ok(())
    }
}

fn active<M: IntoActiveModel<A>, A: ActiveModelTrait>(rows: Vec<M>) -> Vec<A> {
    rows.into_iter().map(IntoActiveModel::into_active_model).collect()
}

impl Batch {
    /// Inserts everything in one transaction.
    pub async fn insert(self, db: &DatabaseConnection) -> Result<Summary, AppError> {
        // Without the emptiness condition a load always happens.
        Ok(self.load(db, false).await?.unwrap_or_default())
    }

    /// Inserts everything in one transaction if the registry is empty;
    /// `None` when it already holds data. Replicas starting together on an
    /// empty database load the data exactly once.
    pub async fn insert_if_empty(self, db: &DatabaseConnection) -> Result<Option<Summary>, AppError> {
        self.load(db, true).await
    }

    async fn load(self, db: &DatabaseConnection, only_if_empty: bool) -> Result<Option<Summary>, AppError> {
        if db.get_database_backend() == DbBackend::Postgres {
            return copy::load(self, db.get_postgres_connection_pool(), only_if_empty).await;
        }
        let txn = db.begin().await?;
        if only_if_empty {
            database::lock_setup(&txn).await?;
            if !is_empty(&txn).await? {
                return Ok(None);
            }
        }
        super::take_write_turn(&txn).await?;
        let set_aside = if self.rows() >= REBUILD_FROM_ROWS {
            set_aside_sqlite_indexes(&txn).await?
        } else {
            Vec::new()
        };
        let summary = self.write(&mut Inserts(&txn)).await?;
        for create in set_aside {
            txn.execute_unprepared(&create).await?;
        }
        txn.commit().await?;
        Ok(Some(summary))
    }

    /// Fills derived columns and writes everything, parents first, inside
    /// a transaction that holds the write turn.
    async fn write(mut self, sink: &mut impl Sink) -> Result<Summary, AppError> {
        self.organizations
            .iter_mut()
            .for_each(registry::organization::fill_derived);
        let grid = self.public_grid;
        self.centres
            .iter_mut()
            .for_each(|c| registry::centre::fill_derived(c, grid));
        self.services.iter_mut().for_each(registry::service::fill_derived);
        let changes = self.changes();
        let summary = Summary {
            areas: self.areas.len(),
            organizations: self.organizations.len(),
            centres: self.centres.len(),
            services: self.services.len(),
            placements: self.placements.len(),
            capacities: self.capacities.len(),
        };
        sink.put(active::<_, admin_area::ActiveModel>(self.areas)).await?;
        sink.put(active::<_, organization::ActiveModel>(self.organizations))
            .await?;
        sink.put(active::<_, centre::ActiveModel>(self.centres)).await?;
        sink.put(active::<_, centre_language::ActiveModel>(self.centre_languages))
            .await?;
        sink.put(active::<_, service::ActiveModel>(self.services)).await?;
        sink.put(active::<_, service_target_group::ActiveModel>(self.target_groups))
            .await?;
        sink.put(active::<_, service_area::ActiveModel>(self.service_areas))
            .await?;
        sink.put(active::<_, service_at_centre::ActiveModel>(self.placements))
            .await?;
        sink.put(active::<_, capacity::ActiveModel>(self.capacities)).await?;
        sink.put(active::<_, capacity_event::ActiveModel>(self.capacity_events))
            .await?;
        sink.put(changes).await?;
        Ok(summary)
    }

    /// Rows the batch writes (its change feed included).
    fn rows(&self) -> usize {
        // Each of these records has a row of its own and one in the feed.
        let in_the_feed = self.organizations.len()
            + self.centres.len()
            + self.services.len()
            + self.placements.len()
            + self.capacities.len();
        2 * in_the_feed
            + self.areas.len()
            + self.centre_languages.len()
            + self.target_groups.len()
            + self.service_areas.len()
            + self.capacity_events.len()
    }

    /// The tables a batch writes.
    fn tables() -> [&'static str; 11] {
        use sea_orm::EntityName;
        [
            admin_area::Entity.table_name(),
            organization::Entity.table_name(),
            centre::Entity.table_name(),
            centre_language::Entity.table_name(),
            service::Entity.table_name(),
            service_target_group::Entity.table_name(),
            service_area::Entity.table_name(),
            service_at_centre::Entity.table_name(),
            capacity::Entity.table_name(),
            capacity_event::Entity.table_name(),
            change_feed::Entity.table_name(),
        ]
    }

    /// The change feed's rows for everything loaded, so that a mirror can
    /// be built from the feed alone.
    fn changes(&self) -> Vec<change_feed::ActiveModel> {
        use super::change_feed::loaded;
        let organizations = self
            .organizations
            .iter()
            .map(|m| loaded(RecordType::Organization, m.id, m.version, m.archived_at.is_some()));
        let centres = self
            .centres
            .iter()
            .map(|m| loaded(RecordType::Centre, m.id, m.version, m.archived_at.is_some()));
        let services = self
            .services
            .iter()
            .map(|m| loaded(RecordType::Service, m.id, m.version, m.archived_at.is_some()));
        let placements = self
            .placements
            .iter()
            .map(|m| loaded(RecordType::ServiceAtCentre, m.id, m.version, m.archived_at.is_some()));
        let capacities = self
            .capacities
            .iter()
            .map(|m| loaded(RecordType::Capacity, m.id, m.version, false));
        organizations
            .chain(centres)
            .chain(services)
            .chain(placements)
            .chain(capacities)
            .collect()
    }
}

/// Drops the indexes SQLite lets go of (not those of primary keys and
/// unique columns, which it builds itself) on the tables a batch writes;
/// returns the statements that recreate them. SQLite checks foreign keys
/// with the parent's primary key, which stays.
async fn set_aside_sqlite_indexes(txn: &DatabaseTransaction) -> Result<Vec<String>, AppError> {
    use sea_orm::{Statement, Value};
    let tables = Batch::tables();
    let placeholders = vec!["?"; tables.len()].join(", ");
    let indexes = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({placeholders})"
            ),
            tables.iter().map(|t| Value::from(*t)),
        ))
        .await?;
    let mut recreate = Vec::with_capacity(indexes.len());
    for row in indexes {
        let name: String = row.try_get_by_index(0)?;
        recreate.push(row.try_get_by_index(1)?);
        txn.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
            .await?;
    }
    Ok(recreate)
}

/// True when the registry holds no administrative areas, i.e. nothing was
/// ever loaded.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    Ok(admin_area::Entity::find().count(db).await? == 0)
}
