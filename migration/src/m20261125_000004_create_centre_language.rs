use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CentreLanguage {
    Table,
    CentreId,
    Language,
}

#[derive(DeriveIden)]
enum Centre {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CentreLanguage::Table)
                    .col(uuid(CentreLanguage::CentreId))
                    .col(string_len(CentreLanguage::Language, 8))
                    .primary_key(
                        Index::create()
                            .col(CentreLanguage::CentreId)
                            .col(CentreLanguage::Language),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_centre_language_centre")
                            .from(CentreLanguage::Table, CentreLanguage::CentreId)
                            .to(Centre::Table, Centre::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(CentreLanguage::Table, "language", &["language", "centre_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CentreLanguage::Table).to_owned())
            .await
    }
}
