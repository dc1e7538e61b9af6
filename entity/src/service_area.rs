use sea_orm::entity::prelude::*;

/// An administrative area where a service is available (HSDS `service_area`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_area")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub admin_area_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::service::Entity",
        from = "Column::ServiceId",
        to = "super::service::Column::Id"
    )]
    Service,
    #[sea_orm(
        belongs_to = "super::admin_area::Entity",
        from = "Column::AdminAreaId",
        to = "super::admin_area::Column::Id"
    )]
    AdminArea,
}

impl ActiveModelBehavior for ActiveModel {}
