//! Database migrations of the Kamkor registry.
//!
//! One change per file, each with a working `down`. Migrations are frozen
//! history: they never import the `entity` crate, and they hold no data (the
//! demo data has its own command). They run identically on SQLite and
//! PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261125_000001_create_admin_area;
mod m20261125_000002_create_organization;
mod m20261125_000003_create_centre;
mod m20261125_000004_create_centre_language;
mod m20261125_000005_create_service;
mod m20261125_000006_create_service_target_group;
mod m20261125_000007_create_service_area;
mod m20261125_000008_create_service_at_centre;
mod m20261125_000009_create_capacity;
mod m20261125_000010_create_capacity_event;
mod m20261125_000011_create_audit_entry;
mod m20261129_000012_create_hold;
mod m20261129_000013_create_change_log;
mod m20261202_000014_cover_service_at_centre_by_centre;
mod m20261207_000015_name_issuers_of_holders_and_actors;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_admin_area::Migration),
            Box::new(m20261125_000002_create_organization::Migration),
            Box::new(m20261125_000003_create_centre::Migration),
            Box::new(m20261125_000004_create_centre_language::Migration),
            Box::new(m20261125_000005_create_service::Migration),
            Box::new(m20261125_000006_create_service_target_group::Migration),
            Box::new(m20261125_000007_create_service_area::Migration),
            Box::new(m20261125_000008_create_service_at_centre::Migration),
            Box::new(m20261125_000009_create_capacity::Migration),
            Box::new(m20261125_000010_create_capacity_event::Migration),
            Box::new(m20261125_000011_create_audit_entry::Migration),
            Box::new(m20261129_000012_create_hold::Migration),
            Box::new(m20261129_000013_create_change_log::Migration),
            Box::new(m20261202_000014_cover_service_at_centre_by_centre::Migration),
            Box::new(m20261207_000015_name_issuers_of_holders_and_actors::Migration),
        ]
    }
}
