use sea_orm::entity::prelude::*;

use crate::enums::CapacityUnit;

/// Places for one service at one centre (HSDS 3.1 `service_capacity`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "capacity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub service_at_centre_id: Uuid,
    pub unit: CapacityUnit,
    pub maximum: i32,
    pub available: i32,
    pub waitlist: i32,
    /// When the places were last counted.
    pub updated: DateTimeUtc,
    pub updated_by: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::service_at_centre::Entity",
        from = "Column::ServiceAtCentreId",
        to = "super::service_at_centre::Column::Id"
    )]
    ServiceAtCentre,
}

impl ActiveModelBehavior for ActiveModel {}
