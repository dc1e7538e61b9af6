use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceTargetGroup {
    Table,
    ServiceId,
    TargetGroup,
}

#[derive(DeriveIden)]
enum Service {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServiceTargetGroup::Table)
                    .col(uuid(ServiceTargetGroup::ServiceId))
                    .col(string_len(ServiceTargetGroup::TargetGroup, 32))
                    .primary_key(
                        Index::create()
                            .col(ServiceTargetGroup::ServiceId)
                            .col(ServiceTargetGroup::TargetGroup),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_target_group_service")
                            .from(ServiceTargetGroup::Table, ServiceTargetGroup::ServiceId)
                            .to(Service::Table, Service::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ServiceTargetGroup::Table,
                "group",
                &["target_group", "service_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServiceTargetGroup::Table).to_owned())
            .await
    }
}
