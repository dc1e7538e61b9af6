//! The subscription root, merged from one object per domain. Subscriptions
//! run over WebSocket only (see `crate::http::subscription`); what a
//! subscriber may see is decided by the same access rules as queries.

pub mod capacity;

use async_graphql::MergedSubscription;

/// Every live stream of the registry.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(capacity::CapacitySubscription);
