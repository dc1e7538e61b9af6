use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references};

#[derive(DeriveIden)]
enum CentreLanguage {
    Table,
    CentreId,
    Language,
}

creates_table!(CentreLanguage::Table, |manager| {
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
                .foreign_key(&mut references(
                    "fk_centre_language_centre",
                    (CentreLanguage::Table, CentreLanguage::CentreId),
                    "centre",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(index(CentreLanguage::Table, "language", &["language", "centre_id"]))
        .await
});
