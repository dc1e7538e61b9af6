//! Events: what subscribers hear after a change commits.
//!
//! Two carriers, one interface. On SQLite (one process) events go straight
//! to this process's subscribers once the transaction has committed. On
//! PostgreSQL (several replicas) a write queues a `NOTIFY` inside its own
//! transaction: the database delivers it to every replica's listener when,
//! and only when, the transaction commits, and each listener hands it to
//! its process's subscribers. A listener that loses its connection catches
//! up on reconnecting by reading the capacities changed meanwhile, so that
//! subscribers are never silently left without a change.
//!
//! The same carriers tell every replica that reference data changed, so
//! that each empties its [`ReferenceCache`] (on a second channel, which
//! carries no payload).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::enums::{CapacityUnit, ServiceCategory};
use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, prelude::Uuid, sqlx::postgres::PgListener};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::reference::ReferenceCache;
use crate::error::AppError;

/// Events a slow subscriber may fall behind by before it misses some.
const BUFFER: usize = 1024;
/// How far back a listener that lost its connection reads the changes it
/// may have missed: the outage, plus room for clocks that disagree.
const CATCH_UP_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// A committed change to a capacity, with what subscribers filter on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapacityChanged {
    pub capacity_id: Uuid,
    pub service_at_centre_id: Uuid,
    pub centre_id: Uuid,
    pub service_id: Uuid,
    pub category: ServiceCategory,
    /// The materialised path of the centre's area, for area filters.
    pub area_path: String,
    /// Whether the centre, the service or the service at the centre is
    /// archived: only those who see archived records hear of it.
    pub archived: bool,
    pub unit: CapacityUnit,
    pub maximum: i32,
    pub available: i32,
    pub waitlist: i32,
    pub updated: DateTime<Utc>,
    pub updated_by: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What one subscriber wants to hear of.
#[derive(Clone, Debug, Default)]
pub struct CapacityFilter {
    /// Centres in this area (a materialised path prefix) only.
    pub area_path: Option<String>,
    pub centre_id: Option<Uuid>,
    /// Services of these categories only; empty means all.
    pub categories: Vec<ServiceCategory>,
    /// Whether the subscriber sees archived centres and services.
    pub sees_archived: bool,
}

impl CapacityFilter {
    pub fn matches(&self, event: &CapacityChanged) -> bool {
        (self.sees_archived || !event.archived)
            && self
                .area_path
                .as_ref()
                .is_none_or(|path| event.area_path.starts_with(path))
            && self.centre_id.is_none_or(|id| event.centre_id == id)
            && (self.categories.is_empty() || self.categories.contains(&event.category))
    }
}

/// Reads the capacities changed since a time, as events, for a listener
/// that was not listening meanwhile (`capacity::changed_since`, handed in
/// by whoever connects the events, so that the carrier of the events knows
/// nothing of the records they tell of).
pub type ChangedSince =
    for<'a> fn(&'a DatabaseConnection, DateTime<Utc>) -> BoxFuture<'a, Result<Vec<CapacityChanged>, AppError>>;

/// This process's end of the event stream.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<CapacityChanged>,
    /// The PostgreSQL channels the replicas of one registry talk on; `None`
    /// on SQLite.
    channels: Option<Channels>,
    reference: Arc<ReferenceCache>,
}

#[derive(Clone)]
struct Channels {
    capacities: String,
    reference: String,
}

impl Events {
    /// Events within this process only (SQLite), keeping `reference` true.
    pub fn in_process(reference: Arc<ReferenceCache>) -> Self {
        Self {
            local: broadcast::channel(BUFFER).0,
            channels: None,
            reference,
        }
    }

    /// The events of the registry in `db`: in process on SQLite; through
    /// PostgreSQL, with a listener task of this process, on PostgreSQL. The
    /// channel is named after the database schema, so that registries
    /// sharing a database (tests, staging) do not hear each other.
    pub async fn connect(
        db: &DatabaseConnection,
        reference: Arc<ReferenceCache>,
        changed_since: ChangedSince,
    ) -> Result<Self, AppError> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self::in_process(reference));
        }
        let schema: Option<String> = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT current_schema()"))
            .await?
            .and_then(|row| row.try_get_by_index(0).ok());
        let schema: String = schema
            .unwrap_or_else(|| "public".to_owned())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        let events = Self {
            local: broadcast::channel(BUFFER).0,
            channels: Some(Channels {
                capacities: format!("kamkor_events_{schema}"),
                reference: format!("kamkor_reference_{schema}"),
            }),
            reference,
        };
        events.listen(db.clone(), changed_since).await?;
        Ok(events)
    }

    /// A new subscriber: every event from now on (a bounded buffer: a
    /// subscriber that falls more than [`BUFFER`] events behind is told it
    /// lagged).
    pub fn subscribe(&self) -> broadcast::Receiver<CapacityChanged> {
        self.local.subscribe()
    }

    /// Hands an event to this process's subscribers (the PostgreSQL
    /// listener, and SQLite writes after commit).
    pub fn deliver(&self, event: CapacityChanged) {
        // No subscriber is no error.
        let _ = self.local.send(event);
    }

    /// This replica's cache of reference data, which these events keep
    /// true.
    pub fn reference_cache(&self) -> &Arc<ReferenceCache> {
        &self.reference
    }

    /// An outbox for one write transaction.
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox {
            events: self,
            queued: Vec::new(),
            reference_changed: false,
        }
    }
}

/// The events of one write, released only by its commit.
pub struct Outbox<'a> {
    events: &'a Events,
    queued: Vec<CapacityChanged>,
    reference_changed: bool,
}

impl Outbox<'_> {
    /// Queues an event with the transaction `txn` that makes it true.
    pub async fn push(&mut self, txn: &impl ConnectionTrait, event: CapacityChanged) -> Result<(), AppError> {
        match &self.events.channels {
            Some(channels) => {
                let payload = serde_json::to_string(&event).map_err(|e| AppError::Internal(e.into()))?;
                notify(txn, &channels.capacities, payload).await?;
            }
            None => self.queued.push(event),
        }
        Ok(())
    }

    /// Queues word, with the transaction `txn` that changes reference data,
    /// that every replica must forget what it kept of it.
    pub async fn reference_changed(&mut self, txn: &impl ConnectionTrait) -> Result<(), AppError> {
        if let Some(channels) = &self.events.channels {
            notify(txn, &channels.reference, String::new()).await?;
        }
        self.reference_changed = true;
        Ok(())
    }

    /// After the commit: on SQLite, the events go to this process's
    /// subscribers (PostgreSQL has delivered them already); this replica
    /// forgets changed reference data at once, without waiting for the
    /// database's word.
    pub fn committed(self) {
        if self.reference_changed {
            self.events.reference.invalidate();
        }
        for event in self.queued {
            self.events.deliver(event);
        }
    }
}

async fn notify(txn: &impl ConnectionTrait, channel: &str, payload: String) -> Result<(), AppError> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

impl Events {
    /// Listens on the channels until the listener is ready, then keeps
    /// listening in a task of its own: a lost connection is replaced, the
    /// capacities changed meanwhile are delivered as events, so that no
    /// subscriber is left with a stale view, and the reference cache is
    /// emptied, as an edit may have gone unheard.
    async fn listen(&self, db: DatabaseConnection, changed_since: ChangedSince) -> Result<(), AppError> {
        let Some(channels) = self.channels.clone() else {
            return Ok(());
        };
        let pool = db.get_postgres_connection_pool().clone();
        let mut listener = subscribe(&pool, &channels)
            .await
            .map_err(|err| AppError::Internal(anyhow::anyhow!("cannot listen on {}: {err}", channels.capacities)))?;
        let events = self.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) if notification.channel() == channels.reference => {
                        events.reference.invalidate();
                    }
                    Ok(Some(notification)) => match serde_json::from_str(notification.payload()) {
                        Ok(event) => events.deliver(event),
                        Err(err) => tracing::warn!(error = %err, "an event that does not parse"),
                    },
                    Ok(None) | Err(_) => {
                        let lost_at = Utc::now();
                        tracing::warn!("lost the event listener's connection; reconnecting");
                        events.reference.invalidate();
                        listener = reconnect(&pool, &channels).await;
                        events.reference.invalidate();
                        events.catch_up(changed_since(&db, lost_at - CATCH_UP_MARGIN)).await;
                    }
                }
            }
        });
        Ok(())
    }

    /// Delivers the capacities `changed` read, once listening again.
    async fn catch_up(&self, changed: BoxFuture<'_, Result<Vec<CapacityChanged>, AppError>>) {
        match changed.await {
            Ok(changes) => {
                tracing::info!(
                    changes = changes.len(),
                    "caught up on the changes made while not listening"
                );
                changes.into_iter().for_each(|event| self.deliver(event));
            }
            Err(err) => tracing::error!(error = %err, "cannot catch up on missed changes"),
        }
    }
}

async fn subscribe(pool: &sea_orm::sqlx::PgPool, channels: &Channels) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([channels.capacities.as_str(), channels.reference.as_str()])
        .await?;
    Ok(listener)
}

/// A new listener, retried every second until the database answers.
async fn reconnect(pool: &sea_orm::sqlx::PgPool, channels: &Channels) -> PgListener {
    loop {
        match subscribe(pool, channels).await {
            Ok(listener) => return listener,
            Err(err) => {
                tracing::warn!(error = %err, "the event listener cannot reconnect yet");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}
