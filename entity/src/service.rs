use sea_orm::entity::prelude::*;

use crate::{
    enums::{BenefitBasis, BenefitPeriod, ServiceCategory, ServiceStatus},
    values::LocalizedText,
};

/// What is offered (HSDS `service`): a social service or a state cash benefit.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub category: ServiceCategory,
    pub name: LocalizedText,
    pub description: LocalizedText,
    pub eligibility: Option<LocalizedText>,
    pub application_process: Option<LocalizedText>,
    pub required_documents: Option<LocalizedText>,
    /// `None` means the service is free.
    pub fees: Option<LocalizedText>,
    pub age_min: Option<i32>,
    pub age_max: Option<i32>,
    /// Benefit terms, set only for `CashBenefit`; the amount is in whole som.
    pub benefit_amount: Option<i64>,
    pub benefit_currency: Option<String>,
    pub benefit_period: Option<BenefitPeriod>,
    pub benefit_basis: Option<BenefitBasis>,
    pub benefit_valid_from: Option<Date>,
    pub benefit_valid_to: Option<Date>,
    pub benefit_legal_basis: Option<LocalizedText>,
    pub status: ServiceStatus,
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
}

impl ActiveModelBehavior for ActiveModel {}
