use super::registry_loader;
use crate::registry::{self, capacity::CapacityView};

registry_loader!(
    /// Capacities by id.
    CapacityById: CapacityView = registry::capacity::by_ids
);

registry_loader!(
    /// The capacities counted at a centre.
    CapacitiesOfCentre: [CapacityView] = registry::capacity::of_centres
);
