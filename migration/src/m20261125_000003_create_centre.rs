use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{age_check, age_range_check, creates_table, editable, index, references};

#[derive(DeriveIden)]
enum Centre {
    Table,
    Id,
    OrganizationId,
    Kind,
    Name,
    Description,
    AdminAreaId,
    Address,
    Latitude,
    Longitude,
    PublicLatitude,
    PublicLongitude,
    AddressConfidential,
    Phones,
    Email,
    OpeningHours,
    Accessibility,
    AgeMin,
    AgeMax,
    Genders,
    Status,
}

creates_table!(Centre::Table, |manager| {
    let mut table = Table::create();
    table
        .table(Centre::Table)
        .col(pk_uuid(Centre::Id))
        .col(uuid(Centre::OrganizationId))
        .col(string_len(Centre::Kind, 32))
        .col(json_binary(Centre::Name))
        .col(json_binary_null(Centre::Description))
        .col(uuid(Centre::AdminAreaId))
        .col(json_binary_null(Centre::Address))
        .col(double_null(Centre::Latitude))
        .col(double_null(Centre::Longitude))
        .col(double_null(Centre::PublicLatitude))
        .col(double_null(Centre::PublicLongitude))
        .col(boolean(Centre::AddressConfidential).default(false))
        .col(json_binary(Centre::Phones))
        .col(string_null(Centre::Email))
        .col(json_binary_null(Centre::OpeningHours))
        .col(json_binary_null(Centre::Accessibility))
        .col(integer_null(Centre::AgeMin))
        .col(integer_null(Centre::AgeMax))
        .col(string_len(Centre::Genders, 32))
        .col(string_len(Centre::Status, 32))
        .check(age_check(Centre::AgeMin, "centre_age_min"))
        .check(age_check(Centre::AgeMax, "centre_age_max"))
        .check(age_range_check(Centre::AgeMin, Centre::AgeMax, "centre_age_range"))
        .check((
            "centre_latitude",
            Expr::col(Centre::Latitude)
                .is_null()
                .or(Expr::col(Centre::Latitude).between(-90.0, 90.0)),
        ))
        .check((
            "centre_longitude",
            Expr::col(Centre::Longitude)
                .is_null()
                .or(Expr::col(Centre::Longitude).between(-180.0, 180.0)),
        ))
        .check((
            "centre_coordinates_together",
            Expr::col(Centre::Latitude)
                .is_null()
                .eq(Expr::col(Centre::Longitude).is_null()),
        ))
        .foreign_key(&mut references(
            "fk_centre_organization",
            (Centre::Table, Centre::OrganizationId),
            "organization",
            ForeignKeyAction::Restrict,
        ))
        .foreign_key(&mut references(
            "fk_centre_admin_area",
            (Centre::Table, Centre::AdminAreaId),
            "admin_area",
            ForeignKeyAction::Restrict,
        ));
    manager
        .create_table(editable(&mut table, manager.get_database_backend()).to_owned())
        .await?;
    for (suffix, columns) in [
        ("organization", &["organization_id"][..]),
        ("admin_area", &["admin_area_id"]),
        ("kind", &["kind"]),
        ("status", &["status"]),
        ("updated_at", &["updated_at"]),
        ("name_sort_ky", &["name_sort_ky"]),
        ("name_sort_ru", &["name_sort_ru"]),
        ("coordinates", &["latitude", "longitude"]),
        ("public_coordinates", &["public_latitude", "public_longitude"]),
    ] {
        manager.create_index(index(Centre::Table, suffix, columns)).await?;
    }
    Ok(())
});
