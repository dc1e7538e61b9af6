use entity::organization;

use super::registry_loader;
use crate::registry;

registry_loader!(
    /// Organizations by id.
    OrganizationById: organization::Model = registry::organization::by_ids
);
