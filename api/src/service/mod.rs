//! The plain-Rust query layer: filters, orderings and aggregates over the
//! registry. Functions take `&impl ConnectionTrait` (so they also work inside a
//! transaction), return `Result<_, AppError>`, and know nothing of GraphQL.

pub mod admin_area;
pub mod capacity_overview;
pub mod centre;
pub mod derived;
pub mod find_help;
pub mod geo;
pub mod organization;
pub mod search;
// The "service" domain (what is offered) in the service layer.
#[allow(clippy::module_inception)]
pub mod service;

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select};

use crate::error::AppError;

/// A slice of an ordered result: skip `offset` rows, return at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// The current time at the precision both databases keep (PostgreSQL
/// stores microseconds; SQLite would keep nanoseconds), so that a record
/// reads back the same on either.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// One page of a filtered, ordered query.
pub async fn fetch_page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    window: Window,
) -> Result<Vec<E::Model>, AppError> {
    Ok(query.offset(window.offset).limit(window.limit).all(db).await?)
}

/// The number of rows a filtered query matches.
pub async fn count_rows<E: EntityTrait>(db: &impl ConnectionTrait, query: Select<E>) -> Result<u64, AppError>
where
    E::Model: Sync,
{
    Ok(query.count(db).await?)
}

/// Which coordinates a caller may filter and sort on (see
/// `entity::centre::Model::public_latitude`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationAccess {
    /// Exact coordinates of every centre (partners, managers, admins).
    Exact,
    /// Coarsened coordinates for confidential centres (anonymous callers).
    Public,
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl From<Direction> for sea_orm::Order {
    fn from(direction: Direction) -> Self {
        match direction {
            Direction::Asc => sea_orm::Order::Asc,
            Direction::Desc => sea_orm::Order::Desc,
        }
    }
}

/// Languages a human-readable text can be asked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Ky,
    Ru,
    En,
}

/// `min <= age <= max` for a pair of optional age columns; a missing bound
/// does not limit.
pub fn ages_include<C: sea_orm::ColumnTrait>(min: C, max: C, age: i32) -> sea_orm::Condition {
    use sea_orm::Condition;
    Condition::all()
        .add(Condition::any().add(min.is_null()).add(min.lte(age)))
        .add(Condition::any().add(max.is_null()).add(max.gte(age)))
}

/// Checks a child's age given by a caller.
pub fn validate_child_age(age: Option<i32>) -> Result<(), AppError> {
    match age {
        Some(age) if !(0..=18).contains(&age) => Err(AppError::bad_input(format!(
            "childAge must be between 0 and 18, got {age}"
        ))),
        _ => Ok(()),
    }
}
