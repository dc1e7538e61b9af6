//! Kamkor: a GraphQL registry of child-protection services in Kyrgyzstan.
//!
//! `startup::Application` builds and runs everything; `cli` is what the
//! `kamkor` binary calls.

pub mod cli;
pub mod config;
pub mod database;
pub mod error;
pub mod graphql;
pub mod hsds;
pub mod http;
pub mod memory;
pub mod metrics;
pub mod registry;
pub mod seed;
pub mod startup;
pub mod telemetry;
