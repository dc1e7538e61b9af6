//! The query root, merged from one object per domain.

pub mod admin_area;
pub mod capacity_overview;
pub mod centre;
pub mod find_help;
pub mod node;
pub mod organization;
pub mod service;

use async_graphql::{Context, InputObject, MergedObject};
use sea_orm::DatabaseConnection;

use crate::service::geo::{Near, Point};

/// The root of every read: look-ups by id, filtered lists, `findHelp` and
/// dashboard totals.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    node::NodeQuery,
    organization::OrganizationQuery,
    centre::CentreQuery,
    service::ServiceQuery,
    admin_area::AdminAreaQuery,
    find_help::FindHelpQuery,
    capacity_overview::CapacityOverviewQuery,
);

/// The database handle shared by the schema.
pub fn db<'a>(ctx: &'a Context<'_>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// A point on the map, with an optional radius.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct NearInput {
    /// Latitude (WGS 84), -90..90.
    pub latitude: f64,
    /// Longitude (WGS 84), -180..180.
    pub longitude: f64,
    /// Keep only results within this many kilometres (0 < radiusKm <= 2000).
    pub radius_km: Option<f64>,
}

impl From<NearInput> for Near {
    fn from(input: NearInput) -> Self {
        Near {
            point: Point {
                latitude: input.latitude,
                longitude: input.longitude,
            },
            radius_km: input.radius_km,
        }
    }
}

/// Checks language codes given by a caller (ISO 639-1, lower case).
pub fn language_codes(codes: Option<Vec<String>>) -> Result<Vec<String>, crate::error::AppError> {
    let codes = codes.unwrap_or_default();
    for code in &codes {
        if !(2..=3).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(crate::error::AppError::bad_input(format!(
                "{code:?} is not a language code; use ISO 639-1 codes such as \"ky\", \"ru\", \"uz\""
            )));
        }
    }
    Ok(codes)
}

/// Complexity of a connection field: the page size times its selection.
pub fn connection_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(crate::graphql::connection::DEFAULT_PAGE_SIZE)
        .clamp(0, 100) as usize;
    size.saturating_mul(child).saturating_add(1)
}
