use sea_orm::entity::prelude::*;

use crate::enums::{ChangeAction, RecordType};

/// The change feed: each record once, at the position of its latest
/// committed change. (Its table kept the name it was created with,
/// `change_log`: migrations are history.)
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    /// Position in commit order.
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub record_type: RecordType,
    pub record_id: Uuid,
    /// The record's version after the change.
    pub version: i32,
    pub action: ChangeAction,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
