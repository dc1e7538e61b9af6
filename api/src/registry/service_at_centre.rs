//! A service delivered at a centre (HSDS `service_at_location`): the link
//! that capacities count places for.

use entity::service_at_centre;
use sea_orm::{ColumnTrait, sea_query::SimpleExpr};

/// Not archived.
pub fn live() -> SimpleExpr {
    service_at_centre::Column::ArchivedAt.is_null()
}
