use sea_orm::entity::prelude::*;

/// One count of a capacity, kept as history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "capacity_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    pub capacity_id: Uuid,
    pub available: i32,
    pub maximum: i32,
    pub waitlist: i32,
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
