use sea_orm::entity::prelude::*;

/// A language spoken with children and families at a centre (ISO 639-1 code).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "centre_language")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub centre_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::centre::Entity",
        from = "Column::CentreId",
        to = "super::centre::Column::Id"
    )]
    Centre,
}

impl ActiveModelBehavior for ActiveModel {}
