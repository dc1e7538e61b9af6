use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceArea {
    Table,
    ServiceId,
    AdminAreaId,
}

#[derive(DeriveIden)]
enum Service {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AdminArea {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_area_service")
                            .from(ServiceArea::Table, ServiceArea::ServiceId)
                            .to(Service::Table, Service::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_area_admin_area")
                            .from(ServiceArea::Table, ServiceArea::AdminAreaId)
                            .to(AdminArea::Table, AdminArea::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
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
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServiceArea::Table).to_owned())
            .await
    }
}
