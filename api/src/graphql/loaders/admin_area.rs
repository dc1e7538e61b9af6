use entity::admin_area;

use super::registry_loader;
use crate::registry;

registry_loader!(
    /// Administrative areas by id.
    AdminAreaById: admin_area::Model = registry::admin_area::by_ids
);
