use async_graphql::{ID, Object, SimpleObject, connection::PageInfo};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{change_feed, enums::RecordType as DbRecordType};

use super::enums::{ChangeAction, RecordType};
use crate::{
    error::AppError,
    graphql::ids::{self, NodeKind},
};

/// The latest change to one record, as listed by the change feed.
#[derive(Clone, Debug)]
pub struct Change(pub change_feed::Model);

/// The latest committed change to one record. Read the record again with
/// `node(id:)` (null when it left public view, e.g. archived).
#[Object]
impl Change {
    /// The global id of the record.
    async fn id(&self) -> ID {
        let kind = match self.0.record_type {
            DbRecordType::Organization => NodeKind::Organization,
            DbRecordType::Centre => NodeKind::Centre,
            DbRecordType::Service => NodeKind::Service,
            DbRecordType::ServiceAtCentre => NodeKind::ServiceAtCentre,
            DbRecordType::Capacity => NodeKind::Capacity,
        };
        ids::encode(kind, self.0.record_id)
    }

    /// The kind of record.
    #[graphql(name = "type")]
    async fn record_type(&self) -> RecordType {
        self.0.record_type.into()
    }

    /// The record's version after the change: a mirror holding this version
    /// or a later one has nothing to do.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// What the change did.
    async fn action(&self) -> ChangeAction {
        self.0.action.into()
    }

    /// When it was committed.
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
}

/// A change in a page of the feed, with its cursor.
#[derive(SimpleObject)]
pub struct ChangeEdge {
    /// The change's position in the feed; pass it as `after`.
    pub cursor: String,
    /// The change.
    pub node: Change,
}

/// A page of the change feed, in commit order.
pub struct ChangeConnection {
    pub changes: Vec<Change>,
    pub has_next: bool,
    /// The cursor to continue from when this page is empty: the one given.
    pub after: Option<String>,
}

/// A page of the change feed, in commit order.
#[Object]
impl ChangeConnection {
    /// The changes of this page with their cursors.
    async fn edges(&self) -> Vec<ChangeEdge> {
        self.changes
            .iter()
            .map(|c| ChangeEdge {
                cursor: encode(c.0.seq),
                node: c.clone(),
            })
            .collect()
    }

    /// The changes of this page.
    async fn nodes(&self) -> Vec<Change> {
        self.changes.clone()
    }

    /// `endCursor` is where to continue from, later, to hear of newer
    /// changes (the cursor given when this page is empty);
    /// `hasNextPage` says whether more changes are already waiting.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: false,
            has_next_page: self.has_next,
            start_cursor: self.changes.first().map(|c| encode(c.0.seq)),
            end_cursor: self
                .changes
                .last()
                .map(|c| encode(c.0.seq))
                .or_else(|| self.after.clone()),
        }
    }
}

const PREFIX: &str = "change:";

/// A feed position as a cursor.
pub fn encode(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{PREFIX}{seq}"))
}

/// The feed position of a cursor.
pub fn decode(cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(PREFIX).and_then(|n| n.parse().ok()))
        .ok_or_else(|| AppError::bad_input("`after` is not a cursor of the change feed"))
}
