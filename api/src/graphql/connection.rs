//! Relay connections over offset windows.
//!
//! A cursor is the position of an item in one particular query: base64url of
//! `<query fingerprint>:<offset>`. The fingerprint hashes the connection's name,
//! filter and order, so a cursor pasted into a different query is rejected
//! instead of silently skipping rows.

use std::{
    future::Future,
    hash::{DefaultHasher, Hash, Hasher},
};

use async_graphql::{
    Context,
    connection::PageInfo,
    dataloader::{DataLoader, HashMapCache, Loader},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, prelude::Uuid};

use super::context::ContextExt;
use crate::{
    error::AppError,
    registry::{Listing, Window},
};

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// One page of a result, before it becomes a typed connection (see
/// [`connection_type!`]).
pub struct Page<T> {
    /// Shared, so that `edges` and `nodes` hand out the same items without
    /// copying them.
    pub edges: Vec<(PageCursor, std::sync::Arc<T>)>,
    pub has_previous: bool,
    pub has_next: bool,
    /// Present when asked for (or needed to page backwards).
    pub total: Option<u64>,
}

impl<T> Page<T> {
    pub fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous,
            has_next_page: self.has_next,
            start_cursor: self.edges.first().map(|(c, _)| c.encode()),
            end_cursor: self.edges.last().map(|(c, _)| c.encode()),
        }
    }
}

/// Declares the Relay connection and edge types of a node type, with
/// descriptions (async-graphql's generic `Connection` has none).
macro_rules! connection_type {
    // `plain`: the nodes answer plain selections themselves (`graphql::plain`).
    (plain $connection:ident, $edge:ident, $node:ty, $connection_doc:literal, $edge_doc:literal) => {
        $crate::graphql::connection::connection_type!(@with_nodes $connection, $edge, $node, $connection_doc, $edge_doc,
            $crate::graphql::plain::PlainList<std::sync::Arc<$node>>);
    };
    ($connection:ident, $edge:ident, $node:ty, $connection_doc:literal, $edge_doc:literal) => {
        $crate::graphql::connection::connection_type!(@with_nodes $connection, $edge, $node, $connection_doc, $edge_doc,
            Vec<std::sync::Arc<$node>>);
    };
    (@with_nodes $connection:ident, $edge:ident, $node:ty, $connection_doc:literal, $edge_doc:literal, $nodes:ty) => {
        #[doc = $connection_doc]
        pub struct $connection(pub $crate::graphql::connection::Page<$node>);

        #[doc = $edge_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Where this item is in the result; pass it as `after` or `before`.
            pub cursor: String,
            /// The item.
            pub node: std::sync::Arc<$node>,
        }

        #[doc = $connection_doc]
        #[async_graphql::Object]
        impl $connection {
            /// The items of this page with their cursors.
            async fn edges(&self) -> Vec<$edge> {
                self.0
                    .edges
                    .iter()
                    .map(|(cursor, node)| $edge {
                        cursor: cursor.encode(),
                        node: node.clone(),
                    })
                    .collect()
            }

            /// The items of this page.
            async fn nodes(&self) -> $nodes {
                self.0.edges.iter().map(|(_, node)| node.clone()).collect()
            }

            /// Where this page is in the result.
            async fn page_info(&self) -> async_graphql::connection::PageInfo {
                self.0.page_info()
            }

            /// The number of items matching the query across all pages.
            async fn total_count(&self) -> i64 {
                self.0.total.unwrap_or_default() as i64
            }
        }
    };
}
pub(crate) use connection_type;

/// Position of an edge in a query identified by its fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageCursor {
    query: u64,
    offset: u64,
}

impl PageCursor {
    fn decode(s: &str) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| "not base64url".to_owned())?;
        let text = String::from_utf8(bytes).map_err(|_| "not text".to_owned())?;
        let (query, offset) = text.split_once(':').ok_or("no separator")?;
        let query = u64::from_str_radix(query, 16).map_err(|_| "bad query part".to_owned())?;
        let offset = offset.parse().map_err(|_| "bad offset".to_owned())?;
        Ok(Self { query, offset })
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{:x}:{}", self.query, self.offset))
    }
}

/// The standard pagination arguments of a connection field.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }
}

/// A fingerprint of everything that defines a query's result order.
pub fn fingerprint(parts: &impl std::fmt::Debug) -> u64 {
    let mut hasher = DefaultHasher::new();
    format!("{parts:?}").hash(&mut hasher);
    hasher.finish()
}

fn check_size(name: &str, value: Option<i32>) -> Result<Option<u64>, AppError> {
    match value {
        Some(n) if !(0..=MAX_PAGE_SIZE).contains(&n) => Err(AppError::bad_input(format!(
            "`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {n}"
        ))),
        Some(n) => Ok(Some(n as u64)),
        None => Ok(None),
    }
}

/// The largest offset a cursor may carry: far beyond any registry, and
/// small enough that the arithmetic of a page (an offset plus a page size
/// plus one) never overflows, nor reaches the database as a negative
/// `OFFSET`.
const MAX_CURSOR_OFFSET: u64 = 1 << 40;

fn decode(name: &str, cursor: Option<&str>, query: u64) -> Result<Option<u64>, AppError> {
    let Some(raw) = cursor else { return Ok(None) };
    let cursor = PageCursor::decode(raw)
        .ok()
        .filter(|cursor| cursor.offset <= MAX_CURSOR_OFFSET)
        .ok_or_else(|| AppError::bad_input(format!("`{name}` is not a valid cursor")))?;
    if cursor.query != query {
        return Err(AppError::bad_input(format!(
            "`{name}` is a cursor from a different query (other filter, order or field)"
        )));
    }
    Ok(Some(cursor.offset))
}

/// Pages a query: `count` gives the total (called only when needed), `fetch`
/// a window. Asks `fetch` for one extra row to learn whether a next page
/// exists without counting.
pub async fn paginate<T, C, CF, F, FF>(
    ctx: &Context<'_>,
    args: PageArgs,
    query: u64,
    count: C,
    fetch: F,
) -> Result<Page<T>, AppError>
where
    C: FnOnce() -> CF,
    CF: Future<Output = Result<u64, AppError>>,
    F: FnOnce(Window) -> FF,
    FF: Future<Output = Result<Vec<T>, AppError>>,
{
    let first = check_size("first", args.first)?;
    let last = check_size("last", args.last)?;
    if first.is_some() && last.is_some() {
        return Err(AppError::bad_input("give either `first` or `last`, not both"));
    }
    let after = decode("after", args.after.as_deref(), query)?;
    let before = decode("before", args.before.as_deref(), query)?;
    let start = after.map_or(0, |a| a + 1);

    // Count only when asked for, or when paging back from the end.
    let wants_total = ctx.look_ahead().field("totalCount").exists();
    let total = if wants_total || (last.is_some() && before.is_none()) {
        Some(count().await?)
    } else {
        None
    };
    let (offset, limit, has_previous) = match last {
        Some(last) => {
            let end = before.or(total).unwrap_or_default();
            let end = end.max(start);
            let offset = end.saturating_sub(last).max(start);
            (offset, end - offset, offset > 0)
        }
        None => {
            let size = first.unwrap_or(DEFAULT_PAGE_SIZE as u64);
            let size = before.map_or(size, |b| size.min(b.saturating_sub(start)));
            (start, size, start > 0)
        }
    };
    let mut items = fetch(Window {
        offset,
        limit: limit + 1,
    })
    .await?;
    let has_next = items.len() as u64 > limit || (last.is_some() && before.is_some());
    items.truncate(limit as usize);
    let edges = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            (
                PageCursor {
                    query,
                    offset: offset + i as u64,
                },
                std::sync::Arc::new(item),
            )
        })
        .collect();
    Ok(Page {
        edges,
        has_previous,
        has_next,
        total,
    })
}

/// One page of a registry listing, each record wrapped for GraphQL.
pub async fn list<E, T>(
    ctx: &Context<'_>,
    args: PageArgs,
    query: u64,
    listing: Listing<E>,
    wrap: impl Fn(E::Model) -> T,
) -> Result<Page<T>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let db = ctx.db()?;
    let listing = &listing;
    paginate(
        ctx,
        args,
        query,
        || listing.count(db),
        |window| async move { Ok(listing.window(db, window).await?.into_iter().map(wrap).collect()) },
    )
    .await
}

/// A record that knows when it last changed, for `updatedSince`.
pub trait Updated {
    fn updated_at(&self) -> DateTime<Utc>;
}

impl<T: Updated> Updated for std::sync::Arc<T> {
    fn updated_at(&self) -> DateTime<Utc> {
        T::updated_at(self)
    }
}

impl Updated for crate::registry::centre::StoredCentre {
    fn updated_at(&self) -> DateTime<Utc> {
        crate::registry::centre::StoredCentre::updated_at(self)
    }
}

impl Updated for entity::service::Model {
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// One page of a record's related records: `ids` in their order (loaded by
/// the caller, usually through a loader of ids), then the records of the
/// page through `records`, each wrapped for GraphQL. With `updated_since`,
/// only the records changed at or after it count (all are loaded first, in
/// one batch; a record's related lists are short).
pub async fn related_page<L, T>(
    ctx: &Context<'_>,
    args: PageArgs,
    query: u64,
    (ids, updated_since): (&[Uuid], Option<DateTime<Utc>>),
    records: &DataLoader<L, HashMapCache>,
    wrap: impl Fn(L::Value) -> T,
) -> Result<Page<T>, AppError>
where
    L: Loader<Uuid, Error = std::sync::Arc<AppError>>,
    L::Value: Updated,
{
    let kept: Vec<Uuid>;
    let ids = match updated_since {
        None => ids,
        Some(since) => {
            let loaded = records.load_many(ids.iter().copied()).await?;
            kept = ids
                .iter()
                .filter(|id| loaded.get(id).is_some_and(|r| r.updated_at() >= since))
                .copied()
                .collect();
            &kept
        }
    };
    let total = ids.len() as u64;
    paginate(
        ctx,
        args,
        query,
        || async move { Ok(total) },
        |window| async move {
            let from = window.offset.min(total) as usize;
            let to = window.offset.saturating_add(window.limit).min(total) as usize;
            let page = &ids[from..to];
            let mut found = records.load_many(page.iter().copied()).await?;
            Ok(page.iter().filter_map(|id| found.remove(id)).map(wrap).collect())
        },
    )
    .await
}

/// The cost of a database round trip, against 1 for a field: what every
/// root field adds to a query's complexity, so that a thousand aliased
/// lists or counts cost what they do.
pub const ROUND_TRIP: usize = 10;

fn page_size(first: Option<i32>, last: Option<i32>) -> usize {
    first.or(last).unwrap_or(DEFAULT_PAGE_SIZE).clamp(0, MAX_PAGE_SIZE) as usize
}

/// Complexity of a root listing (`centres`, `findHelp`, ...): two round
/// trips (the page, and the count that `totalCount` may ask for), plus the
/// page size times the selection. Overflow-safe for any `first`.
pub fn listing_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    page_size(first, last)
        .saturating_mul(child)
        .saturating_add(2 * ROUND_TRIP)
}

/// Complexity of a record's related connection (`Organization.centres`):
/// the page size times the selection. Its ids come with one batched query
/// for all the records of a page, so its count costs nothing more.
pub fn connection_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    page_size(first, last).saturating_mul(child).saturating_add(1)
}

/// Complexity of a field that reads one record or a short list of up to
/// `items` records: a round trip plus each record's selection.
pub fn lookup_complexity(items: usize, child: usize) -> usize {
    items.saturating_mul(child).saturating_add(ROUND_TRIP)
}
