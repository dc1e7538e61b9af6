use sea_orm::entity::prelude::*;

use crate::{enums::AreaLevel, values::LocalizedText};

/// A Kyrgyz administrative unit: region, city of republican significance or district.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_area")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    /// ISO 3166-2:KG for regions and the two cities; own codes for districts.
    #[sea_orm(unique)]
    pub code: String,
    pub level: AreaLevel,
    pub parent_id: Option<Uuid>,
    /// Materialised path of codes, `/KG-GB/KG-GB-LEN/`, so that "this area
    /// and everything inside it" is one indexed prefix match.
    pub path: String,
    pub name: LocalizedText,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
}

impl ActiveModelBehavior for ActiveModel {}
