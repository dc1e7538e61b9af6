//! Reference data kept by each replica: administrative areas and
//! organizations, which nearly every list of centres and services names and
//! which change a few times a year. Kept, they cost a list no statement:
//! findHelp went from three statements to one, and a list filtered by an
//! area code (the centres page) from four to three.
//!
//! What is kept is the stored record, read from the database by the
//! concept's own module (`admin_area`, `organization`), which hands the
//! cache its reader; what a caller may see of it is decided per request,
//! as for any record. Capacities and everything else are always read
//! afresh.
//!
//! An edit of an organization empties the cache of every replica: of its
//! own once the edit has committed, of the others through the event
//! channel (see [`super::events`]), which PostgreSQL delivers on commit. A
//! replica that lost the channel empties its cache when it listens again,
//! as it may have missed an edit. Areas are only ever added (by bulk
//! loads), and a new id or code is never in a cache: nothing records an
//! absence.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use entity::{admin_area, organization};
use sea_orm::prelude::Uuid;

use crate::error::AppError;

/// Records a table keeps at most; beyond, the rest is read each time.
const MAX_RECORDS: usize = 20_000;

/// This replica's areas and organizations.
#[derive(Default)]
pub struct ReferenceCache {
    areas: Table<Uuid, admin_area::Model>,
    /// The same areas by code, as filters name them.
    areas_by_code: Table<String, admin_area::Model>,
    organizations: Table<Uuid, organization::Model>,
}

impl ReferenceCache {
    /// Areas by id: those kept, and the others from `fetch`.
    pub async fn areas(
        &self,
        ids: &[Uuid],
        fetch: impl AsyncFnOnce(&[Uuid]) -> Result<HashMap<Uuid, admin_area::Model>, AppError>,
    ) -> Result<HashMap<Uuid, Arc<admin_area::Model>>, AppError> {
        self.areas.get(ids, fetch).await
    }

    /// Areas by code: those kept, and the others from `fetch`.
    pub async fn areas_by_code(
        &self,
        codes: &[String],
        fetch: impl AsyncFnOnce(&[String]) -> Result<HashMap<String, admin_area::Model>, AppError>,
    ) -> Result<HashMap<String, Arc<admin_area::Model>>, AppError> {
        self.areas_by_code.get(codes, fetch).await
    }

    /// Organizations by id: those kept, and the others from `fetch`.
    pub async fn organizations(
        &self,
        ids: &[Uuid],
        fetch: impl AsyncFnOnce(&[Uuid]) -> Result<HashMap<Uuid, organization::Model>, AppError>,
    ) -> Result<HashMap<Uuid, Arc<organization::Model>>, AppError> {
        self.organizations.get(ids, fetch).await
    }

    /// Forgets everything: reference data has changed.
    pub fn invalidate(&self) {
        self.areas.clear();
        self.areas_by_code.clear();
        self.organizations.clear();
    }
}

struct Table<K, T> {
    state: Mutex<State<K, T>>,
}

struct State<K, T> {
    /// Counts the clearings, so that a read that began before one cannot
    /// put what it read (perhaps the old version) into the cleared cache.
    generation: u64,
    records: HashMap<K, Arc<T>>,
}

impl<K, T> Default for Table<K, T> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                generation: 0,
                records: HashMap::new(),
            }),
        }
    }
}

impl<K: Eq + Hash + Clone, T> Table<K, T> {
    /// The records with these keys: those kept, and the others from `fetch`
    /// (then kept, unless the table was cleared meanwhile).
    async fn get(
        &self,
        ids: &[K],
        fetch: impl AsyncFnOnce(&[K]) -> Result<HashMap<K, T>, AppError>,
    ) -> Result<HashMap<K, Arc<T>>, AppError> {
        let (mut found, missing, generation) = self.kept(ids);
        if missing.is_empty() {
            return Ok(found);
        }
        let fetched: HashMap<K, Arc<T>> = fetch(&missing)
            .await?
            .into_iter()
            .map(|(id, record)| (id, Arc::new(record)))
            .collect();
        self.keep(generation, &fetched);
        found.extend(fetched);
        Ok(found)
    }

    fn kept(&self, ids: &[K]) -> (HashMap<K, Arc<T>>, Vec<K>, u64) {
        let state = self.lock();
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match state.records.get(id) {
                Some(record) => {
                    found.insert(id.clone(), record.clone());
                }
                None => missing.push(id.clone()),
            }
        }
        (found, missing, state.generation)
    }

    fn keep(&self, read_in_generation: u64, fetched: &HashMap<K, Arc<T>>) {
        let mut state = self.lock();
        if state.generation != read_in_generation {
            return;
        }
        let room = MAX_RECORDS.saturating_sub(state.records.len());
        for (id, record) in fetched.iter().take(room) {
            state.records.insert(id.clone(), record.clone());
        }
    }

    fn clear(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.records.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K, T>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_read_begun_before_a_clearing_keeps_nothing() {
        let table = Table::<Uuid, &str>::default();
        let id = Uuid::from_u128(1);
        let (_, missing, generation) = table.kept(&[id]);
        assert_eq!(missing, vec![id]);
        table.clear();
        table.keep(generation, &HashMap::from([(id, Arc::new("old name"))]));
        let (found, missing, _) = table.kept(&[id]);
        assert!(found.is_empty(), "kept a record read before the clearing");
        assert_eq!(missing, vec![id]);

        let fetched = table
            .get(&[id], async |_| Ok(HashMap::from([(id, "new name")])))
            .await
            .expect("fetched");
        assert_eq!(*fetched[&id], "new name");
        let kept = table
            .get(&[id], async |_| {
                Err(AppError::Internal(anyhow::anyhow!("read again a record that is kept")))
            })
            .await
            .expect("kept");
        assert_eq!(*kept[&id], "new name");
    }
}
