use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references};

#[derive(DeriveIden)]
enum ServiceArea {
    Table,
    ServiceId,
    AdminAreaId,
}

creates_table!(ServiceArea::Table, |manager| {
    manager
        .create_table(
            Table::create()
                .table(ServiceArea::Table)
                .col(uuid(ServiceArea::ServiceId))
                .col(uuid(ServiceArea::AdminAreaId))
                .primary_key(
                    Index::create()
                        .col(ServiceArea::ServiceId)
                        .col(ServiceArea::AdminAreaId),
                )
                .foreign_key(&mut references(
                    "fk_service_area_service",
                    (ServiceArea::Table, ServiceArea::ServiceId),
                    "service",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    "fk_service_area_admin_area",
                    (ServiceArea::Table, ServiceArea::AdminAreaId),
                    "admin_area",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(
            ServiceArea::Table,
            "admin_area",
            &["admin_area_id", "service_id"],
        ))
        .await
});
