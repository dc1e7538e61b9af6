//! What a resolver reads from its context: the database, the request's
//! loaders, the caller and their language. Missing data is an internal
//! error, never a panic.

use std::net::IpAddr;

use async_graphql::context::ContextBase;
use sea_orm::DatabaseConnection;

use super::{loaders::Loaders, types::text::Lang};
use crate::{
    error::AppError,
    registry::{
        access::Viewer, capacity::Freshness, events::Events, find_help::FirstCircle, geo::PublicGrid, hold::FairShare,
        reference::ReferenceCache,
    },
};

/// Who is charged for a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    /// An anonymous caller, by network (see [`Client::address`]).
    Address(IpAddr),
    /// An authenticated caller, by token issuer and subject.
    Subject(String),
}

impl Client {
    /// An anonymous client at `ip`, by its [`network`].
    pub fn address(ip: IpAddr) -> Self {
        Self::Address(network(ip))
    }

    /// An authenticated client.
    pub fn caller(caller: &crate::registry::access::Caller) -> Self {
        Self::Subject(format!("{} {}", caller.issuer, caller.subject))
    }
}

/// The network that stands for one anonymous client at `ip`: an IPv4
/// address, or an IPv6 address's /64 (an IPv4 address mapped into IPv6 is
/// that IPv4 address).
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from_bits(v6.to_bits() & (u128::MAX << 64))),
        },
    }
}

/// Per-request data set by the transport (HTTP or WebSocket).
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub viewer: Viewer,
    /// The preferred language the request named (`Accept-Language`), if we
    /// have it.
    pub accept_language: Option<Lang>,
    /// Who is charged for the request; `None` charges nobody.
    pub client: Option<Client>,
    /// Whether the caller may introspect the schema.
    pub may_introspect: bool,
    /// The grid confidential centres' public locations are snapped to.
    pub public_grid: PublicGrid,
    /// Whether this is a WebSocket connection (subscriptions only).
    pub over_websocket: bool,
}

impl Default for RequestContext {
    fn default() -> Self {
        Self {
            viewer: Viewer::anonymous(),
            accept_language: None,
            client: None,
            may_introspect: true,
            public_grid: PublicGrid::default(),
            over_websocket: false,
        }
    }
}

/// Typed access to the data every request carries.
pub trait ContextExt {
    /// The database.
    fn db(&self) -> Result<&DatabaseConnection, AppError>;
    /// The request's DataLoaders.
    fn loaders(&self) -> Result<&Loaders, AppError>;
    /// This replica's reference data (areas, organizations).
    fn reference(&self) -> Result<&ReferenceCache, AppError>;
    /// Where committed changes are announced.
    fn events(&self) -> Result<&Events, AppError>;
    /// When a count of places goes stale.
    fn freshness(&self) -> Freshness;
    /// What one holder may hold.
    fn fair_share(&self) -> FairShare;
    /// Where this replica's nearest-first searches begin.
    fn first_circle(&self) -> std::sync::Arc<FirstCircle>;
    /// Who is asking.
    fn viewer(&self) -> Result<&Viewer, AppError>;
    /// The request's context (the caller, the language, the public grid).
    fn request(&self) -> Result<&RequestContext, AppError>;
    /// The language a text field resolves to: its `lang` argument, else the
    /// request's `Accept-Language`, else Kyrgyz.
    fn lang(&self, argument: Option<Lang>) -> Lang;
}

fn missing(what: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("the request carries no {what}"))
}

// Any context: a field's, or a selection's (see `plain`).
impl<T> ContextExt for ContextBase<'_, T> {
    fn db(&self) -> Result<&DatabaseConnection, AppError> {
        self.data_opt::<DatabaseConnection>()
            .ok_or_else(|| missing("database connection"))
    }

    fn loaders(&self) -> Result<&Loaders, AppError> {
        self.data_opt::<Loaders>().ok_or_else(|| missing("loaders"))
    }

    fn reference(&self) -> Result<&ReferenceCache, AppError> {
        self.loaders().map(|loaders| &*loaders.reference)
    }

    fn events(&self) -> Result<&Events, AppError> {
        self.data_opt::<Events>().ok_or_else(|| missing("event stream"))
    }

    fn freshness(&self) -> Freshness {
        self.data_opt::<Freshness>().copied().unwrap_or_default()
    }

    fn fair_share(&self) -> FairShare {
        self.data_opt::<FairShare>().copied().unwrap_or_default()
    }

    fn first_circle(&self) -> std::sync::Arc<FirstCircle> {
        self.data_opt::<std::sync::Arc<FirstCircle>>()
            .cloned()
            .unwrap_or_default()
    }

    fn viewer(&self) -> Result<&Viewer, AppError> {
        self.request().map(|request| &request.viewer)
    }

    fn request(&self) -> Result<&RequestContext, AppError> {
        self.data_opt::<RequestContext>()
            .ok_or_else(|| missing("request context"))
    }

    fn lang(&self, argument: Option<Lang>) -> Lang {
        argument
            .or_else(|| self.data_opt::<RequestContext>().and_then(|r| r.accept_language))
            .unwrap_or(Lang::Ky)
    }
}
