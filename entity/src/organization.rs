use sea_orm::entity::prelude::*;

use crate::{
    enums::OrganizationKind,
    values::{LocalizedText, Phones},
};

/// A provider of help: a state or municipal body, an NGO, an international partner.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    pub kind: OrganizationKind,
    pub name: LocalizedText,
    pub description: Option<LocalizedText>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub phones: Phones,
    /// Lower-cased names and descriptions in every language, for search.
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
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
