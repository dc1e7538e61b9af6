//! Loading many records at once (the demo data, the benchmark's data):
//! collected in memory, their derived columns filled, then inserted in
//! chunks inside one transaction.

use entity::{
    admin_area, capacity, capacity_event, centre, centre_language, change_log, enums::RecordType, organization,
    service, service_area, service_at_centre, service_target_group,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel,
    PaginatorTrait, TransactionTrait,
};

use crate::{database, error::AppError, registry};

/// Rows per INSERT: far below SQLite's and PostgreSQL's bind-parameter limits
/// for our widest table.
const CHUNK: usize = 400;

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

async fn insert_chunks<A>(txn: &impl sea_orm::ConnectionTrait, rows: Vec<A>) -> Result<(), sea_orm::DbErr>
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn active<M: IntoActiveModel<A>, A: ActiveModelTrait>(rows: Vec<M>) -> Vec<A> {
    rows.into_iter().map(IntoActiveModel::into_active_model).collect()
}

impl Batch {
    /// Inserts everything in one transaction.
    pub async fn insert(self, db: &DatabaseConnection) -> Result<Summary, AppError> {
        let txn = db.begin().await?;
        let summary = self.write(&txn).await?;
        txn.commit().await?;
        Ok(summary)
    }

    /// Inserts everything in one transaction if the registry is empty;
    /// `None` when it already holds data. Replicas starting together on an
    /// empty database load the data exactly once.
    pub async fn insert_if_empty(self, db: &DatabaseConnection) -> Result<Option<Summary>, AppError> {
        let txn = db.begin().await?;
        database::lock_setup(&txn).await?;
        if !is_empty(&txn).await? {
            return Ok(None);
        }
        let summary = self.write(&txn).await?;
        txn.commit().await?;
        Ok(Some(summary))
    }

    /// Fills derived columns and inserts everything, parents first.
    async fn write(mut self, txn: &DatabaseTransaction) -> Result<Summary, AppError> {
        self.organizations
            .iter_mut()
            .for_each(registry::organization::fill_derived);
        let grid = self.public_grid;
        self.centres
            .iter_mut()
            .for_each(|c| registry::centre::fill_derived(c, grid));
        self.services.iter_mut().for_each(registry::service::fill_derived);
        super::take_write_turn(txn).await?;
        let changes = self.changes();
        let summary = Summary {
            areas: self.areas.len(),
            organizations: self.organizations.len(),
            centres: self.centres.len(),
            services: self.services.len(),
            placements: self.placements.len(),
            capacities: self.capacities.len(),
        };
        insert_chunks(txn, active::<_, admin_area::ActiveModel>(self.areas)).await?;
        insert_chunks(txn, active::<_, organization::ActiveModel>(self.organizations)).await?;
        insert_chunks(txn, active::<_, centre::ActiveModel>(self.centres)).await?;
        insert_chunks(txn, active::<_, centre_language::ActiveModel>(self.centre_languages)).await?;
        insert_chunks(txn, active::<_, service::ActiveModel>(self.services)).await?;
        insert_chunks(txn, active::<_, service_target_group::ActiveModel>(self.target_groups)).await?;
        insert_chunks(txn, active::<_, service_area::ActiveModel>(self.service_areas)).await?;
        insert_chunks(txn, active::<_, service_at_centre::ActiveModel>(self.placements)).await?;
        insert_chunks(txn, active::<_, capacity::ActiveModel>(self.capacities)).await?;
        insert_chunks(txn, active::<_, capacity_event::ActiveModel>(self.capacity_events)).await?;
        insert_chunks(txn, changes).await?;
        Ok(summary)
    }

    /// The change feed's rows for everything loaded, so that a mirror can
    /// be built from the feed alone.
    fn changes(&self) -> Vec<change_log::ActiveModel> {
        use super::changes::loaded;
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

/// True when the registry holds no administrative areas, i.e. nothing was
/// ever loaded.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    Ok(admin_area::Entity::find().count(db).await? == 0)
}
