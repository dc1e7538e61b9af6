use sea_orm::prelude::Uuid;

use super::registry_loader;
use crate::registry;

registry_loader!(
    /// Centres by id, as stored: each request's resolvers see them as its
    /// caller may (`StoredCentre::seen_by`).
    CentreById: registry::centre::StoredCentre = registry::centre::by_ids
);

registry_loader!(
    /// Ids of an organization's live centres, by Kyrgyz name.
    CentreIdsOfOrganization: Vec<Uuid> = registry::centre::ids_by_organization
);

registry_loader!(
    /// Ids of the live centres where a service is delivered, by Kyrgyz name.
    CentreIdsOfService: Vec<Uuid> = registry::centre::ids_delivering
);

registry_loader!(
    /// Languages spoken at a centre.
    LanguagesOfCentre: Vec<String> = registry::centre::languages_of
);
