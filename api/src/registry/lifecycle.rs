//! Where records stand in their lives, as SQL: live (not archived), a
//! service offered, a centre receiving children, a service offered at a
//! centre. Every concept's own queries, and the queries that span them
//! (find help, the overview, stale counts), ask these same questions, so
//! the answers sit below all of them.

use entity::{
    centre,
    enums::{CentreStatus, ServiceStatus},
    organization, service, service_at_centre,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, SimpleExpr},
};

use crate::error::AppError;

/// The organization is not archived.
pub fn organization_live() -> SimpleExpr {
    organization::Column::ArchivedAt.is_null()
}

/// The centre is not archived.
pub fn centre_live() -> SimpleExpr {
    centre::Column::ArchivedAt.is_null()
}

/// The centre is live and receiving children now.
pub fn centre_receiving() -> Condition {
    Condition::all()
        .add(centre_live())
        .add(centre::Column::Status.eq(CentreStatus::Active))
}

/// The service is not archived.
pub fn service_live() -> SimpleExpr {
    service::Column::ArchivedAt.is_null()
}

/// The service is live and offered now.
pub fn service_offered() -> Condition {
    Condition::all()
        .add(service_live())
        .add(service::Column::Status.eq(ServiceStatus::Active))
}

/// The service is still offered at the centre (the placement is not
/// archived).
pub fn placement_live() -> SimpleExpr {
    service_at_centre::Column::ArchivedAt.is_null()
}

/// The placement belongs to the centre of the enclosing query (for
/// correlated subqueries).
pub fn placement_of_enclosing_centre() -> SimpleExpr {
    Expr::col((service_at_centre::Entity, service_at_centre::Column::CentreId))
        .equals((centre::Entity, centre::Column::Id))
}

/// The live placement of a service at a centre, for the writes that need
/// one (counting its places).
pub async fn live_placement(
    db: &impl ConnectionTrait,
    centre_id: Uuid,
    service_id: Uuid,
) -> Result<service_at_centre::Model, AppError> {
    service_at_centre::Entity::find()
        .filter(service_at_centre::Column::CentreId.eq(centre_id))
        .filter(service_at_centre::Column::ServiceId.eq(service_id))
        .filter(placement_live())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("the service is not offered at this centre; add it there first"))
}
