use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references, timestamps};

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

creates_table!(AdminArea::Table, |manager| {
    let mut table = Table::create();
    table
        .table(AdminArea::Table)
        .col(pk_uuid(AdminArea::Id))
        .col(string_len_uniq(AdminArea::Code, 32))
        .col(string_len(AdminArea::Level, 32))
        .col(uuid_null(AdminArea::ParentId))
        .col(string(AdminArea::Path))
        .col(json_binary(AdminArea::Name))
        .foreign_key(&mut references(
            "fk_admin_area_parent",
            (AdminArea::Table, AdminArea::ParentId),
            "admin_area",
            ForeignKeyAction::Restrict,
        ));
    manager.create_table(timestamps(&mut table).to_owned()).await?;
    manager
        .create_index(index(AdminArea::Table, "parent", &["parent_id"]))
        .await?;
    manager.create_index(index(AdminArea::Table, "path", &["path"])).await
});
