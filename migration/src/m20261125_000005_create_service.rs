use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{age_check, age_range_check, creates_table, editable, index, references};

#[derive(DeriveIden)]
enum Service {
    Table,
    Id,
    OrganizationId,
    Category,
    Name,
    Description,
    Eligibility,
    ApplicationProcess,
    RequiredDocuments,
    Fees,
    AgeMin,
    AgeMax,
    BenefitAmount,
    BenefitCurrency,
    BenefitPeriod,
    BenefitBasis,
    BenefitValidFrom,
    BenefitValidTo,
    BenefitLegalBasis,
    Status,
}

creates_table!(Service::Table, |manager| {
    let mut table = Table::create();
    table
        .table(Service::Table)
        .col(pk_uuid(Service::Id))
        .col(uuid(Service::OrganizationId))
        .col(string_len(Service::Category, 32))
        .col(json_binary(Service::Name))
        .col(json_binary(Service::Description))
        .col(json_binary_null(Service::Eligibility))
        .col(json_binary_null(Service::ApplicationProcess))
        .col(json_binary_null(Service::RequiredDocuments))
        .col(json_binary_null(Service::Fees))
        .col(integer_null(Service::AgeMin))
        .col(integer_null(Service::AgeMax))
        .col(big_integer_null(Service::BenefitAmount))
        .col(string_len_null(Service::BenefitCurrency, 3))
        .col(string_len_null(Service::BenefitPeriod, 32))
        .col(string_len_null(Service::BenefitBasis, 32))
        .col(date_null(Service::BenefitValidFrom))
        .col(date_null(Service::BenefitValidTo))
        .col(json_binary_null(Service::BenefitLegalBasis))
        .col(string_len(Service::Status, 32))
        .check(age_check(Service::AgeMin, "service_age_min"))
        .check(age_check(Service::AgeMax, "service_age_max"))
        .check(age_range_check(Service::AgeMin, Service::AgeMax, "service_age_range"))
        .check((
            "service_benefit_amount",
            Expr::col(Service::BenefitAmount)
                .is_null()
                .or(Expr::col(Service::BenefitAmount).gte(0)),
        ))
        .foreign_key(&mut references(
            "fk_service_organization",
            (Service::Table, Service::OrganizationId),
            "organization",
            ForeignKeyAction::Restrict,
        ));
    manager
        .create_table(editable(&mut table, manager.get_database_backend()).to_owned())
        .await?;
    for (suffix, columns) in [
        ("organization", &["organization_id"][..]),
        ("category", &["category"]),
        ("status", &["status"]),
        ("updated_at", &["updated_at"]),
        ("name_sort_ky", &["name_sort_ky"]),
        ("name_sort_ru", &["name_sort_ru"]),
    ] {
        manager.create_index(index(Service::Table, suffix, columns)).await?;
    }
    Ok(())
});
