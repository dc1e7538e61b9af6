use async_graphql::{ID, Interface};

use super::{
    admin_area::AdminArea, capacity::Capacity, centre::Centre, hold::Hold, organization::Organization,
    service::Service, service_at_centre::ServiceAtCentre,
};

/// An object with a global id, fetchable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    AdminArea(AdminArea),
    Organization(Organization),
    Centre(Centre),
    Service(Service),
    Capacity(Capacity),
    ServiceAtCentre(ServiceAtCentre),
    Hold(Hold),
}
