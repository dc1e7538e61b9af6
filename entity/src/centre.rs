use sea_orm::entity::prelude::*;

use crate::{
    enums::{CentreKind, CentreStatus, GendersServed},
    values::{LocalizedText, Phones},
};

/// A physical place where help is given (HSDS `location`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "centre")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: CentreKind,
    pub name: LocalizedText,
    pub description: Option<LocalizedText>,
    pub admin_area_id: Uuid,
    pub address: Option<LocalizedText>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The location shown to anonymous callers: exact for ordinary centres,
    /// coarsened to about 2 km for confidential ones. Anonymous "near"
    /// searches filter and sort on these, so radius probing cannot pin down
    /// a shelter.
    pub public_latitude: Option<f64>,
    pub public_longitude: Option<f64>,
    /// Shelters for children who suffered violence keep their location secret.
    pub address_confidential: bool,
    pub phones: Phones,
    pub email: Option<String>,
    pub opening_hours: Option<LocalizedText>,
    pub accessibility: Option<LocalizedText>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    pub genders: GendersServed,
    pub status: CentreStatus,
    pub search_text: String,
    /// Lower-cased Kyrgyz and Russian names, the keys of `orderBy: NAME`.
    pub name_sort_ky: String,
    pub name_sort_ru: String,
    pub is_demo: bool,
    pub archived_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::admin_area::Entity",
        from = "Column::AdminAreaId",
        to = "super::admin_area::Column::Id"
    )]
    AdminArea,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::admin_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AdminArea.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
