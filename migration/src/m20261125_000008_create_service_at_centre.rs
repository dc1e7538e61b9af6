use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{index, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

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

#[derive(DeriveIden)]
enum Service {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Centre {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(ServiceAtCentre::Table)
            .col(pk_uuid(ServiceAtCentre::Id))
            .col(uuid(ServiceAtCentre::ServiceId))
            .col(uuid(ServiceAtCentre::CentreId))
            .col(json_binary_null(ServiceAtCentre::Notes))
            .col(timestamp_with_time_zone_null(ServiceAtCentre::ArchivedAt))
            .col(integer(ServiceAtCentre::Version).default(1))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_service_at_centre_service")
                    .from(ServiceAtCentre::Table, ServiceAtCentre::ServiceId)
                    .to(Service::Table, Service::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_service_at_centre_centre")
                    .from(ServiceAtCentre::Table, ServiceAtCentre::CentreId)
                    .to(Centre::Table, Centre::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            );
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
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServiceAtCentre::Table).to_owned())
            .await
    }
}
