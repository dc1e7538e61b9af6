//! Look-ups of records by primary key, batched across the requests of this
//! replica.
//!
//! A request's own loaders batch the ids of one request; these batch the ids
//! that all requests in flight ask for within a loader's wait into one
//! statement. Under load a `node` look-up then shares its statement, its
//! pooled connection (and the ping sqlx sends on returning it to the pool)
//! and its timer with the look-ups of other callers, instead of paying for
//! each alone: the statement, its round trips and the wake-ups they cause
//! were most of the CPU a look-up took, in the server and in PostgreSQL.
//!
//! Nothing is cached here: a batch is read after every request in it has
//! asked, so each sees the records as the database holds them at or after
//! that moment, the same as a statement of its own would. Records are read
//! as stored; each request's resolvers redact them for its caller.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader, NoCache};
use sea_orm::{DatabaseConnection, prelude::Uuid};

use super::{capacity::CapacityById, centre::CentreById, service::ServiceById, service_at_centre::ServiceAtCentreById};

/// This replica's loaders of records by id, shared by its requests.
pub struct SharedLookups {
    centre: Arc<DataLoader<CentreById, NoCache>>,
    service: Arc<DataLoader<ServiceById, NoCache>>,
    capacity: Arc<DataLoader<CapacityById, NoCache>>,
    service_at_centre: Arc<DataLoader<ServiceAtCentreById, NoCache>>,
}

impl SharedLookups {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            centre: shared(CentreById(db.clone())),
            service: shared(ServiceById(db.clone())),
            capacity: shared(CapacityById(db.clone())),
            service_at_centre: shared(ServiceAtCentreById(db.clone())),
        }
    }

    pub(super) fn centre(&self) -> DataLoader<Through<CentreById>, HashMapCache> {
        through(&self.centre)
    }

    pub(super) fn service(&self) -> DataLoader<Through<ServiceById>, HashMapCache> {
        through(&self.service)
    }

    pub(super) fn capacity(&self) -> DataLoader<Through<CapacityById>, HashMapCache> {
        through(&self.capacity)
    }

    pub(super) fn service_at_centre(&self) -> DataLoader<Through<ServiceAtCentreById>, HashMapCache> {
        through(&self.service_at_centre)
    }
}

/// A shared loader waits async-graphql's 1 ms for the ids of every request
/// in flight, and keeps nothing.
fn shared<L: Loader<Uuid>>(inner: L) -> Arc<DataLoader<L, NoCache>> {
    Arc::new(DataLoader::new(inner, tokio::spawn))
}

/// A request's loader of records by id, reading through the shared one.
/// It keeps what its request read (so that the request sees one version of
/// each record) and passes each load on at once, without a wait of its own
/// (a batch of one is sent as soon as it is asked for): the shared loader's
/// wait gathers the request's other ids with everyone else's, so that a
/// request waits once, as it did with a loader of its own.
fn through<L: Loader<Uuid>>(shared: &Arc<DataLoader<L, NoCache>>) -> DataLoader<Through<L>, HashMapCache> {
    DataLoader::with_cache(Through(shared.clone()), tokio::spawn, HashMapCache::default()).max_batch_size(1)
}

/// Loads a request's ids through a replica's shared loader.
pub struct Through<L: Loader<Uuid>>(Arc<DataLoader<L, NoCache>>);

impl<L: Loader<Uuid>> Loader<Uuid> for Through<L> {
    type Value = L::Value;
    type Error = L::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        self.0.load_many(keys.iter().copied()).await
    }
}
