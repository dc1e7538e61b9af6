//! Typed settings, read once at start-up from flags and `KAMKOR_*` variables
//! (see `cli`). Tests build them in code. Every bad value is reported at
//! once, in one message.

use std::{net::SocketAddr, time::Duration};

use ipnet::IpNet;

/// Default location of the embedded database: a file next to the process.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://kamkor.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Database connections per process unless configured, on PostgreSQL.
pub const DEFAULT_POOL_SIZE_POSTGRES: u32 = 16;
/// The same on SQLite (see [`DatabaseSettings::pool_size`]).
pub const DEFAULT_POOL_SIZE_SQLITE: u32 = 8;

#[derive(Clone, Debug)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub bind: SocketAddr,
    /// Load the demo data when the database is empty.
    pub demo: bool,
    pub http: HttpSettings,
    pub live: LiveSettings,
    pub limits: QueryLimits,
    pub rate_limit: RateLimitSettings,
    pub auth: AuthSettings,
    /// Grid step, in degrees, of the public location of confidential
    /// centres: an anonymous caller can learn which cell a shelter lies in,
    /// and nothing finer.
    pub public_grid_degrees: f64,
    /// How long a count of places stays fresh: older ones are `stale`.
    pub stale_after: Duration,
    /// What one holder may hold at once and take an hour.
    pub fair_share: crate::registry::hold::FairShare,
}

#[derive(Clone)]
pub struct DatabaseSettings {
    pub url: String,
    /// Connections in the pool; `None` for the default (see
    /// [`DatabaseSettings::pool_size`]).
    pub max_connections: Option<u32>,
    /// Longest a single SQL statement may run on PostgreSQL.
    pub statement_timeout: Duration,
    /// Longest a request waits for a pooled connection before it is told
    /// that the database is unavailable: a second for the server, so that
    /// an outage answers at once; command-line tools may wait longer.
    pub acquire_timeout: Duration,
}

/// The HTTP edge.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a GraphQL request may run.
    pub request_timeout: Duration,
    /// How long in-flight requests may finish after a stop signal.
    pub shutdown_grace: Duration,
    /// Origins allowed to call the API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed when telling clients apart.
    pub trusted_proxies: Vec<IpNet>,
    /// Whether browsers get the GraphiQL playground on `GET /graphql`.
    pub playground: bool,
}

/// Subscriptions over WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveSettings {
    /// How long a new connection has to send `connection_init`.
    pub init_timeout: Duration,
    /// How often the server pings; a connection that has not been heard
    /// from for three of these is closed.
    pub keepalive: Duration,
    /// Most subscriptions open at once on one connection.
    pub max_subscriptions: usize,
    /// Most WebSocket connections open at once on this process.
    pub max_connections: usize,
    /// Most of them from one client (an IPv4 address, an IPv6 /64).
    pub max_connections_per_client: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(15),
            max_subscriptions: 20,
            max_connections: 5000,
            max_connections_per_client: 100,
        }
    }
}

/// A count of places older than this is stale unless configured.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Bounds on what one GraphQL request may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Longest document, in bytes.
    pub max_bytes: usize,
    /// Most lexical tokens in a document.
    pub max_tokens: usize,
    /// Deepest nesting of brackets in a document or of values in variables.
    pub max_nesting: usize,
    /// Deepest selection.
    pub max_depth: usize,
    /// Largest cost (complexity): every field costs 1, every database
    /// round trip (a root field, a count) 10, a connection its page size
    /// times its selection.
    pub max_complexity: usize,
    /// Most times one field may be asked for (under aliases) in one
    /// selection.
    pub max_aliases: usize,
    /// Most operations in a batched request (a JSON array); 0 refuses
    /// batches.
    pub max_batch: usize,
    /// Whether anonymous callers may introspect the schema (authenticated
    /// callers always may).
    pub introspection: bool,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024,
            max_tokens: 5_000,
            // GraphiQL's introspection query nests 12 brackets deep; a
            // selection 16 fields deep with arguments about 20.
            max_nesting: 32,
            // GraphiQL's introspection query has depth 13; the deepest
            // sensible data query (findHelp → centre → area → parent) about 8.
            max_depth: 16,
            max_complexity: 20_000,
            max_aliases: 5,
            max_batch: 0,
            introspection: true,
        }
    }
}

/// Token buckets per client, refilled continuously and charged the cost of
/// each request. Per replica: N replicas behind a load balancer allow up to
/// N times as much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Cost an anonymous client (one IP address) may spend per minute; 0 turns
    /// rate limiting off.
    pub anonymous_per_minute: u32,
    /// Cost an authenticated client (one token subject) may spend per minute.
    pub authenticated_per_minute: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            anonymous_per_minute: 60_000,
            authenticated_per_minute: 600_000,
        }
    }
}

/// How bearer tokens (JWT) are checked. With no key, the server serves
/// anonymous reads and refuses every write.
#[derive(Clone)]
pub struct AuthSettings {
    /// Shared secret of HS256 tokens (at least 32 bytes).
    pub secret: Option<String>,
    /// Path to an RS256 or EdDSA public key (PEM) of an external identity
    /// provider.
    pub public_key: Option<std::path::PathBuf>,
    /// When set, tokens must carry this `iss`.
    pub issuer: Option<String>,
    /// When set, tokens must carry this `aud`.
    pub audience: Option<String>,
    /// Accept an identity provider's tokens whatever their audience (only
    /// for a provider that mints tokens for Kamkor alone): without it, a
    /// public key needs an audience.
    pub any_audience: bool,
    /// How far `exp` and `nbf` may be off, for clocks that disagree.
    pub leeway: Duration,
}

/// The leeway of token times unless configured.
pub const DEFAULT_TOKEN_LEEWAY: Duration = Duration::from_secs(30);

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            secret: None,
            public_key: None,
            issuer: None,
            audience: None,
            any_audience: false,
            leeway: DEFAULT_TOKEN_LEEWAY,
        }
    }
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("AuthSettings")
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("public_key", &self.public_key)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("any_audience", &self.any_audience)
            .field("leeway", &self.leeway)
            .finish()
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password: never print it whole.
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("pool_size", &self.pool_size())
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

impl DatabaseSettings {
    /// Checks the URL's scheme; the connection itself is tried later.
    pub fn new(url: impl Into<String>) -> Result<Self, String> {
        let url = url.into();
        let supported = ["sqlite:", "postgres://", "postgresql://"];
        if !supported.iter().any(|scheme| url.starts_with(scheme)) {
            return Err(format!(
                "database URL {:?} is not supported: use sqlite://FILE?mode=rwc or postgres://USER@HOST/DB",
                redact_url(&url)
            ));
        }
        Ok(Self {
            url,
            max_connections: None,
            statement_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(1),
        })
    }

    /// Connections in the pool unless configured: 16 on PostgreSQL, well
    /// below its usual limit of 100 shared by all replicas. 8 on SQLite,
    /// where each connection is a worker thread with a page cache and
    /// prepared statements of its own inside this process: on a small
    /// machine more connections serve no more requests than 8, and each
    /// one adds memory (figures in `docs/benchmark.md`, "Figures behind
    /// the code").
    pub fn pool_size(&self) -> u32 {
        let default = if self.is_postgres() {
            DEFAULT_POOL_SIZE_POSTGRES
        } else {
            DEFAULT_POOL_SIZE_SQLITE
        };
        self.max_connections.unwrap_or(default)
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

/// The URL with any password replaced by `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => raw.to_owned(),
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            playground: true,
        }
    }
}

pub use crate::registry::geo::DEFAULT_PUBLIC_GRID_DEGREES;

impl Settings {
    /// Settings for tests and tools: the given database, an OS-chosen port,
    /// no demo data, no rate limits, the other defaults.
    pub fn for_database(database: DatabaseSettings) -> Self {
        Self {
            database,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            demo: false,
            http: HttpSettings::default(),
            live: LiveSettings::default(),
            limits: QueryLimits::default(),
            rate_limit: RateLimitSettings {
                anonymous_per_minute: 0,
                authenticated_per_minute: 0,
            },
            auth: AuthSettings::default(),
            public_grid_degrees: DEFAULT_PUBLIC_GRID_DEGREES,
            stale_after: DEFAULT_STALE_AFTER,
            fair_share: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_debug_output() {
        let db = DatabaseSettings::new("postgres://kamkor:s3cret@db/kamkor").expect("valid");
        assert!(!format!("{db:?}").contains("s3cret"));
    }

    #[test]
    fn secrets_never_reach_debug_output() {
        let auth = AuthSettings {
            secret: Some("a-very-long-shared-secret-of-32-bytes".into()),
            ..Default::default()
        };
        assert!(!format!("{auth:?}").contains("very-long"));
    }

    #[test]
    fn the_pool_size_defaults_to_8_on_sqlite_and_16_on_postgres() {
        let mut sqlite = DatabaseSettings::new("sqlite://k.db?mode=rwc").expect("valid");
        assert_eq!(sqlite.pool_size(), 8);
        sqlite.max_connections = Some(7);
        assert_eq!(sqlite.pool_size(), 7);
        assert_eq!(DatabaseSettings::new("postgres://db/k").expect("valid").pool_size(), 16);
    }

    #[test]
    fn unknown_schemes_are_rejected_with_a_hint() {
        let err = DatabaseSettings::new("mysql://x").expect_err("unsupported");
        assert!(err.contains("sqlite://"), "{err}");
    }
}
