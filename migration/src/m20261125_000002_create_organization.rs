use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, editable, index};

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
    Kind,
    Name,
    Description,
    Email,
    Website,
    Phones,
}

creates_table!(Organization::Table, |manager| {
    let mut table = Table::create();
    table
        .table(Organization::Table)
        .col(pk_uuid(Organization::Id))
        .col(string_len(Organization::Kind, 32))
        .col(json_binary(Organization::Name))
        .col(json_binary_null(Organization::Description))
        .col(string_null(Organization::Email))
        .col(string_null(Organization::Website))
        .col(json_binary(Organization::Phones));
    manager
        .create_table(editable(&mut table, manager.get_database_backend()).to_owned())
        .await?;
    for (suffix, columns) in [
        ("kind", &["kind"][..]),
        ("updated_at", &["updated_at"]),
        ("name_sort_ky", &["name_sort_ky"]),
        ("name_sort_ru", &["name_sort_ru"]),
    ] {
        manager
            .create_index(index(Organization::Table, suffix, columns))
            .await?;
    }
    Ok(())
});
