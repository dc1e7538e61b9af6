//! Loading a batch into PostgreSQL with `COPY ... FROM STDIN`: rows stream
//! to the server in PostgreSQL's text format, far faster than INSERT
//! statements (no statement to build, bind or plan per chunk). A million
//! services with their placements, capacities and change feed load in
//! under two minutes this way.
//!
//! A big batch also sets the tables' indexes and constraints aside while
//! its rows go in and rebuilds them afterwards, as PostgreSQL's guide to
//! populating a database advises: maintaining a B-tree over random UUIDs row
//! by row, and checking each foreign key with a look-up per row, cost
//! several times the COPY itself, while building an index from sorted rows
//! and validating a key with one join cost little. All of it happens inside
//! the load's transaction, so no reader ever sees a table without them.
//!
//! COPY needs the driver's connection itself, which a sea-orm transaction
//! does not lend out, so this path runs its own sqlx transaction, taking the
//! same advisory locks as the rest of the registry.

use std::fmt::Write as _;

use sea_orm::{
    ActiveModelTrait, DbErr, EntityName, EntityTrait, Iden, Iterable, RuntimeErr, Value,
    sea_query::OptionEnum,
    sqlx::{self, PgConnection, PgPool},
};

use super::{Batch, REBUILD_FROM_ROWS, Sink, Summary};
use crate::{database, error::AppError, registry};

/// Bytes of encoded rows sent to the server at a time.
const SEND_BYTES: usize = 1 << 20;

/// Loads `batch` in one transaction; with `only_if_empty`, only into a
/// registry that holds nothing yet (`None` otherwise), under the set-up lock
/// so that replicas starting together load it once.
pub async fn load(batch: Batch, pool: &PgPool, only_if_empty: bool) -> Result<Option<Summary>, AppError> {
    let mut txn = pool.begin().await.map_err(driver_error)?;
    // The pool's statement timeout guards requests; a bulk load's COPY of
    // a million rows may rightly take longer.
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *txn)
        .await
        .map_err(driver_error)?;
    if only_if_empty {
        lock(&mut txn, database::SETUP_LOCK_KEY).await?;
        let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM admin_area)")
            .fetch_one(&mut *txn)
            .await
            .map_err(driver_error)?;
        if !empty {
            return Ok(None);
        }
    }
    lock(&mut txn, registry::WRITE_LOCK_KEY).await?;
    let set_aside = if batch.rows() >= REBUILD_FROM_ROWS {
        SetAside::take(&mut txn, &Batch::tables()).await?
    } else {
        SetAside::default()
    };
    let summary = batch.write(&mut Copies(&mut txn)).await?;
    set_aside.restore(&mut txn).await?;
    txn.commit().await.map_err(driver_error)?;
    Ok(Some(summary))
}

async fn lock(txn: &mut PgConnection, key: i64) -> Result<(), AppError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(txn)
        .await
        .map_err(driver_error)?;
    Ok(())
}

/// The indexes and constraints of some tables, dropped for a bulk load:
/// the statements that recreate them, in an order that works (unique keys
/// before the foreign keys that reference them).
#[derive(Default)]
struct SetAside {
    recreate: Vec<String>,
}

impl SetAside {
    /// Drops the foreign keys from and to `tables`, their primary and
    /// unique keys, and their other indexes.
    async fn take(txn: &mut PgConnection, tables: &[&str]) -> Result<Self, AppError> {
        let tables: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
        // (table, constraint, definition, kind), foreign keys first.
        let constraints: Vec<(String, String, String, String)> = sqlx::query_as(
            "WITH t AS (SELECT to_regclass(name) AS id FROM unnest($1::text[]) AS name) \
             SELECT c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid), c.contype::text \
             FROM pg_constraint c \
             WHERE (c.contype IN ('p', 'u') AND c.conrelid IN (SELECT id FROM t)) \
                OR (c.contype = 'f' AND (c.conrelid IN (SELECT id FROM t) OR c.confrelid IN (SELECT id FROM t))) \
             ORDER BY c.contype = 'f' DESC",
        )
        .bind(&tables)
        .fetch_all(&mut *txn)
        .await
        .map_err(driver_error)?;
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
             FROM pg_index i \
             WHERE i.indrelid IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name) \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                               WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))",
        )
        .bind(&tables)
        .fetch_all(&mut *txn)
        .await
        .map_err(driver_error)?;
        let mut drop = Vec::new();
        let (mut keys, mut foreign) = (Vec::new(), Vec::new());
        for (table, name, definition, kind) in constraints {
            drop.push(format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""));
            let add = format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}");
            if kind == "f" { foreign.push(add) } else { keys.push(add) }
        }
        for (index, definition) in indexes {
            drop.push(format!("DROP INDEX {index}"));
            keys.push(definition);
        }
        for statement in drop {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut *txn)
                .await
                .map_err(driver_error)?;
        }
        keys.extend(foreign);
        Ok(Self { recreate: keys })
    }

    /// Recreates what [`SetAside::take`] dropped, checking every row.
    async fn restore(self, txn: &mut PgConnection) -> Result<(), AppError> {
        for statement in self.recreate {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut *txn)
                .await
                .map_err(driver_error)?;
        }
        Ok(())
    }
}

/// Errors of the driver, sorted as the registry sorts sea-orm's.
fn driver_error(err: sqlx::Error) -> AppError {
    DbErr::Exec(RuntimeErr::SqlxError(err.into())).into()
}

/// Streams each table's rows with one COPY.
struct Copies<'c>(&'c mut PgConnection);

impl Sink for Copies<'_> {
    async fn put<A>(&mut self, rows: Vec<A>) -> Result<(), AppError>
    where
        A: ActiveModelTrait + Send,
    {
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        // The columns the rows set: those left to the database (a serial
        // key) are not sent.
        let columns: Vec<<A::Entity as EntityTrait>::Column> = <A::Entity as EntityTrait>::Column::iter()
            .filter(|column| !first.get(*column).is_not_set())
            .collect();
        let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.to_string())).collect();
        let statement = format!(
            "COPY \"{}\" ({}) FROM STDIN",
            A::Entity::default().table_name(),
            names.join(", ")
        );
        let mut copy = self.0.copy_in_raw(&statement).await.map_err(driver_error)?;
        let mut text = String::with_capacity(SEND_BYTES + 4096);
        for row in &rows {
            if let Err(err) = encode_row(&mut text, row, &columns) {
                copy.abort(err.to_string()).await.map_err(driver_error)?;
                return Err(err);
            }
            if text.len() >= SEND_BYTES {
                copy.send(std::mem::take(&mut text).into_bytes())
                    .await
                    .map_err(driver_error)?;
                text.reserve(SEND_BYTES + 4096);
            }
        }
        copy.send(text.into_bytes()).await.map_err(driver_error)?;
        let copied = copy.finish().await.map_err(driver_error)?;
        tracing::debug!(
            table = A::Entity::default().table_name(),
            rows = copied,
            ms = started.elapsed().as_millis() as u64,
            "copied"
        );
        Ok(())
    }
}

/// One row in COPY's text format: tab-separated fields, `\N` for NULL.
fn encode_row<A: ActiveModelTrait>(
    text: &mut String,
    row: &A,
    columns: &[<A::Entity as EntityTrait>::Column],
) -> Result<(), AppError> {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            text.push('\t');
        }
        encode_field(text, row.get(*column).into_value())?;
    }
    text.push('\n');
    Ok(())
}

/// One field in COPY's text format; the kinds of value our entities hold.
fn encode_field(text: &mut String, value: Option<Value>) -> Result<(), AppError> {
    // Writing to a String cannot fail.
    let _ = match value {
        Some(Value::Bool(Some(b))) => write!(text, "{}", if b { 't' } else { 'f' }),
        Some(Value::SmallInt(Some(n))) => write!(text, "{n}"),
        Some(Value::Int(Some(n))) => write!(text, "{n}"),
        Some(Value::BigInt(Some(n))) => write!(text, "{n}"),
        // Rust prints the shortest text that reads back as the same double.
        Some(Value::Double(Some(x))) => write!(text, "{x}"),
        Some(Value::Uuid(Some(id))) => write!(text, "{id}"),
        Some(Value::ChronoDateTimeUtc(Some(at))) => write!(text, "{}", at.to_rfc3339()),
        Some(Value::ChronoDate(Some(day))) => write!(text, "{day}"),
        Some(Value::String(Some(s))) => {
            escape(text, &s);
            Ok(())
        }
        Some(Value::Enum(OptionEnum::Some(e))) => {
            escape(text, &e.value);
            Ok(())
        }
        Some(Value::Json(Some(json))) => {
            escape(text, &json.to_string());
            Ok(())
        }
        None
        | Some(
            Value::Bool(None)
            | Value::SmallInt(None)
            | Value::Int(None)
            | Value::BigInt(None)
            | Value::Double(None)
            | Value::Uuid(None)
            | Value::ChronoDateTimeUtc(None)
            | Value::ChronoDate(None)
            | Value::String(None)
            | Value::Enum(OptionEnum::None(_))
            | Value::Json(None),
        ) => write!(text, "\\N"),
        Some(other) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "a value COPY does not encode here: {other:?}"
            )));
        }
    };
    Ok(())
}

/// Text with COPY's escapes: backslash, and the tab, newline and carriage
/// return that would otherwise end the field or the row.
fn escape(text: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => text.push_str("\\\\"),
            '\t' => text.push_str("\\t"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            c => text.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_escaped_and_nulls_marked() {
        let mut text = String::new();
        encode_field(&mut text, Some(Value::String(Some("a\tb\\c\nd".into())))).expect("encodes");
        text.push('|');
        encode_field(&mut text, Some(Value::Int(None))).expect("encodes");
        text.push('|');
        encode_field(&mut text, Some(Value::Bool(Some(true)))).expect("encodes");
        text.push('|');
        encode_field(&mut text, Some(Value::Double(Some(42.875)))).expect("encodes");
        assert_eq!(text, "a\\tb\\\\c\\nd|\\N|t|42.875");
    }
}
