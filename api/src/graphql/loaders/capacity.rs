use super::registry_loader;
use crate::registry::{self, capacity::CapacityRecord};

registry_loader!(
    /// Capacities by id.
    CapacityById: CapacityRecord = registry::capacity::by_ids
);

registry_loader!(
    /// The capacities counted at a centre.
    CapacitiesOfCentre: [CapacityRecord] = registry::capacity::of_centres
);
