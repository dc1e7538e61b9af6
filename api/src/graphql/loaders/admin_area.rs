use super::by_id_loader;

by_id_loader!(
    /// Administrative areas by id.
    AdminAreaById,
    admin_area
);
