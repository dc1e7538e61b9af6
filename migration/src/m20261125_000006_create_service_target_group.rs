use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{creates_table, index, references};

#[derive(DeriveIden)]
enum ServiceTargetGroup {
    Table,
    ServiceId,
    TargetGroup,
}

creates_table!(ServiceTargetGroup::Table, |manager| {
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
                .foreign_key(&mut references(
                    "fk_service_target_group_service",
                    (ServiceTargetGroup::Table, ServiceTargetGroup::ServiceId),
                    "service",
                    ForeignKeyAction::Cascade,
                ))
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
});
