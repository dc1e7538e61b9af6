use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

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

#[derive(DeriveIden)]
enum Capacity {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_capacity_event_capacity")
                            .from(CapacityEvent::Table, CapacityEvent::CapacityId)
                            .to(Capacity::Table, Capacity::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(CapacityEvent::Table, "capacity_at", &["capacity_id", "at"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CapacityEvent::Table).to_owned())
            .await
    }
}
