use entity::service_at_centre;

use super::registry_loader;
use crate::registry;

registry_loader!(
    /// Services at centres by id.
    ServiceAtCentreById: service_at_centre::Model = registry::service_at_centre::by_ids
);
