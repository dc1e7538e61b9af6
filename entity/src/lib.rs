//! SeaORM entities of the Kamkor registry: one module per table, plus the
//! enums and JSON value types that several tables share.
//!
//! These are storage types. The GraphQL contract lives in `api` and converts
//! from these models, so a column can change without breaking partner apps.

pub mod admin_area;
pub mod audit_entry;
pub mod capacity;
pub mod capacity_event;
pub mod centre;
pub mod centre_language;
pub mod change_feed;
pub mod enums;
pub mod hold;
pub mod organization;
pub mod service;
pub mod service_area;
pub mod service_at_centre;
pub mod service_target_group;
pub mod values;
