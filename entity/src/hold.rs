use sea_orm::entity::prelude::*;

use crate::enums::HoldStatus;

/// Places of a capacity reserved for a child on the way.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hold")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    pub capacity_id: Uuid,
    pub places: i32,
    /// The holder's own case number; shown to the holder, the centre's
    /// managers and admins only.
    pub reference: Option<String>,
    pub status: HoldStatus,
    /// JWT subject of the holder.
    pub held_by: String,
    /// Who vouched for the holder's subject (`kamkor` for the registry's own
    /// tokens, else the identity provider's `iss`): the holder is both.
    pub holder_issuer: String,
    pub holder_role: String,
    /// When an unconfirmed hold gives its places back.
    pub expires_at: DateTimeUtc,
    /// When it was released, confirmed, expired or cancelled.
    pub ended_at: Option<DateTimeUtc>,
    /// Who released, confirmed or cancelled it (`system` when it expired).
    pub ended_by: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::capacity::Entity",
        from = "Column::CapacityId",
        to = "super::capacity::Column::Id"
    )]
    Capacity,
}

impl ActiveModelBehavior for ActiveModel {}
