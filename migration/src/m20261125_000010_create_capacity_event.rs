use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references};

#[derive(DeriveIden)]
enum CapacityEvent {
    Table,
    Id,
    CapacityId,
    Available,
    Maximum,
    Waitlist,
    Actor,
    At,
}

creates_table!(CapacityEvent::Table, |manager| {
    manager
        .create_table(
            Table::create()
                .table(CapacityEvent::Table)
                .col(pk_uuid(CapacityEvent::Id))
                .col(uuid(CapacityEvent::CapacityId))
                .col(integer(CapacityEvent::Available))
                .col(integer(CapacityEvent::Maximum))
                .col(integer(CapacityEvent::Waitlist))
                .col(string(CapacityEvent::Actor))
                .col(timestamp_with_time_zone(CapacityEvent::At))
                .foreign_key(&mut references(
                    "fk_capacity_event_capacity",
                    (CapacityEvent::Table, CapacityEvent::CapacityId),
                    "capacity",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(CapacityEvent::Table, "capacity_at", &["capacity_id", "at"]))
        .await
});
