use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{index, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminArea {
    Table,
    Id,
    Code,
    Level,
    ParentId,
    Path,
    Name,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(AdminArea::Table)
            .col(pk_uuid(AdminArea::Id))
            .col(string_len_uniq(AdminArea::Code, 32))
            .col(string_len(AdminArea::Level, 32))
            .col(uuid_null(AdminArea::ParentId))
            .col(string(AdminArea::Path))
            .col(json_binary(AdminArea::Name))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_admin_area_parent")
                    .from(AdminArea::Table, AdminArea::ParentId)
                    .to(AdminArea::Table, AdminArea::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            );
        manager.create_table(timestamps(&mut table).to_owned()).await?;
        manager
            .create_index(index(AdminArea::Table, "parent", &["parent_id"]))
            .await?;
        manager.create_index(index(AdminArea::Table, "path", &["path"])).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdminArea::Table).to_owned())
            .await
    }
}
