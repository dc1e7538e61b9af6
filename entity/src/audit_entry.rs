use sea_orm::entity::prelude::*;

use crate::{enums::AuditAction, values::FieldChanges};

/// One change by anyone to any record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    /// Table name of the changed record.
    pub entity: String,
    pub entity_id: Uuid,
    pub action: AuditAction,
    /// JWT subject, or `system` for the registry's own changes.
    pub actor_sub: String,
    /// Who vouched for the subject: `kamkor` for the registry's own tokens,
    /// an identity provider's `iss`, or `system`.
    pub actor_issuer: String,
    pub actor_role: String,
    pub at: DateTimeUtc,
    pub changes: FieldChanges,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
