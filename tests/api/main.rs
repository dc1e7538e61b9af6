//! Integration tests: the real server on port 0, over HTTP. Data tests run on
//! SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

mod helpers;

mod admin_areas;
mod auth;
mod browser;
mod centre_lists;
mod centres;
mod cli;
mod concurrency;
mod confidentiality;
mod connections;
mod editing;
mod errors;
mod examples;
mod fair_share;
mod filters;
mod find_help;
mod fixture;
mod fuzz;
mod hold_endings;
mod holds;
mod hsds;
mod http;
mod language;
mod limits;
mod migrations;
mod mirror;
mod n_plus_one;
mod nodes;
mod observability;
mod organizations;
mod overview;
mod permissions;
mod plain_lists;
mod playground;
mod rate_limit;
mod registry;
mod replicas;
mod resilience;
mod schema;
mod services;
mod staleness;
mod startup;
mod subscriptions;
mod ws;
