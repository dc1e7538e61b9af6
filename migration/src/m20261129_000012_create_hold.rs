//! Place holds: places reserved for a child on the way, given back when
//! released or when they expire.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hold {
    Table,
    Id,
    CapacityId,
    Places,
    Reference,
    Status,
    HeldBy,
    HolderRole,
    ExpiresAt,
    EndedAt,
    EndedBy,
    Version,
    CreatedAt,
    UpdatedAt,
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
                    .table(Hold::Table)
                    .col(pk_uuid(Hold::Id))
                    .col(uuid(Hold::CapacityId))
                    .col(integer(Hold::Places))
                    .col(text_null(Hold::Reference))
                    .col(string_len(Hold::Status, 32))
                    .col(string(Hold::HeldBy))
                    .col(string_len(Hold::HolderRole, 32))
                    .col(timestamp_with_time_zone(Hold::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Hold::EndedAt))
                    .col(string_null(Hold::EndedBy))
                    .col(integer(Hold::Version).default(1))
                    .col(timestamp_with_time_zone(Hold::CreatedAt))
                    .col(timestamp_with_time_zone(Hold::UpdatedAt))
                    .check(("hold_places", Expr::col(Hold::Places).gte(1)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_hold_capacity")
                            .from(Hold::Table, Hold::CapacityId)
                            .to(Capacity::Table, Capacity::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The expiry sweep looks for open holds past their time.
        manager
            .create_index(index(Hold::Table, "status_expires", &["status", "expires_at"]))
            .await?;
        manager
            .create_index(index(Hold::Table, "capacity", &["capacity_id", "status"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Hold::Table).to_owned()).await
    }
}
