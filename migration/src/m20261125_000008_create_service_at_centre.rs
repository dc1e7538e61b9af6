use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references, timestamps};

#[derive(DeriveIden)]
enum ServiceAtCentre {
    Table,
    Id,
    ServiceId,
    CentreId,
    Notes,
    ArchivedAt,
    Version,
}

creates_table!(ServiceAtCentre::Table, |manager| {
    let mut table = Table::create();
    table
        .table(ServiceAtCentre::Table)
        .col(pk_uuid(ServiceAtCentre::Id))
        .col(uuid(ServiceAtCentre::ServiceId))
        .col(uuid(ServiceAtCentre::CentreId))
        .col(json_binary_null(ServiceAtCentre::Notes))
        .col(timestamp_with_time_zone_null(ServiceAtCentre::ArchivedAt))
        .col(integer(ServiceAtCentre::Version).default(1))
        .foreign_key(&mut references(
            "fk_service_at_centre_service",
            (ServiceAtCentre::Table, ServiceAtCentre::ServiceId),
            "service",
            ForeignKeyAction::Restrict,
        ))
        .foreign_key(&mut references(
            "fk_service_at_centre_centre",
            (ServiceAtCentre::Table, ServiceAtCentre::CentreId),
            "centre",
            ForeignKeyAction::Restrict,
        ));
    manager.create_table(timestamps(&mut table).to_owned()).await?;
    manager
        .create_index(
            index(ServiceAtCentre::Table, "service_centre", &["service_id", "centre_id"])
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(ServiceAtCentre::Table, "centre", &["centre_id", "service_id"]))
        .await
});
