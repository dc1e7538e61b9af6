//! Builds the whole application: database, schema, HTTP server. The binary,
//! the tests and the benchmark all run exactly this.

use std::net::TcpListener;

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;

use crate::{
    config::Settings,
    database,
    graphql::build_schema,
    http::{self, graphql::GraphqlState},
    seed,
};

pub struct Application {
    port: u16,
    server: Server,
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
        database::migrate(&db).await?;
        if settings.demo {
            seed::demo::load(&db).await?;
        }
        let listener = TcpListener::bind(settings.bind)
            .map_err(|err| anyhow::anyhow!("cannot listen on {}: {err}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(GraphqlState {
            schema: build_schema(db.clone()),
            db: db.clone(),
            max_body_bytes: settings.max_body_bytes,
        });
        let db = web::Data::new(db);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(http::telemetry::finish_request))
                .wrap(TracingLogger::<http::telemetry::KamkorRootSpan>::new())
                .app_data(state.clone())
                .app_data(db.clone())
                .configure(http::routes)
        })
        .listen(listener)?
        // Signals are handled in `run_until_stopped`, so that Ctrl-C is as
        // graceful as SIGTERM (actix stops at once on SIGINT).
        .disable_signals()
        .shutdown_timeout(10)
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server is stopped; a SIGTERM or Ctrl-C lets
    /// in-flight requests finish first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        self.server.await
    }

    /// Runs the server in the background (tests and the benchmark).
    pub fn spawn(self) -> tokio::task::JoinHandle<std::io::Result<()>> {
        tokio::spawn(self.server)
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
