//! The `kamkor` command line. Flags fall back to `KAMKOR_*` variables; every
//! failure ends in one `error: …` line and exit code 1, never a panic.

use std::{net::SocketAddr, process::ExitCode, str::FromStr, time::Duration};

use clap::{Parser, Subcommand};

#[cfg(feature = "bench")]
use crate::bench::{self, BenchArgs};
use crate::{
    config::{
        AuthSettings, DEFAULT_BIND, DEFAULT_DATABASE_URL, DEFAULT_PUBLIC_GRID_DEGREES, DEFAULT_STALE_AFTER,
        DEFAULT_TOKEN_LEEWAY, DatabaseSettings, HttpSettings, LiveSettings, QueryLimits, RateLimitSettings, Settings,
    },
    database, graphql,
    http::auth,
    registry::{access::Role, geo::PublicGrid, hold::FairShare},
    seed,
    startup::{Application, Signals},
    telemetry::{self, LogFormat},
};

#[derive(Parser, Debug)]
#[command(
    name = "kamkor",
    version,
    about = "Kamkor: GraphQL registry of child-protection services in Kyrgyzstan"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Database URL: sqlite://FILE?mode=rwc (embedded) or postgres://USER@HOST/DB.
    #[arg(long, env = "KAMKOR_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    pub database_url: String,

    /// Database connections per process (default: 16 on PostgreSQL, 8 on SQLite).
    #[arg(long, env = "KAMKOR_DATABASE_MAX_CONNECTIONS", global = true)]
    pub database_max_connections: Option<u32>,

    /// Address to serve on.
    #[arg(long, env = "KAMKOR_BIND", default_value = DEFAULT_BIND, global = true)]
    pub bind: String,

    /// Load the demo data when the database is empty (set KAMKOR_DEMO=false in production).
    #[arg(long, env = "KAMKOR_DEMO", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub demo: bool,

    /// Never load the demo data (same as --demo false).
    #[arg(long, global = true)]
    pub no_demo: bool,

    /// Log format on stderr.
    #[arg(long, env = "KAMKOR_LOG_FORMAT", value_enum, default_value = "pretty", global = true)]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub server: ServerOptions,
}

/// Limits and policies of the server. Taken as text and checked together in
/// [`Cli::settings`], so that every bad value is reported at once.
#[derive(clap::Args, Debug, Default)]
pub struct ServerOptions {
    /// Largest request body in bytes [default: 65536].
    #[arg(long, env = "KAMKOR_MAX_BODY_BYTES", global = true)]
    pub max_body_bytes: Option<String>,
    /// Longest GraphQL document in bytes [default: 32768].
    #[arg(long, env = "KAMKOR_MAX_QUERY_BYTES", global = true)]
    pub max_query_bytes: Option<String>,
    /// Most tokens in a GraphQL document [default: 5000].
    #[arg(long, env = "KAMKOR_MAX_QUERY_TOKENS", global = true)]
    pub max_query_tokens: Option<String>,
    /// Deepest nesting of brackets in a document or values in variables [default: 32].
    #[arg(long, env = "KAMKOR_MAX_QUERY_NESTING", global = true)]
    pub max_query_nesting: Option<String>,
    /// Deepest selection [default: 16].
    #[arg(long, env = "KAMKOR_MAX_QUERY_DEPTH", global = true)]
    pub max_query_depth: Option<String>,
    /// Largest query cost [default: 20000].
    #[arg(long, env = "KAMKOR_MAX_QUERY_COMPLEXITY", global = true)]
    pub max_query_complexity: Option<String>,
    /// Most aliases of one field in one selection [default: 5].
    #[arg(long, env = "KAMKOR_MAX_ALIASES", global = true)]
    pub max_aliases: Option<String>,
    /// Most operations in a batched request; 0 refuses batches [default: 0].
    #[arg(long, env = "KAMKOR_MAX_BATCH", global = true)]
    pub max_batch: Option<String>,
    /// Serve the GraphiQL playground to browsers on GET /graphql [default: true].
    #[arg(long, env = "KAMKOR_PLAYGROUND", global = true)]
    pub playground: Option<String>,
    /// Let anonymous callers introspect the schema (the playground needs it) [default: true].
    #[arg(long, env = "KAMKOR_INTROSPECTION", global = true)]
    pub introspection: Option<String>,
    /// Longest a GraphQL request may run, e.g. 10s [default: 10s].
    #[arg(long, env = "KAMKOR_REQUEST_TIMEOUT", global = true)]
    pub request_timeout: Option<String>,
    /// Longest one SQL statement may run on PostgreSQL [default: 5s].
    #[arg(long, env = "KAMKOR_STATEMENT_TIMEOUT", global = true)]
    pub statement_timeout: Option<String>,
    /// How long in-flight requests may finish after SIGTERM or Ctrl-C [default: 10s].
    #[arg(long, env = "KAMKOR_SHUTDOWN_GRACE", global = true)]
    pub shutdown_grace: Option<String>,
    /// How long a new WebSocket connection has to send connection_init [default: 10s].
    #[arg(long, env = "KAMKOR_WS_INIT_TIMEOUT", global = true)]
    pub ws_init_timeout: Option<String>,
    /// How often the server pings WebSocket clients; one silent for three pings is closed [default: 15s].
    #[arg(long, env = "KAMKOR_WS_KEEPALIVE", global = true)]
    pub ws_keepalive: Option<String>,
    /// Most subscriptions open at once on one WebSocket connection [default: 20].
    #[arg(long, env = "KAMKOR_MAX_SUBSCRIPTIONS", global = true)]
    pub max_subscriptions: Option<String>,
    /// Most WebSocket connections open at once on one server process [default: 5000].
    #[arg(long, env = "KAMKOR_MAX_WEBSOCKETS", global = true)]
    pub max_websockets: Option<String>,
    /// Most WebSocket connections from one client (IPv4 address or IPv6 /64) at once [default: 100].
    #[arg(long, env = "KAMKOR_MAX_WEBSOCKETS_PER_CLIENT", global = true)]
    pub max_websockets_per_client: Option<String>,
    /// Most places one holder (not an admin) holds at once [default: 20].
    #[arg(long, env = "KAMKOR_HOLD_MAX_PLACES", global = true)]
    pub hold_max_places: Option<String>,
    /// Most holds one holder (not an admin) takes in an hour [default: 60].
    #[arg(long, env = "KAMKOR_HOLD_MAX_PER_HOUR", global = true)]
    pub hold_max_per_hour: Option<String>,
    /// How long a count of places stays fresh before it is reported stale, e.g. 24h, 3d [default: 24h].
    #[arg(long, env = "KAMKOR_STALE_AFTER", global = true)]
    pub stale_after: Option<String>,
    /// Query cost an anonymous client (IP address) may spend per minute, per replica; 0 turns limits off [default: 60000].
    #[arg(long, env = "KAMKOR_RATE_LIMIT_ANONYMOUS", global = true)]
    pub rate_limit_anonymous: Option<String>,
    /// Query cost an authenticated client (token subject) may spend per minute, per replica [default: 600000].
    #[arg(long, env = "KAMKOR_RATE_LIMIT_AUTHENTICATED", global = true)]
    pub rate_limit_authenticated: Option<String>,
    /// Browser origins allowed to call the API (CORS), comma-separated, e.g. https://app.example.kg [default: none].
    #[arg(long, env = "KAMKOR_CORS_ORIGINS", global = true)]
    pub cors_origins: Option<String>,
    /// Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is trusted [default: none].
    #[arg(long, env = "KAMKOR_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Grid step in degrees of the public location of confidential shelters [default: 0.02].
    #[arg(long, env = "KAMKOR_PUBLIC_GRID_DEGREES", global = true)]
    pub public_grid_degrees: Option<String>,
    /// Shared secret of HS256 tokens, at least 32 bytes (prefer the variable: flags show in process lists).
    #[arg(long, env = "KAMKOR_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Path to an RS256 or EdDSA public key (PEM) of an identity provider whose tokens are accepted.
    #[arg(long, env = "KAMKOR_JWT_PUBLIC_KEY", global = true)]
    pub jwt_public_key: Option<std::path::PathBuf>,
    /// When set, tokens must carry this issuer (`iss`).
    #[arg(long, env = "KAMKOR_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// When set, tokens must carry this audience (`aud`); required with --jwt-public-key unless --jwt-any-audience.
    #[arg(long, env = "KAMKOR_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Accept the identity provider's tokens whatever their audience (only if it mints tokens for Kamkor alone) [default: false].
    #[arg(long, env = "KAMKOR_JWT_ANY_AUDIENCE", global = true)]
    pub jwt_any_audience: Option<String>,
    /// How far token times (`exp`, `nbf`) may be off, for clock skew, e.g. 30s [default: 30s].
    #[arg(long, env = "KAMKOR_JWT_LEEWAY", global = true)]
    pub jwt_leeway: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API (the default). Migrates the database first.
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Load data into an empty database.
    Seed {
        /// Load the demo data (illustrative, not official figures).
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Mint an HS256 token with KAMKOR_JWT_SECRET (for bootstrap and scripts).
    Token {
        /// admin, centre_manager or partner.
        #[arg(long)]
        role: String,
        /// Who the token stands for (recorded in the audit trail).
        #[arg(long)]
        sub: String,
        /// A centre a centre manager may edit (its id as the API returns it); repeat for several.
        #[arg(long = "centre")]
        centres: Vec<String>,
        /// How long the token is valid, e.g. 1h, 8h, 30d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Generate a data set, start the server and measure it under load.
    #[cfg(feature = "bench")]
    Bench(BenchArgs),
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

impl Cli {
    /// Checks every setting and reports all problems at once.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut checks = Checks::default();
        let o = &self.server;
        let limits = self.query_limits(&mut checks);
        let http = HttpSettings {
            max_body_bytes: checks.count("max-body-bytes", o.max_body_bytes.as_deref(), 64 * 1024),
            request_timeout: checks.duration("request-timeout", o.request_timeout.as_deref(), Duration::from_secs(10)),
            shutdown_grace: checks.duration("shutdown-grace", o.shutdown_grace.as_deref(), Duration::from_secs(10)),
            cors_origins: checks.list(
                "cors-origins",
                o.cors_origins.as_deref(),
                origin,
                "an origin such as https://app.example.kg",
            ),
            trusted_proxies: checks.list(
                "trusted-proxies",
                o.trusted_proxies.as_deref(),
                network,
                "an IP address or CIDR network",
            ),
            playground: checks.parse("playground", o.playground.as_deref(), true, |_| true, "true or false"),
        };
        let d = LiveSettings::default();
        let live = LiveSettings {
            init_timeout: checks.duration("ws-init-timeout", o.ws_init_timeout.as_deref(), d.init_timeout),
            keepalive: checks.duration("ws-keepalive", o.ws_keepalive.as_deref(), d.keepalive),
            max_subscriptions: checks.count("max-subscriptions", o.max_subscriptions.as_deref(), d.max_subscriptions),
            max_connections: checks.count("max-websockets", o.max_websockets.as_deref(), d.max_connections),
            max_connections_per_client: checks.count(
                "max-websockets-per-client",
                o.max_websockets_per_client.as_deref(),
                d.max_connections_per_client,
            ),
        };
        let share = FairShare::default();
        let fair_share = FairShare {
            max_places_held: checks.parse(
                "hold-max-places",
                o.hold_max_places.as_deref(),
                share.max_places_held,
                |n| *n > 0,
                "a whole number above 0",
            ),
            max_holds_per_hour: checks.parse(
                "hold-max-per-hour",
                o.hold_max_per_hour.as_deref(),
                share.max_holds_per_hour,
                |n| *n > 0,
                "a whole number above 0",
            ),
        };
        let auth = AuthSettings {
            secret: o.jwt_secret.clone(),
            public_key: o.jwt_public_key.clone(),
            issuer: o.jwt_issuer.clone(),
            audience: o.jwt_audience.clone(),
            any_audience: checks.parse(
                "jwt-any-audience",
                o.jwt_any_audience.as_deref(),
                false,
                |_| true,
                "true or false",
            ),
            leeway: checks.duration_or_zero("jwt-leeway", o.jwt_leeway.as_deref(), DEFAULT_TOKEN_LEEWAY),
        };
        let stale_after = checks.duration("stale-after", o.stale_after.as_deref(), DEFAULT_STALE_AFTER);
        let defaults = RateLimitSettings::default();
        let rate_limit = RateLimitSettings {
            anonymous_per_minute: checks.parse(
                "rate-limit-anonymous",
                o.rate_limit_anonymous.as_deref(),
                defaults.anonymous_per_minute,
                |_| true,
                "a whole number",
            ),
            authenticated_per_minute: checks.parse(
                "rate-limit-authenticated",
                o.rate_limit_authenticated.as_deref(),
                defaults.authenticated_per_minute,
                |_| true,
                "a whole number",
            ),
        };
        let public_grid_degrees = checks.parse(
            "public-grid-degrees",
            o.public_grid_degrees.as_deref(),
            DEFAULT_PUBLIC_GRID_DEGREES,
            |d: &f64| (0.001..=1.0).contains(d),
            "a number of degrees between 0.001 and 1",
        );
        let mut database = DatabaseSettings::new(self.database_url.clone())
            .map_err(|e| checks.0.push(e))
            .ok();
        match self.database_max_connections {
            Some(0) => checks
                .0
                .push("--database-max-connections must be at least 1".to_owned()),
            Some(n) => database.iter_mut().for_each(|d| d.max_connections = Some(n)),
            None => {}
        }
        let statement_timeout = checks.duration(
            "statement-timeout",
            o.statement_timeout.as_deref(),
            Duration::from_secs(5),
        );
        database
            .iter_mut()
            .for_each(|d| d.statement_timeout = statement_timeout);
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
        match (database, bind) {
            (Some(database), Some(bind)) if checks.0.is_empty() => Ok(Settings {
                database,
                bind,
                demo: self.demo && !self.no_demo,
                http,
                live,
                limits,
                rate_limit,
                auth,
                public_grid_degrees,
                stale_after,
                fair_share,
            }),
            _ => Err(checks.0.join("; ")),
        }
    }

    fn query_limits(&self, checks: &mut Checks) -> QueryLimits {
        let o = &self.server;
        let d = QueryLimits::default();
        QueryLimits {
            max_bytes: checks.count("max-query-bytes", o.max_query_bytes.as_deref(), d.max_bytes),
            max_tokens: checks.count("max-query-tokens", o.max_query_tokens.as_deref(), d.max_tokens),
            max_nesting: checks.count("max-query-nesting", o.max_query_nesting.as_deref(), d.max_nesting),
            max_depth: checks.count("max-query-depth", o.max_query_depth.as_deref(), d.max_depth),
            max_complexity: checks.count(
                "max-query-complexity",
                o.max_query_complexity.as_deref(),
                d.max_complexity,
            ),
            max_aliases: checks.count("max-aliases", o.max_aliases.as_deref(), d.max_aliases),
            max_batch: checks.parse(
                "max-batch",
                o.max_batch.as_deref(),
                d.max_batch,
                |_| true,
                "a whole number",
            ),
            introspection: checks.parse(
                "introspection",
                o.introspection.as_deref(),
                d.introspection,
                |_| true,
                "true or false",
            ),
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    telemetry::init(cli.log_format);
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", format!("{err:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(mut cli: Cli) -> anyhow::Result<()> {
    // `schema` needs no settings, so a bad one must not stop it.
    let command = cli.command.take().unwrap_or(Command::Serve);
    let settings = || cli.settings().map_err(anyhow::Error::msg);
    match command {
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Serve => serve(&settings()?).await,
        Command::Token {
            role,
            sub,
            centres,
            ttl,
        } => {
            let role = Role::from_name(&role)
                .ok_or_else(|| anyhow::anyhow!("--role {role:?} is none of admin, centre_manager, partner"))?;
            let ttl = humantime::parse_duration(&ttl)
                .map_err(|_| anyhow::anyhow!("--ttl {ttl:?} is not a duration such as 1h"))?;
            println!("{}", auth::mint(&settings()?.auth, role, &sub, &centres, ttl)?);
            Ok(())
        }
        Command::Migrate => {
            let db = database::connect(&settings()?.database).await?;
            database::migrate(&db).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Seed { .. } => {
            let settings = settings()?;
            let db = database::connect(&settings.database).await?;
            database::migrate(&db).await?;
            let grid = PublicGrid(settings.public_grid_degrees);
            let Some(summary) = seed::demo::load(&db, grid).await? else {
                anyhow::bail!("the database already holds data; the demo data only goes into an empty registry");
            };
            println!(
                "loaded the demo data: {} areas, {} organizations, {} centres, {} services, {} capacities",
                summary.areas, summary.organizations, summary.centres, summary.services, summary.capacities
            );
            Ok(())
        }
        #[cfg(feature = "bench")]
        Command::Bench(args) => bench::run(&settings()?, args).await,
    }
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
