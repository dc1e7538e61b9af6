//! Holders and audited actors are named by issuer and subject together.
//!
//! A token's `sub` is unique only at its issuer: this registry's own
//! tokens and an identity provider's may both say `hotline-111` and be two
//! different callers. Holds (whose holder alone handles them) and audit
//! entries (who did what) therefore keep the issuer beside the subject.
//! Rows written before were all vouched for by the registry's own tokens
//! (`kamkor`), or by the registry itself (`system`: expiries, loads).
//!
//! The index serves the fair-share limits of holds, which count a holder's
//! open holds and those of the last hour.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Hold {
    Table,
    HolderIssuer,
}

#[derive(DeriveIden)]
enum AuditEntry {
    Table,
    ActorIssuer,
    ActorSub,
    ActorRole,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds them one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Hold::Table)
                    .add_column(string(Hold::HolderIssuer).default("kamkor"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEntry::Table)
                    .add_column(string(AuditEntry::ActorIssuer).default("kamkor"))
                    .to_owned(),
            )
            .await?;
        let system = Query::update()
            .table(AuditEntry::Table)
            .value(AuditEntry::ActorIssuer, "system")
            .and_where(Expr::col(AuditEntry::ActorSub).eq("system"))
            .and_where(Expr::col(AuditEntry::ActorRole).eq("system"))
            .to_owned();
        manager.exec_stmt(system).await?;
        manager
            .create_index(index(
                Hold::Table,
                "holder",
                &["held_by", "holder_issuer", "created_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("idx_hold_holder").table(Hold::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEntry::Table)
                    .drop_column(AuditEntry::ActorIssuer)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Hold::Table)
                    .drop_column(Hold::HolderIssuer)
                    .to_owned(),
            )
            .await
    }
}
