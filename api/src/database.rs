//! Connecting to the database and migrating it, and reading result rows
//! by position (`row`).

pub mod row;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait,
};

use crate::config::{DatabaseSettings, redact_url};

/// Any PostgreSQL advisory-lock key works as long as every replica uses the
/// same one; this is "kamkor" in ASCII.
pub(crate) const SETUP_LOCK_KEY: i64 = 0x6b61_6d6b_6f72;

/// A pooled connection idle this long is checked before it is handed out;
/// a busy one is not (see [`connect`]).
const IDLE_BEFORE_PING: Duration = Duration::from_secs(5);

/// Rows a SQLite connection's thread may hand over before the request
/// takes them. sqlx's default of 50 made the thread stop and wait to be
/// woken in the middle of most loader batches (a `centres` page's services
/// are about 100 rows), although every statement's rows are collected whole
/// anyway: a larger buffer only moves where they wait, not how many are held.
/// 1,024 holds a loader batch of the largest page (100 centres) at ten
/// services a centre; a larger batch waits as before. Fewer waits and
/// wake-ups serve a `centres` page faster and with less CPU (figures in
/// `docs/benchmark.md`, "Figures behind the code").
const SQLITE_ROW_BUFFER: usize = 1024;

/// How much of a SQLite database file each connection reads through a
/// memory map instead of `pread` (SQLite caps it at its compile-time limit,
/// 2 GiB by default). Each connection's page cache holds 2 MB, far less
/// than a registry's hot pages, so without the map every miss copied a
/// page from the kernel's file cache, a large share of the server's CPU
/// under a load of `centres` pages. With it, the same pages are read in
/// place, for less server CPU per page (figures in `docs/benchmark.md`,
/// "Figures behind the code"). The mapped pages are the kernel's file
/// cache, shared and reclaimable; the process's resident size counts them
/// once per connection (see `kamkor bench`'s "own MB"). SQLite reads only
/// through the map, so a failing disk would stop the process with SIGBUS
/// instead of an I/O error: the same as for any memory-mapped database.
const SQLITE_MMAP_BYTES: u64 = 1 << 31;

/// How long start-up waits for the database's first connection. A request
/// waits for a pooled connection only `acquire_timeout` (a second by
/// default), which is right for a request but too short for a server that
/// starts beside a database still starting, or on a machine so loaded that
/// opening the first SQLite connection takes longer than a second.
const FIRST_CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// Opens a connection pool. SQLite gets WAL (readers never wait for the
/// writer), a busy timeout and foreign keys; PostgreSQL a statement timeout.
/// Lost connections are replaced by the pool as they are needed, so service
/// resumes by itself when the database returns. Start-up first opens one
/// connection of its own, given up to [`FIRST_CONNECTION_WAIT`], so a slow
/// start is not mistaken for a missing database; the pool then opens lazily.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.url.clone());
    let statement_timeout = format!("{}", settings.statement_timeout.as_millis());
    options
        .max_connections(settings.pool_size())
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(settings.acquire_timeout)
        .connect_lazy(true)
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(move |opts| opts.options([("statement_timeout", statement_timeout.as_str())]))
        .map_sqlx_sqlite_opts(|opts| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // Loaders' `IN (?, …)` lists make a statement per list length;
                // a smaller cache of prepared statements bounds their memory.
                .statement_cache_capacity(32)
                .row_buffer_size(SQLITE_ROW_BUFFER)
                .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string())
        });
    let opened = async {
        open_first_connection(&options).await?;
        Database::connect(options).await
    };
    opened
        .await
        .map_err(|err| anyhow::anyhow!("cannot open database {}: {}", redact_url(&settings.url), one_line(&err)))
}

/// Opens and closes one connection, given [`FIRST_CONNECTION_WAIT`] (sqlx
/// retries a refused connection within it). Pinging through the lazy pool
/// instead gave each attempt only a request's second: on a loaded machine
/// the first opening of a new SQLite file (creating it, switching it to
/// WAL) took longer, was cancelled, and began again from scratch, until
/// start-up failed. Once this connection has done that work, the pool's
/// own connections open an existing database.
async fn open_first_connection(options: &ConnectOptions) -> Result<(), sea_orm::DbErr> {
    let mut first = options.clone();
    first
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(FIRST_CONNECTION_WAIT)
        .connect_lazy(false);
    Database::connect(first).await?.close().await
}

/// Brings the schema up to date. On PostgreSQL several replicas may start at
/// once: the migrations run in one transaction holding an advisory lock, so
/// exactly one replica migrates and the others then find nothing to do.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            lock_setup(&txn).await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await?;
        }
        _ => Migrator::up(db, None).await?,
    }
    Ok(())
}

/// Serialises set-up work (migrations, first data load) across replicas that
/// start together: on PostgreSQL, an advisory lock held until `txn` ends. On
/// SQLite the first write of a transaction already takes the database lock.
pub async fn lock_setup(txn: &DatabaseTransaction) -> Result<(), sea_orm::DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({SETUP_LOCK_KEY})"))
            .await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load, as a production
/// database's autovacuum would. On PostgreSQL that is a vacuum too: it
/// marks the freshly loaded pages all-visible, without which no index-only
/// scan can skip the table, and a centres page reads the table's rows too
/// (figures in `docs/benchmark.md`, "Figures behind the code").
pub async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let statement = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "VACUUM (ANALYZE)",
        _ => "ANALYZE",
    };
    db.execute_unprepared(statement).await.map(|_| ())
}

/// A database error as one line, for start-up messages.
fn one_line(err: &sea_orm::DbErr) -> String {
    err.to_string().replace('\n', " ")
}

/// Whether the database answers, as the watchdog last saw it (see
/// [`Reachability::watch`]).
///
/// A database that has stopped answering (a network partition, a frozen
/// host) leaves connections open: each request would wait its whole time
/// limit for a statement that never returns, and hold a worker meanwhile.
/// Once the watchdog knows better, requests are answered at once.
pub struct Reachability {
    reachable: std::sync::atomic::AtomicBool,
}

/// How long the watchdog waits for an answer, as `/readyz` does.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// How often it asks while the database answers.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How often it asks while the database does not: its return is noticed
/// within this of its first answer.
const PROBE_AGAIN_EVERY: Duration = Duration::from_millis(100);

impl Reachability {
    /// Starts watching `db` for as long as the process runs: reachable
    /// until a probe finds otherwise.
    pub fn watch(db: DatabaseConnection) -> std::sync::Arc<Self> {
        let reachability = std::sync::Arc::new(Self {
            reachable: std::sync::atomic::AtomicBool::new(true),
        });
        let watched = reachability.clone();
        tokio::spawn(async move {
            loop {
                let answered = matches!(tokio::time::timeout(PROBE_TIMEOUT, db.ping()).await, Ok(Ok(())));
                let was = watched.reachable.swap(answered, std::sync::atomic::Ordering::AcqRel);
                match (was, answered) {
                    (true, false) => tracing::warn!("the database does not answer; requests are refused until it does"),
                    (false, true) => tracing::info!("the database answers again"),
                    _ => {}
                }
                tokio::time::sleep(if answered { PROBE_EVERY } else { PROBE_AGAIN_EVERY }).await;
            }
        });
        reachability
    }

    pub fn is_reachable(&self) -> bool {
        self.reachable.load(std::sync::atomic::Ordering::Acquire)
    }
}
