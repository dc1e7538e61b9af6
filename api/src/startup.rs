//! Builds the whole application: database, schema, HTTP server. The binary,
//! the tests and the benchmark all run exactly this.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{App, HttpServer, dev::Server, http::header, middleware, web};
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;

use crate::{
    config::{HttpSettings, Settings},
    database,
    graphql::{
        SchemaDeps, build_schemas, documents::Documents, loaders::lookups::SharedLookups, observe,
        rate_limit::RateLimiter,
    },
    http::{self, auth::TokenVerifier, graphql::GraphqlState, subscription::Sockets},
    memory,
    metrics::Metrics,
    registry::{self, capacity::Freshness, events::Events, geo::PublicGrid, reference::ReferenceCache},
    seed,
};

/// Threads of each worker's blocking pool, where actix compresses bodies.
const COMPRESSION_THREADS_PER_WORKER: usize = 2;

pub struct Application {
    port: u16,
    server: Server,
    /// Tells WebSocket connections the server is stopping.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Stops the server as a signal would (see [`Application::stopper`]).
    stop: Arc<tokio::sync::Notify>,
}

/// Stops a running server gracefully, as SIGTERM does.
#[derive(Clone)]
pub struct Stopper(Arc<tokio::sync::Notify>);

impl Stopper {
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

impl Application {
    /// Connects to the configured database, then as [`Application::build_with_db`].
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let db = database::connect(&settings.database).await?;
        Self::build_with_db(settings, db).await
    }

    /// Migrates the database, loads the demo data into an empty one when
    /// asked, and binds the listener (port 0 picks a free port).
    pub async fn build_with_db(settings: &Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        // Keys first: a server that would accept the wrong tokens must not
        // get as far as touching the database.
        let verifier = TokenVerifier::from_settings(&settings.auth)?;
        memory::return_large_blocks_when_freed();
        database::migrate(&db).await?;
        let grid = PublicGrid(settings.public_grid_degrees);
        if settings.demo {
            seed::demo::load(&db, grid).await?;
        }
        let moved = registry::centre::apply_public_grid(&db, grid).await?;
        if moved > 0 {
            tracing::info!(
                centres = moved,
                grid = grid.0,
                "snapped confidential centres to the public grid"
            );
        }
        let listener = TcpListener::bind(settings.bind)
            .map_err(|err| anyhow::anyhow!("cannot listen on {}: {err}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let metrics = Arc::new(Metrics::new()?);
        let rate_limiter = Arc::new(RateLimiter::new(&settings.rate_limit));
        forget_idle_clients(rate_limiter.clone());
        let reference = Arc::new(ReferenceCache::default());
        let events = Events::connect(&db, reference.clone(), registry::capacity::changed_since_boxed).await?;
        registry::hold::sweep_forever(db.clone(), events.clone());
        let schemas = build_schemas(&SchemaDeps {
            db: db.clone(),
            limits: settings.limits,
            rate_limiter: rate_limiter.clone(),
            metrics: metrics.clone(),
            events,
            freshness: Freshness {
                stale_after: chrono::TimeDelta::from_std(settings.stale_after)?,
            },
            fair_share: settings.fair_share,
            first_circle: Default::default(),
        });
        let state = web::Data::new(GraphqlState {
            schemas,
            documents: Documents::new(settings.limits.max_aliases),
            metrics: metrics.clone(),
            rate_limiter,
            db: db.clone(),
            http: settings.http.clone(),
            limits: settings.limits,
            verifier,
            public_grid: grid,
            reference: reference.clone(),
            lookups: SharedLookups::new(&db),
            root_fields: observe::RootFields::of_schema(),
            reachability: database::Reachability::watch(db.clone()),
        });
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let sockets = web::Data::new(Sockets::new(settings.live, metrics.clone(), stopping_rx));
        let db = web::Data::new(db);
        let metrics = web::Data::new(metrics);
        let http_settings = settings.http.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(http::compression::mark_small))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(http::compression::unmark))
                .wrap(middleware::from_fn(http::compression::prefer_gzip))
                .wrap(cors(&http_settings))
                .wrap(middleware::DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
                .wrap(middleware::from_fn(http::telemetry::finish_request))
                .wrap(TracingLogger::<http::telemetry::KamkorRootSpan>::new())
                .app_data(state.clone())
                .app_data(sockets.clone())
                .app_data(db.clone())
                .app_data(metrics.clone())
                .configure(|config| http::routes(config, http_settings.playground))
        })
        // A response written in pieces (a compressed body is) would
        // otherwise wait on Nagle's algorithm for the client's delayed
        // acknowledgement: 40 ms on Linux for each compressed response.
        .tcp_nodelay(true)
        // Actix compresses bodies over 1 KiB on each worker's blocking
        // pool, nothing else of ours uses it, and each encoder there holds
        // its buffers (brotli: a 4 MiB window) while it runs. The default
        // pool (256 threads a worker on two cores) lets that many encoders
        // hold their windows at once, raising the peak memory; two threads
        // a worker keep both cores busy (figures in `docs/benchmark.md`,
        // "Figures behind the code").
        .worker_max_blocking_threads(COMPRESSION_THREADS_PER_WORKER)
        .listen(listener)?
        // Signals are handled in `run_until_stopped`, so that Ctrl-C is as
        // graceful as SIGTERM (actix stops at once on SIGINT).
        .disable_signals()
        .shutdown_timeout(settings.http.shutdown_grace.as_secs().max(1))
        .run();
        Ok(Self {
            port,
            server,
            stopping,
            stop: Arc::new(tokio::sync::Notify::new()),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server as SIGTERM would (embedders, tests).
    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop.clone())
    }

    /// Serves until the server is stopped; a SIGTERM or Ctrl-C (listened
    /// for by `signals`, from before the application was built, so that one
    /// that arrives while it starts is graceful too) or [`Stopper::stop`]
    /// lets in-flight requests finish first.
    pub async fn run_until_stopped(self, signals: Option<Signals>) -> std::io::Result<()> {
        let handle = self.server.handle();
        let stopping = self.stopping;
        let stop = self.stop;
        tokio::spawn(async move {
            let signal = async {
                match signals {
                    Some(mut signals) => signals.received().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = signal => {}
                _ = stop.notified() => {}
            }
            tracing::info!("shutting down: finishing in-flight requests");
            // WebSockets would otherwise be cut without a close frame when
            // the grace period ends.
            let _ = stopping.send(true);
            handle.stop(true).await;
        });
        self.server.await
    }

    /// Runs the server in the background (tests and the benchmark).
    pub fn spawn(self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        let stopping = self.stopping;
        tokio::spawn(async move {
            let served = self.server.await;
            drop(stopping);
            served
        })
    }
}

/// Cross-origin access for partner web apps: the configured origins, and
/// the server's own (the playground's requests carry an `Origin` too).
fn cors(settings: &HttpSettings) -> Cors {
    let allowed = settings.cors_origins.clone();
    Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let origin = origin.to_str().unwrap_or_default();
            let same_host = head
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| origin.split_once("://").is_some_and(|(_, o)| o == host));
            same_host || allowed.iter().any(|a| a == origin)
        })
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
        ])
        .expose_headers([header::RETRY_AFTER, http::telemetry::HEADER])
        .max_age(3600)
}

/// Every minute, drops the rate-limit buckets of clients that have gone
/// quiet, so that memory follows the clients of the last minute.
fn forget_idle_clients(limiter: Arc<RateLimiter>) {
    tokio::spawn(async move {
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            limiter.forget_idle();
        }
    });
}

/// The signals that stop the server gracefully.
pub struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening (the default action, ending the process, no longer applies).
    pub fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Waits for the first of them.
    async fn received(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
