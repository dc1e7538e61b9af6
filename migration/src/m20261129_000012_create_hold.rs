//! Place holds: places reserved for a child on the way, given back when
//! released or when they expire.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references};

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

creates_table!(Hold::Table, |manager| {
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
                .foreign_key(&mut references(
                    "fk_hold_capacity",
                    (Hold::Table, Hold::CapacityId),
                    "capacity",
                    ForeignKeyAction::Cascade,
                ))
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
});
