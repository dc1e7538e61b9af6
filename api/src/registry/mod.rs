//! The registry's domain layer: every SQL statement and every rule of the
//! registry, one module per concept, knowing nothing of GraphQL or HTTP.
//!
//! Functions take `&impl ConnectionTrait` (so they also work inside a
//! transaction) and return `Result<_, AppError>`. The GraphQL layer, its
//! DataLoaders included, only calls into these modules.

pub mod access;
pub mod admin_area;
pub mod audit;
pub mod batch;
pub mod capacity;
pub mod centre;
pub mod centre_lists;
pub mod change_feed;
pub mod directory;
pub mod events;
pub mod find_help;
pub mod geo;
pub mod hold;
pub mod lifecycle;
pub mod organization;
pub mod overview;
pub mod record;
pub mod reference;
pub mod search;
pub mod service;
pub mod service_at_centre;
pub mod text;
pub mod validate;

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select, sea_query::SimpleExpr};

use crate::error::AppError;

/// Whether a list reads the details of its records (see
/// `service::ServiceDetails`, `capacity::CapacityDetails`): only when its
/// request selects one of the fields resolved from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detail {
    Brief,
    Full,
}

/// A slice of an ordered result: skip `offset` rows, return at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// The current time at the precision both databases keep (PostgreSQL
/// stores microseconds; SQLite would keep nanoseconds), so that a record
/// reads back the same on either.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// The database's current time, for times that replicas must agree on
/// (when a hold is due). Replicas' clocks may drift apart; they share one
/// database. On SQLite the database runs in this process: its clock is ours.
pub async fn database_now(db: &impl ConnectionTrait) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    use sea_orm::{DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(now());
    }
    let statement = Statement::from_string(DbBackend::Postgres, "SELECT statement_timestamp() AS now");
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the database did not tell the time")))?;
    Ok(row.try_get::<chrono::DateTime<chrono::Utc>>("", "now")?)
}

/// SQL: the database's current time (see [`database_now`]), inside a
/// statement, so that comparing with it costs no round trip of its own.
pub fn database_now_sql(backend: sea_orm::DbBackend) -> SimpleExpr {
    match backend {
        sea_orm::DbBackend::Postgres => sea_orm::sea_query::Expr::cust("statement_timestamp()"),
        _ => sea_orm::sea_query::Expr::value(now()),
    }
}

/// What lists of named records (organizations, services) are ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedOrderField {
    Name,
    UpdatedAt,
}

/// The order of a list of named records.
#[derive(Clone, Copy, Debug)]
pub struct NamedOrder {
    pub field: NamedOrderField,
    pub direction: Direction,
    /// The language whose names `Name` sorts by.
    pub lang: text::Lang,
}

impl NamedOrder {
    /// By name, in the request's language.
    pub fn by_name(lang: text::Lang) -> Self {
        Self {
            field: NamedOrderField::Name,
            direction: Direction::Asc,
            lang,
        }
    }

    /// `select` in this order, then by `id` (so that pages never overlap),
    /// given the record's name sort keys and change time as `columns`.
    fn apply<E: EntityTrait>(
        &self,
        select: Select<E>,
        (name_ky, name_ru, updated_at): (E::Column, E::Column, E::Column),
        id: E::Column,
    ) -> Select<E> {
        use sea_orm::QueryOrder;
        let sort = match (self.field, self.lang) {
            (NamedOrderField::Name, text::Lang::Ru) => name_ru,
            (NamedOrderField::Name, text::Lang::Ky | text::Lang::En) => name_ky,
            (NamedOrderField::UpdatedAt, _) => updated_at,
        };
        select.order_by(sort, self.direction.into()).order_by_asc(id)
    }
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl From<Direction> for sea_orm::Order {
    fn from(direction: Direction) -> Self {
        match direction {
            Direction::Asc => sea_orm::Order::Asc,
            Direction::Desc => sea_orm::Order::Desc,
        }
    }
}

/// A filtered, ordered query over one kind of record, ready to be counted
/// and read a window at a time.
pub struct Listing<E: EntityTrait>(Select<E>);

impl<E: EntityTrait> Listing<E>
where
    E::Model: Sync,
{
    pub(crate) fn new(select: Select<E>) -> Self {
        Self(select)
    }

    /// The number of records across all windows.
    pub async fn count(&self, db: &impl ConnectionTrait) -> Result<u64, AppError> {
        Ok(self.0.clone().count(db).await?)
    }

    /// The records of one window, in order.
    pub async fn window(&self, db: &impl ConnectionTrait, window: Window) -> Result<Vec<E::Model>, AppError> {
        Ok(self.0.clone().offset(window.offset).limit(window.limit).all(db).await?)
    }

    /// One window, in order, of `columns` as `read` reads them (a record's
    /// summary rather than the whole record), each row followed by the
    /// values of `correlated`: subqueries on the window's records, which
    /// refer to them by the entity's own table name.
    ///
    /// With subqueries the window is read from a derived table of that
    /// name, `SELECT t.*, (…) FROM (SELECT … LIMIT … OFFSET …) AS t`, so
    /// that they run once for each record of the window, after the
    /// database has filtered, sorted and cut it (on the table itself they
    /// would run for every candidate before the sort). Neither engine
    /// merges a derived table with an `OFFSET` into the outer query, and
    /// both keep its order when the outer query neither joins nor sorts.
    pub async fn window_with<T>(
        &self,
        db: &impl ConnectionTrait,
        window: Window,
        columns: Vec<SimpleExpr>,
        correlated: Vec<SimpleExpr>,
        read: impl Fn(&crate::database::row::Row<'_>) -> Result<T, sea_orm::DbErr>,
    ) -> Result<Vec<T>, AppError> {
        use sea_orm::{
            QueryTrait,
            sea_query::{Alias, Asterisk, Expr, Query},
        };
        let mut query = self.0.clone().select_only();
        for column in columns {
            query = query.expr(column);
        }
        let query = query.offset(window.offset).limit(window.limit).into_query();
        let backend = db.get_database_backend();
        let statement = if correlated.is_empty() {
            backend.build(&query)
        } else {
            let table = Alias::new(E::default().table_name());
            let mut outer = Query::select();
            outer
                .expr(Expr::col((table.clone(), Asterisk)))
                .exprs(correlated)
                .from_subquery(query, table);
            backend.build(&outer)
        };
        crate::database::row::read_all(db, statement, read).await
    }
}

/// `min <= age <= max` for a pair of optional age columns; a missing bound
/// does not limit.
pub fn ages_include<C: sea_orm::ColumnTrait>(min: C, max: C, age: i32) -> sea_orm::Condition {
    use sea_orm::Condition;
    Condition::all()
        .add(Condition::any().add(min.is_null()).add(min.lte(age)))
        .add(Condition::any().add(max.is_null()).add(max.gte(age)))
}

/// Records of one kind by primary key, for the GraphQL layer's loaders,
/// with the statements of [`LookupStatements`].
async fn find_by_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    statements: &LookupStatements,
    ids: &[sea_orm::prelude::Uuid],
    key: impl Fn(&E::Model) -> sea_orm::prelude::Uuid,
) -> Result<std::collections::HashMap<sea_orm::prelude::Uuid, E::Model>, AppError> {
    use sea_orm::FromQueryResult;
    let backend = db.get_database_backend();
    let ids = padded(ids);
    let sql = statements.sql(backend, ids.len());
    let statement = sea_orm::Statement::from_sql_and_values(backend, &*sql, ids.iter().map(|&id| id.into()));
    let rows = E::Model::find_by_statement(statement).all(db).await?;
    Ok(rows.into_iter().map(|row| (key(&row), row)).collect())
}

/// `ids` with the last repeated up to the next power of two. Callers batch
/// look-ups by id across requests, so the lists come in every length, and
/// every length is a statement of its own, for each connection to prepare
/// and keep in its cache of statements (32 on SQLite): padded, the lists of
/// up to 128 ids are eight statements. A repeated id matches its record once.
fn padded(ids: &[sea_orm::prelude::Uuid]) -> Vec<sea_orm::prelude::Uuid> {
    let mut padded = ids.to_vec();
    if let Some(&last) = ids.last() {
        padded.resize(ids.len().next_power_of_two(), last);
    }
    padded
}

/// The SQL texts that look records of one kind up by their key column:
/// one per engine and per padded number of ids up to [`LookupStatements::
/// MOST_IDS`], built together on first use and only read after. sea-query
/// builds a statement expression by expression, every column allocated and
/// dropped again: for a `node` look-up that was a large share of the
/// server's work. Each kind keeps its own, in a `static` of its module
/// (see `centre::by_ids`).
pub(crate) struct LookupStatements {
    /// By engine (PostgreSQL, SQLite), then by the power of two of the ids.
    texts: [Vec<std::sync::Arc<str>>; 2],
    /// Builds the text of any engine and number of ids.
    build: fn(sea_orm::DbBackend, usize) -> String,
}

impl LookupStatements {
    /// Longer lists are rare (a page holds at most 100 records, padded to
    /// 128) and are built each time.
    const MOST_IDS: usize = 128;

    /// The statements of `E` by `id`.
    pub(crate) fn of(build: fn(sea_orm::DbBackend, usize) -> String) -> Self {
        let lengths = || (0..=Self::MOST_IDS.ilog2()).map(|power| 1usize << power);
        let texts = [sea_orm::DbBackend::Postgres, sea_orm::DbBackend::Sqlite]
            .map(|backend| lengths().map(|n| build(backend, n).into()).collect());
        Self { texts, build }
    }

    /// The text for `n` ids (a power of two, see [`padded`]) on `backend`.
    fn sql(&self, backend: sea_orm::DbBackend, n: usize) -> std::sync::Arc<str> {
        let engine = match backend {
            sea_orm::DbBackend::Postgres => Some(0),
            sea_orm::DbBackend::Sqlite => Some(1),
            _ => None,
        };
        let kept = engine
            .filter(|_| n.is_power_of_two() && n <= Self::MOST_IDS)
            .and_then(|engine| self.texts[engine].get(n.ilog2() as usize));
        match kept {
            Some(text) => text.clone(),
            None => (self.build)(backend, n).into(),
        }
    }
}

/// The [`LookupStatements`] of a kind of record by its `id` column, for
/// the `static` its module keeps them in:
/// `static BY_ID: LazyLock<LookupStatements> = by_id_statements!(centre);`.
macro_rules! by_id_statements {
    ($entity:ident) => {
        std::sync::LazyLock::new(|| {
            super::LookupStatements::of(|backend, n| {
                super::lookup_sql::<$entity::Entity>($entity::Column::Id, backend, n)
            })
        })
    };
}
pub(crate) use by_id_statements;

/// The statement selecting the records of `E` whose `id` is one of `n`
/// parameters (what [`LookupStatements`] keeps).
pub(crate) fn lookup_sql<E: EntityTrait>(id: E::Column, backend: sea_orm::DbBackend, n: usize) -> String {
    use sea_orm::{ColumnTrait, QueryFilter, QueryTrait};
    E::find()
        .filter(id.is_in(std::iter::repeat_n(sea_orm::prelude::Uuid::nil(), n)))
        .build(backend)
        .sql
}

/// Groups rows by a key, keeping the rows' order within each group.
fn group_by<K, V>(rows: impl IntoIterator<Item = (K, V)>) -> std::collections::HashMap<K, Vec<V>>
where
    K: std::hash::Hash + Eq,
{
    let mut groups: std::collections::HashMap<K, Vec<V>> = std::collections::HashMap::new();
    for (key, value) in rows {
        groups.entry(key).or_default().push(value);
    }
    groups
}

/// Begins a transaction for a write: one write at a time, on both engines.
/// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
/// transaction that read first and wrote later could otherwise find the
/// lock taken and fail instead of waiting its turn. On PostgreSQL it takes
/// a transaction-scoped advisory lock, for the change feed (see
/// [`changes`]): its positions must follow commit order, and with writes
/// taking turns they do. Registry writes are short and few next to reads,
/// which never wait for this lock.
pub async fn begin_write(db: &sea_orm::DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, AppError> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    take_write_turn(&txn).await?;
    Ok(txn)
}

/// The advisory lock of the write turn: any key works as long as every
/// replica uses the same one.
pub(crate) const WRITE_LOCK_KEY: i64 = 0x6b61_6d6b_6f72_0002;

/// Waits for this transaction's turn to write (PostgreSQL; SQLite's
/// immediate transactions take turns by themselves).
pub async fn take_write_turn(txn: &impl ConnectionTrait) -> Result<(), AppError> {
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod lookup_tests {
    use entity::centre;
    use sea_orm::{DbBackend, prelude::Uuid};

    use super::*;

    #[test]
    fn each_engine_and_length_has_its_own_text() {
        let statements = LookupStatements::of(|b, n| lookup_sql::<centre::Entity>(centre::Column::Id, b, n));
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for n in [1, 2, 4, 64, 128, 256] {
                assert_eq!(
                    *statements.sql(backend, n),
                    lookup_sql::<centre::Entity>(centre::Column::Id, backend, n),
                    "{backend:?} {n}"
                );
            }
        }
        assert_ne!(
            statements.sql(DbBackend::Postgres, 2),
            statements.sql(DbBackend::Sqlite, 2)
        );
    }

    #[test]
    fn padding_repeats_the_last_id_up_to_a_power_of_two() {
        let ids: Vec<Uuid> = (1..=5).map(Uuid::from_u128).collect();
        let padded = padded(&ids);
        assert_eq!(padded.len(), 8);
        assert_eq!(&padded[..5], &ids[..]);
        assert!(padded[5..].iter().all(|&id| id == ids[4]));
        assert_eq!(super::padded(&ids[..4]), &ids[..4]);
        assert_eq!(super::padded(&ids[..1]), &ids[..1]);
        assert!(super::padded(&[]).is_empty());
    }
}
