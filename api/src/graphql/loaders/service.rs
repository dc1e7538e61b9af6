use entity::{admin_area, enums::TargetGroup, service};
use sea_orm::prelude::Uuid;

use super::registry_loader;
use crate::registry;

registry_loader!(
    /// Services by id.
    ServiceById: service::Model = registry::service::by_ids
);

registry_loader!(
    /// Ids of an organization's live services, by Kyrgyz name.
    ServiceIdsOfOrganization: Vec<Uuid> = registry::service::ids_by_organization
);

registry_loader!(
    /// The live services offered at a centre, by Kyrgyz name.
    ServicesOfCentre: Vec<service::Model> = registry::service::offered_at
);

registry_loader!(
    /// The groups of children a service is for.
    TargetGroupsOfService: Vec<TargetGroup> = registry::service::target_groups_of
);

registry_loader!(
    /// The areas a service covers.
    AreasOfService: Vec<admin_area::Model> = registry::service::areas_of
);
