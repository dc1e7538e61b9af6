use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index};

#[derive(DeriveIden)]
enum AuditEntry {
    Table,
    Id,
    Entity,
    EntityId,
    Action,
    ActorSub,
    ActorRole,
    At,
    Changes,
}

creates_table!(AuditEntry::Table, |manager| {
    manager
        .create_table(
            Table::create()
                .table(AuditEntry::Table)
                .col(pk_uuid(AuditEntry::Id))
                .col(string_len(AuditEntry::Entity, 64))
                .col(uuid(AuditEntry::EntityId))
                .col(string_len(AuditEntry::Action, 32))
                .col(string(AuditEntry::ActorSub))
                .col(string_len(AuditEntry::ActorRole, 32))
                .col(timestamp_with_time_zone(AuditEntry::At))
                .col(json_binary(AuditEntry::Changes))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(AuditEntry::Table, "entity", &["entity", "entity_id", "at"]))
        .await?;
    manager.create_index(index(AuditEntry::Table, "at", &["at"])).await
});
