//! The change feed: one row per record, at the position of its latest
//! committed change, for partners that mirror the registry.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::columns::{creates_table, index};

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Seq,
    RecordType,
    RecordId,
    Version,
    Action,
    ChangedAt,
}

creates_table!(ChangeLog::Table, |manager| {
    // Positions only grow, and are never reused (SQLite's AUTOINCREMENT
    // needs an INTEGER key, which is 64 bits there anyway).
    let seq = match manager.get_database_backend() {
        DbBackend::Sqlite => integer(ChangeLog::Seq).auto_increment().primary_key().take(),
        _ => big_integer(ChangeLog::Seq).auto_increment().primary_key().take(),
    };
    manager
        .create_table(
            Table::create()
                .table(ChangeLog::Table)
                .col(seq)
                .col(string_len(ChangeLog::RecordType, 32))
                .col(uuid(ChangeLog::RecordId))
                .col(integer(ChangeLog::Version))
                .col(string_len(ChangeLog::Action, 32))
                .col(timestamp_with_time_zone(ChangeLog::ChangedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            index(ChangeLog::Table, "record", &["record_type", "record_id"])
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(ChangeLog::Table, "changed_at", &["changed_at", "seq"]))
        .await
});
