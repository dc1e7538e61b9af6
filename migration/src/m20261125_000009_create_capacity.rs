use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references, timestamps};

#[derive(DeriveIden)]
enum Capacity {
    Table,
    Id,
    ServiceAtCentreId,
    Unit,
    Maximum,
    Available,
    Waitlist,
    Updated,
    UpdatedBy,
    Version,
}

creates_table!(Capacity::Table, |manager| {
    let mut table = Table::create();
    table
        .table(Capacity::Table)
        .col(pk_uuid(Capacity::Id))
        .col(uuid_uniq(Capacity::ServiceAtCentreId))
        .col(string_len(Capacity::Unit, 32))
        .col(integer(Capacity::Maximum))
        .col(integer(Capacity::Available))
        .col(integer(Capacity::Waitlist).default(0))
        .col(timestamp_with_time_zone(Capacity::Updated))
        .col(string_null(Capacity::UpdatedBy))
        .col(integer(Capacity::Version).default(1))
        .check(("capacity_maximum", Expr::col(Capacity::Maximum).gte(0)))
        .check((
            "capacity_available",
            Expr::col(Capacity::Available)
                .gte(0)
                .and(Expr::col(Capacity::Available).lte(Expr::col(Capacity::Maximum))),
        ))
        .check(("capacity_waitlist", Expr::col(Capacity::Waitlist).gte(0)))
        .foreign_key(&mut references(
            "fk_capacity_service_at_centre",
            (Capacity::Table, Capacity::ServiceAtCentreId),
            "service_at_centre",
            ForeignKeyAction::Cascade,
        ));
    manager.create_table(timestamps(&mut table).to_owned()).await?;
    manager
        .create_index(index(Capacity::Table, "available", &["available", "updated"]))
        .await
});
