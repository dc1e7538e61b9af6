//! The registry's commands of the `kamkor` command line. Flags fall back to
//! `KAMKOR_*` variables; every failure ends in one `error: …` line and exit
//! code 1, never a panic.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, str::FromStr, sync::Arc, time::Duration};

use clap::Subcommand;

use crate::{
    config::{
        AuthSettings, DEFAULT_BIND, DEFAULT_DATABASE_URL, DEFAULT_PUBLIC_GRID_DEGREES, DEFAULT_STALE_AFTER,
        DEFAULT_TOKEN_LEEWAY, DatabaseSettings, HttpSettings, LiveSettings, QueryLimits, RateLimitSettings, Settings,
    },
    database, graphql, hsds,
    http::auth,
    registry::{access::Role, capacity, events::Events, geo::PublicGrid, hold::FairShare, reference::ReferenceCache},
    seed,
    startup::{Application, Signals},
};

pub use crate::telemetry::LogFormat;

/// The registry's commands. Each takes the options it uses: those of the
/// database, of the server, of tokens. The `kamkor` binary adds the
/// benchmark's, and serves when no command is named.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API (the default). Migrates the database first.
    Serve(Box<ServeOptions>),
    /// Bring the database schema up to date and exit.
    Migrate(DatabaseOptions),
    /// Load data into an empty database.
    Seed {
        /// Load the demo data (illustrative, not official figures).
        #[arg(long, required = true)]
        demo: bool,
        #[command(flatten)]
        database: DatabaseOptions,
        /// Grid step in degrees of the public location of confidential shelters [default: 0.02].
        #[arg(long, env = "KAMKOR_PUBLIC_GRID_DEGREES")]
        public_grid_degrees: Option<String>,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Write the registry out in an exchange format.
    #[command(subcommand)]
    Export(Export),
    /// Read data into the registry from an exchange format.
    #[command(subcommand)]
    Import(Import),
    /// Mint an HS256 token with KAMKOR_JWT_SECRET (for bootstrap and scripts).
    Token(TokenOptions),
}

/// What `kamkor export` writes.
#[derive(Subcommand, Debug)]
pub enum Export {
    /// Every live service, organization and centre as Open Referral HSDS 3.1, as an anonymous caller sees them (see docs/hsds.md).
    Hsds {
        /// json (an array of services with everything nested), ndjson (a service a line) or csv (a folder of tables).
        #[arg(long, value_enum, default_value = "json")]
        format: hsds::Format,
        /// The file (json, ndjson) or folder (csv) to write; standard output for json and ndjson when left out.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseOptions,
    },
}

/// What `kamkor import` reads.
#[derive(Subcommand, Debug)]
pub enum Import {
    /// HSDS 3.x: a JSON array, ndjson, HSDS API pages, or a folder of CSV tables (see docs/hsds.md).
    Hsds {
        /// The file or folder to read.
        path: PathBuf,
        /// Read and check everything, report what would change, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write nothing unless every record can be imported (else the valid ones are, and the report names the rest).
        #[arg(long)]
        strict: bool,
        /// Services written by one transaction: other writers wait for one batch at most [default: 500].
        #[arg(long, env = "KAMKOR_IMPORT_BATCH")]
        batch_size: Option<String>,
        #[command(flatten)]
        database: DatabaseOptions,
        /// Grid step in degrees of the public location of confidential shelters [default: 0.02].
        #[arg(long, env = "KAMKOR_PUBLIC_GRID_DEGREES")]
        public_grid_degrees: Option<String>,
    },
}

/// The database of the commands that open one.
#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseOptions {
    /// Database URL: sqlite://FILE?mode=rwc (embedded) or postgres://USER@HOST/DB.
    #[arg(long, env = "KAMKOR_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,
    /// Database connections per process (default: 16 on PostgreSQL, 8 on SQLite).
    #[arg(long, env = "KAMKOR_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
    /// Longest one SQL statement may run on PostgreSQL [default: 5s].
    #[arg(long, env = "KAMKOR_STATEMENT_TIMEOUT")]
    pub statement_timeout: Option<String>,
}

/// What `kamkor token` mints.
#[derive(clap::Args, Debug)]
pub struct TokenOptions {
    /// admin, centre_manager or partner.
    #[arg(long)]
    pub role: String,
    /// Who the token stands for (recorded in the audit trail).
    #[arg(long)]
    pub sub: String,
    /// A centre a centre manager may edit (its id as the API returns it); repeat for several.
    #[arg(long = "centre")]
    pub centres: Vec<String>,
    /// How long the token is valid, e.g. 1h, 8h, 30d.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
    /// Shared secret of HS256 tokens, at least 32 bytes (prefer the variable: flags show in process lists).
    #[arg(long, env = "KAMKOR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// The issuer (`iss`) the server requires, if it requires one.
    #[arg(long, env = "KAMKOR_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// The audience (`aud`) the server requires, if it requires one.
    #[arg(long, env = "KAMKOR_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
}

/// The server's database, address, limits and policies.
#[derive(clap::Args, Debug)]
pub struct ServeOptions {
    #[command(flatten)]
    pub database: DatabaseOptions,

    /// Address to serve on.
    #[arg(long, env = "KAMKOR_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Load the demo data when the database is empty (set KAMKOR_DEMO=false in production).
    #[arg(long, env = "KAMKOR_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub demo: bool,

    /// Never load the demo data (same as --demo false).
    #[arg(long)]
    pub no_demo: bool,

    #[command(flatten)]
    pub server: ServerOptions,
}

/// Limits and policies of the server. Taken as text and checked together in
/// [`ServeOptions::settings`], so that every bad value is reported at once.
#[derive(clap::Args, Debug, Default)]
pub struct ServerOptions {
    /// Largest request body in bytes [default: 65536].
    #[arg(long, env = "KAMKOR_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<String>,
    /// Longest GraphQL document in bytes [default: 32768].
    #[arg(long, env = "KAMKOR_MAX_QUERY_BYTES")]
    pub max_query_bytes: Option<String>,
    /// Most tokens in a GraphQL document [default: 5000].
    #[arg(long, env = "KAMKOR_MAX_QUERY_TOKENS")]
    pub max_query_tokens: Option<String>,
    /// Deepest nesting of brackets in a document or values in variables [default: 32].
    #[arg(long, env = "KAMKOR_MAX_QUERY_NESTING")]
    pub max_query_nesting: Option<String>,
    /// Deepest selection [default: 16].
    #[arg(long, env = "KAMKOR_MAX_QUERY_DEPTH")]
    pub max_query_depth: Option<String>,
    /// Largest query cost [default: 20000].
    #[arg(long, env = "KAMKOR_MAX_QUERY_COMPLEXITY")]
    pub max_query_complexity: Option<String>,
    /// Most aliases of one field in one selection [default: 5].
    #[arg(long, env = "KAMKOR_MAX_ALIASES")]
    pub max_aliases: Option<String>,
    /// Most operations in a batched request; 0 refuses batches [default: 0].
    #[arg(long, env = "KAMKOR_MAX_BATCH")]
    pub max_batch: Option<String>,
    /// Serve the GraphiQL playground to browsers on GET /graphql [default: true].
    #[arg(long, env = "KAMKOR_PLAYGROUND")]
    pub playground: Option<String>,
    /// Let anonymous callers introspect the schema (the playground needs it) [default: true].
    #[arg(long, env = "KAMKOR_INTROSPECTION")]
    pub introspection: Option<String>,
    /// Longest a GraphQL request may run, e.g. 10s [default: 10s].
    #[arg(long, env = "KAMKOR_REQUEST_TIMEOUT")]
    pub request_timeout: Option<String>,
    /// How long in-flight requests may finish after SIGTERM or Ctrl-C [default: 10s].
    #[arg(long, env = "KAMKOR_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<String>,
    /// How long a new WebSocket connection has to send connection_init [default: 10s].
    #[arg(long, env = "KAMKOR_WS_INIT_TIMEOUT")]
    pub ws_init_timeout: Option<String>,
    /// How often the server pings WebSocket clients; one silent for three pings is closed [default: 15s].
    #[arg(long, env = "KAMKOR_WS_KEEPALIVE")]
    pub ws_keepalive: Option<String>,
    /// Most subscriptions open at once on one WebSocket connection [default: 20].
    #[arg(long, env = "KAMKOR_MAX_SUBSCRIPTIONS")]
    pub max_subscriptions: Option<String>,
    /// Most WebSocket connections open at once on one server process [default: 5000].
    #[arg(long, env = "KAMKOR_MAX_WEBSOCKETS")]
    pub max_websockets: Option<String>,
    /// Most WebSocket connections from one client (IPv4 address or IPv6 /64) at once [default: 100].
    #[arg(long, env = "KAMKOR_MAX_WEBSOCKETS_PER_CLIENT")]
    pub max_websockets_per_client: Option<String>,
    /// Most places one holder (not an admin) holds at once [default: 20].
    #[arg(long, env = "KAMKOR_HOLD_MAX_PLACES")]
    pub hold_max_places: Option<String>,
    /// Most holds one holder (not an admin) takes in an hour [default: 60].
    #[arg(long, env = "KAMKOR_HOLD_MAX_PER_HOUR")]
    pub hold_max_per_hour: Option<String>,
    /// How long a count of places stays fresh before it is reported stale, e.g. 24h, 3d [default: 24h].
    #[arg(long, env = "KAMKOR_STALE_AFTER")]
    pub stale_after: Option<String>,
    /// Query cost an anonymous client (IPv4 address or IPv6 /64) may spend per minute, per replica; 0 turns limits off [default: 60000].
    #[arg(long, env = "KAMKOR_RATE_LIMIT_ANONYMOUS")]
    pub rate_limit_anonymous: Option<String>,
    /// Query cost an authenticated client (token issuer and subject) may spend per minute, per replica [default: 600000].
    #[arg(long, env = "KAMKOR_RATE_LIMIT_AUTHENTICATED")]
    pub rate_limit_authenticated: Option<String>,
    /// Browser origins allowed to call the API (CORS), comma-separated, e.g. https://app.example.kg [default: none].
    #[arg(long, env = "KAMKOR_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is trusted [default: none].
    #[arg(long, env = "KAMKOR_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Grid step in degrees of the public location of confidential shelters [default: 0.02].
    #[arg(long, env = "KAMKOR_PUBLIC_GRID_DEGREES")]
    pub public_grid_degrees: Option<String>,
    /// Shared secret of HS256 tokens, at least 32 bytes (prefer the variable: flags show in process lists).
    #[arg(long, env = "KAMKOR_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Path to an RS256 or EdDSA public key (PEM) of an identity provider whose tokens are accepted.
    #[arg(long, env = "KAMKOR_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<std::path::PathBuf>,
    /// When set, tokens must carry this issuer (`iss`).
    #[arg(long, env = "KAMKOR_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// When set, tokens must carry this audience (`aud`); required with --jwt-public-key unless --jwt-any-audience.
    #[arg(long, env = "KAMKOR_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Accept the identity provider's tokens whatever their audience (only if it mints tokens for Kamkor alone) [default: false].
    #[arg(long, env = "KAMKOR_JWT_ANY_AUDIENCE")]
    pub jwt_any_audience: Option<String>,
    /// How far token times (`exp`, `nbf`) may be off, for clock skew, e.g. 30s [default: 30s].
    #[arg(long, env = "KAMKOR_JWT_LEEWAY")]
    pub jwt_leeway: Option<String>,
}

/// Collects the problems of a command line while its values are parsed.
#[derive(Default)]
struct Checks(Vec<String>);

impl Checks {
    /// `value` parsed as `T` and accepted by `ok`, else `default` (and a
    /// problem naming the flag and what it takes).
    fn parse<T: FromStr>(&mut self, flag: &str, value: Option<&str>, default: T, ok: fn(&T) -> bool, takes: &str) -> T {
        let Some(raw) = value else { return default };
        match raw.trim().parse::<T>() {
            Ok(v) if ok(&v) => v,
            _ => {
                self.0.push(format!("--{flag} {raw:?} is not {takes}"));
                default
            }
        }
    }

    fn count(&mut self, flag: &str, value: Option<&str>, default: usize) -> usize {
        self.parse(flag, value, default, |n| *n > 0, "a whole number above 0")
    }

    fn duration(&mut self, flag: &str, value: Option<&str>, default: Duration) -> Duration {
        let duration = self.duration_or_zero(flag, value, default);
        if duration.is_zero() {
            self.0.push(format!("--{flag} must be longer than 0s"));
            return default;
        }
        duration
    }

    fn duration_or_zero(&mut self, flag: &str, value: Option<&str>, default: Duration) -> Duration {
        let Some(raw) = value else { return default };
        match humantime::parse_duration(raw.trim()) {
            Ok(d) => d,
            _ => {
                self.0
                    .push(format!("--{flag} {raw:?} is not a duration such as 10s or 2m"));
                default
            }
        }
    }

    /// `value` when no problem was found, else every problem in one line.
    fn finish<T>(self, value: Option<T>) -> Result<T, String> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(self.0.join("; ")),
        }
    }

    /// A comma-separated list, each item parsed by `parse`.
    fn list<T>(&mut self, flag: &str, value: Option<&str>, parse: fn(&str) -> Option<T>, takes: &str) -> Vec<T> {
        let items = value
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty());
        items
            .filter_map(|item| {
                let parsed = parse(item);
                if parsed.is_none() {
                    self.0.push(format!("--{flag}: {item:?} is not {takes}"));
                }
                parsed
            })
            .collect()
    }
}

/// An origin as browsers send it: scheme, host and optional port, nothing else.
fn origin(item: &str) -> Option<String> {
    let url = url::Url::parse(item).ok()?;
    let bare = matches!(url.scheme(), "http" | "https") && url.path() == "/" && url.query().is_none();
    bare.then(|| url.origin().ascii_serialization())
}

/// An IP address (a network of one) or a CIDR network.
fn network(item: &str) -> Option<ipnet::IpNet> {
    item.parse()
        .ok()
        .or_else(|| item.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

impl DatabaseOptions {
    /// The database's settings, checked; every problem goes to `checks`.
    fn checked(&self, checks: &mut Checks) -> Option<DatabaseSettings> {
        let mut database = DatabaseSettings::new(self.database_url.clone())
            .map_err(|e| checks.0.push(e))
            .ok()?;
        match self.database_max_connections {
            Some(0) => checks
                .0
                .push("--database-max-connections must be at least 1".to_owned()),
            Some(n) => database.max_connections = Some(n),
            None => {}
        }
        database.statement_timeout = checks.duration(
            "statement-timeout",
            self.statement_timeout.as_deref(),
            Duration::from_secs(5),
        );
        Some(database)
    }

    /// The database's settings, or every problem with them.
    pub fn settings(&self) -> Result<DatabaseSettings, String> {
        let mut checks = Checks::default();
        let database = self.checked(&mut checks);
        checks.finish(database)
    }
}

impl ServeOptions {
    /// Checks every setting and reports all problems at once.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut checks = Checks::default();
        let o = &self.server;
        let database = self.database.checked(&mut checks);
        let bind = self
            .bind
            .parse::<SocketAddr>()
            .map_err(|_| {
                checks.0.push(format!(
                    "--bind {:?} is not an address such as 127.0.0.1:8080",
                    self.bind
                ))
            })
            .ok();
        let settings = (|| {
            Some(Settings {
                database: database?,
                bind: bind?,
                demo: self.demo && !self.no_demo,
                http: o.http(&mut checks),
                live: o.live(&mut checks),
                limits: o.query_limits(&mut checks),
                rate_limit: o.rate_limit(&mut checks),
                auth: o.auth(&mut checks),
                public_grid_degrees: public_grid_degrees(&mut checks, o.public_grid_degrees.as_deref()),
                stale_after: checks.duration("stale-after", o.stale_after.as_deref(), DEFAULT_STALE_AFTER),
                fair_share: o.fair_share(&mut checks),
            })
        })();
        checks.finish(settings)
    }
}

/// `--public-grid-degrees`, checked.
fn public_grid_degrees(checks: &mut Checks, value: Option<&str>) -> f64 {
    checks.parse(
        "public-grid-degrees",
        value,
        DEFAULT_PUBLIC_GRID_DEGREES,
        |d: &f64| (0.001..=1.0).contains(d),
        "a number of degrees between 0.001 and 1",
    )
}

impl ServerOptions {
    fn http(&self, checks: &mut Checks) -> HttpSettings {
        let d = HttpSettings::default();
        HttpSettings {
            max_body_bytes: checks.count("max-body-bytes", self.max_body_bytes.as_deref(), d.max_body_bytes),
            request_timeout: checks.duration("request-timeout", self.request_timeout.as_deref(), d.request_timeout),
            shutdown_grace: checks.duration("shutdown-grace", self.shutdown_grace.as_deref(), d.shutdown_grace),
            cors_origins: checks.list(
                "cors-origins",
                self.cors_origins.as_deref(),
                origin,
                "an origin such as https://app.example.kg",
            ),
            trusted_proxies: checks.list(
                "trusted-proxies",
                self.trusted_proxies.as_deref(),
                network,
                "an IP address or CIDR network",
            ),
            playground: checks.parse(
                "playground",
                self.playground.as_deref(),
                true,
                |_| true,
                "true or false",
            ),
        }
    }

    fn live(&self, checks: &mut Checks) -> LiveSettings {
        let d = LiveSettings::default();
        LiveSettings {
            init_timeout: checks.duration("ws-init-timeout", self.ws_init_timeout.as_deref(), d.init_timeout),
            keepalive: checks.duration("ws-keepalive", self.ws_keepalive.as_deref(), d.keepalive),
            max_subscriptions: checks.count(
                "max-subscriptions",
                self.max_subscriptions.as_deref(),
                d.max_subscriptions,
            ),
            max_connections: checks.count("max-websockets", self.max_websockets.as_deref(), d.max_connections),
            max_connections_per_client: checks.count(
                "max-websockets-per-client",
                self.max_websockets_per_client.as_deref(),
                d.max_connections_per_client,
            ),
        }
    }

    fn rate_limit(&self, checks: &mut Checks) -> RateLimitSettings {
        let d = RateLimitSettings::default();
        let mut per_minute = |flag: &str, value: &Option<String>, default: u32| {
            checks.parse(flag, value.as_deref(), default, |_| true, "a whole number")
        };
        RateLimitSettings {
            anonymous_per_minute: per_minute(
                "rate-limit-anonymous",
                &self.rate_limit_anonymous,
                d.anonymous_per_minute,
            ),
            authenticated_per_minute: per_minute(
                "rate-limit-authenticated",
                &self.rate_limit_authenticated,
                d.authenticated_per_minute,
            ),
        }
    }

    fn fair_share(&self, checks: &mut Checks) -> FairShare {
        let d = FairShare::default();
        let mut above_zero = |flag: &str, value: &Option<String>, default: u32| {
            checks.parse(flag, value.as_deref(), default, |n| *n > 0, "a whole number above 0")
        };
        FairShare {
            max_places_held: above_zero("hold-max-places", &self.hold_max_places, d.max_places_held),
            max_holds_per_hour: above_zero("hold-max-per-hour", &self.hold_max_per_hour, d.max_holds_per_hour),
        }
    }

    fn auth(&self, checks: &mut Checks) -> AuthSettings {
        AuthSettings {
            secret: self.jwt_secret.clone(),
            public_key: self.jwt_public_key.clone(),
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
            any_audience: checks.parse(
                "jwt-any-audience",
                self.jwt_any_audience.as_deref(),
                false,
                |_| true,
                "true or false",
            ),
            leeway: checks.duration_or_zero("jwt-leeway", self.jwt_leeway.as_deref(), DEFAULT_TOKEN_LEEWAY),
        }
    }

    fn query_limits(&self, checks: &mut Checks) -> QueryLimits {
        let d = QueryLimits::default();
        QueryLimits {
            max_bytes: checks.count("max-query-bytes", self.max_query_bytes.as_deref(), d.max_bytes),
            max_tokens: checks.count("max-query-tokens", self.max_query_tokens.as_deref(), d.max_tokens),
            max_nesting: checks.count("max-query-nesting", self.max_query_nesting.as_deref(), d.max_nesting),
            max_depth: checks.count("max-query-depth", self.max_query_depth.as_deref(), d.max_depth),
            max_complexity: checks.count(
                "max-query-complexity",
                self.max_query_complexity.as_deref(),
                d.max_complexity,
            ),
            max_aliases: checks.count("max-aliases", self.max_aliases.as_deref(), d.max_aliases),
            max_batch: checks.parse(
                "max-batch",
                self.max_batch.as_deref(),
                d.max_batch,
                |_| true,
                "a whole number",
            ),
            introspection: checks.parse(
                "introspection",
                self.introspection.as_deref(),
                d.introspection,
                |_| true,
                "true or false",
            ),
        }
    }
}

/// Ends a command: one `error: …` line and exit code 1 when it failed.
pub fn exit_code(outcome: anyhow::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", format!("{err:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// Runs one of the registry's commands.
pub async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Serve(options) => serve(&options.settings().map_err(anyhow::Error::msg)?).await,
        Command::Token(options) => token(options),
        Command::Migrate(options) => {
            let db = database::connect(&options.settings().map_err(anyhow::Error::msg)?).await?;
            database::migrate(&db).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Seed {
            database: options,
            public_grid_degrees: grid,
            ..
        } => {
            let mut checks = Checks::default();
            let settings = options.checked(&mut checks);
            let grid = PublicGrid(public_grid_degrees(&mut checks, grid.as_deref()));
            seed(&checks.finish(settings).map_err(anyhow::Error::msg)?, grid).await
        }
        Command::Export(Export::Hsds { format, out, database }) => {
            let db = open_database(&database).await?;
            hsds::export::export(&db, format, out.as_deref()).await?;
            Ok(())
        }
        Command::Import(Import::Hsds {
            path,
            dry_run,
            strict,
            batch_size,
            database,
            public_grid_degrees: grid,
        }) => {
            let mut checks = Checks::default();
            let grid = PublicGrid(public_grid_degrees(&mut checks, grid.as_deref()));
            let batch = checks.count("batch-size", batch_size.as_deref(), hsds::import::BATCH as usize) as u64;
            checks.finish(Some(())).map_err(anyhow::Error::msg)?;
            let db = open_database(&database).await?;
            let reference = Arc::new(ReferenceCache::default());
            let events = Events::connect(&db, reference, capacity::changed_since_boxed).await?;
            let options = hsds::import::Options { dry_run, strict, batch };
            let report = hsds::import::import(&db, &events, grid, &path, options).await?;
            print!("{report}");
            if report.refused {
                anyhow::bail!(
                    "nothing was imported: {} records were skipped and --strict was given",
                    report.skipped.len()
                );
            }
            Ok(())
        }
    }
}

/// The database of a command, connected and brought up to date.
async fn open_database(options: &DatabaseOptions) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = database::connect(&options.settings().map_err(anyhow::Error::msg)?).await?;
    database::migrate(&db).await?;
    Ok(db)
}

/// Prints a token minted as `options` ask.
fn token(options: TokenOptions) -> anyhow::Result<()> {
    let TokenOptions {
        role,
        sub,
        centres,
        ttl,
        jwt_secret,
        jwt_issuer,
        jwt_audience,
    } = options;
    let role = Role::from_name(&role)
        .ok_or_else(|| anyhow::anyhow!("--role {role:?} is none of admin, centre_manager, partner"))?;
    let ttl =
        humantime::parse_duration(&ttl).map_err(|_| anyhow::anyhow!("--ttl {ttl:?} is not a duration such as 1h"))?;
    let keys = AuthSettings {
        secret: jwt_secret,
        issuer: jwt_issuer,
        audience: jwt_audience,
        ..Default::default()
    };
    println!("{}", auth::mint(&keys, role, &sub, &centres, ttl)?);
    Ok(())
}

/// Loads the demo data into an empty database.
async fn seed(database: &DatabaseSettings, grid: PublicGrid) -> anyhow::Result<()> {
    let db = database::connect(database).await?;
    database::migrate(&db).await?;
    let Some(summary) = seed::demo::load(&db, grid).await? else {
        anyhow::bail!("the database already holds data; the demo data only goes into an empty registry");
    };
    println!(
        "loaded the demo data: {} areas, {} organizations, {} centres, {} services, {} capacities",
        summary.areas, summary.organizations, summary.centres, summary.services, summary.capacities
    );
    Ok(())
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let signals = Signals::listen()?;
    let app = Application::build(settings).await?;
    let address = SocketAddr::new(settings.bind.ip(), app.port());
    println!("Kamkor is serving on http://{address}");
    if settings.http.playground {
        println!("Playground: http://{address}/graphql");
    } else {
        println!("GraphQL endpoint: http://{address}/graphql (playground off)");
    }
    app.run_until_stopped(Some(signals)).await?;
    Ok(())
}
