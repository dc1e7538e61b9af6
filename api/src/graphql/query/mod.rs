//! The query root, merged from one object per domain.

pub mod admin_area;
pub mod audit;
pub mod centre;
pub mod change_feed;
pub mod find_help;
pub mod hold;
pub mod node;
pub mod organization;
pub mod overview;
pub mod service;

use async_graphql::{InputObject, MergedObject};

use crate::{
    error::AppError,
    registry::{
        Direction, NamedOrder, NamedOrderField,
        geo::{Near, Point},
        text::Lang,
    },
};

/// What a root field that looks one record up by id answers: the record,
/// or NOT_FOUND naming the `kind` and the id asked for.
fn found<T>(record: Option<T>, kind: &str, id: &async_graphql::ID) -> Result<Option<T>, AppError> {
    match record {
        Some(record) => Ok(Some(record)),
        None => Err(AppError::not_found(format!("no {kind} with id {:?}", id.as_str()))),
    }
}

/// The order a list of named records is asked for in (field and
/// direction), else by name, in `lang`.
fn named_order(asked: Option<(NamedOrderField, Direction)>, lang: Lang) -> NamedOrder {
    match asked {
        Some((field, direction)) => NamedOrder { field, direction, lang },
        None => NamedOrder::by_name(lang),
    }
}

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
    overview::CapacityOverviewQuery,
    audit::AuditQuery,
    hold::HoldQuery,
    change_feed::ChangeFeedQuery,
);

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
