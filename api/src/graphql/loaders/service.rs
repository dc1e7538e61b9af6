use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{admin_area, enums::TargetGroup, service};
use sea_orm::{DatabaseConnection, prelude::Uuid};

use super::{registry_loader, shared_lists};
use crate::{
    error::AppError,
    registry::{self, Detail, service::ServiceSummary, text::Lang},
};

registry_loader!(
    /// Services by id.
    ServiceById: service::Model = registry::service::by_ids
);

registry_loader!(
    /// Ids of an organization's live services, by Kyrgyz name.
    ServiceIdsOfOrganization: Vec<Uuid> = registry::service::ids_by_organization
);

/// The live services offered at a centre, by Kyrgyz name, summarised in
/// the request's language, with or without their details.
pub struct ServicesOfCentre(pub DatabaseConnection, pub Lang, pub Detail);

impl Loader<Uuid> for ServicesOfCentre {
    type Value = Arc<[Arc<ServiceSummary>]>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        registry::service::offered_at(&self.0, keys, self.1, self.2)
            .await
            .map(shared_lists)
            .map_err(Arc::new)
    }
}

registry_loader!(
    /// The groups of children a service is for.
    TargetGroupsOfService: Vec<TargetGroup> = registry::service::target_groups_of
);

registry_loader!(
    /// The areas a service covers.
    AreasOfService: [admin_area::Model] = registry::service::areas_of
);
