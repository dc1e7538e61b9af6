//! The `kamkor` command line. Flags fall back to `KAMKOR_*` variables; every
//! failure ends in one `error: …` line and exit code 1, never a panic.

use std::{net::SocketAddr, process::ExitCode};

use clap::{Parser, Subcommand};

#[cfg(feature = "bench")]
use crate::bench::{self, BenchArgs};
use crate::{
    config::{DEFAULT_BIND, DEFAULT_DATABASE_URL, DatabaseSettings, Settings},
    database, graphql, seed,
    startup::Application,
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

    /// Database connections per process (default: 16).
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
    /// Generate a data set, start the server and measure it under load.
    #[cfg(feature = "bench")]
    Bench(BenchArgs),
}

impl Cli {
    /// Checks every setting and reports all problems at once.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut problems = Vec::new();
        let mut database = DatabaseSettings::new(self.database_url.clone())
            .map_err(|e| problems.push(e))
            .ok();
        match self.database_max_connections {
            Some(0) => problems.push("--database-max-connections must be at least 1".to_owned()),
            Some(n) => database.iter_mut().for_each(|d| d.max_connections = Some(n)),
            None => {}
        }
        let bind = self
            .bind
            .parse::<SocketAddr>()
            .map_err(|_| {
                problems.push(format!(
                    "--bind {:?} is not an address such as 127.0.0.1:8080",
                    self.bind
                ))
            })
            .ok();
        match (database, bind) {
            (Some(database), Some(bind)) if problems.is_empty() => Ok(Settings {
                database,
                bind,
                demo: self.demo && !self.no_demo,
                max_body_bytes: 64 * 1024,
            }),
            _ => Err(problems.join("; ")),
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
        Command::Migrate => {
            let db = database::connect(&settings()?.database).await?;
            database::migrate(&db).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Seed { .. } => {
            let db = database::connect(&settings()?.database).await?;
            database::migrate(&db).await?;
            let Some(summary) = seed::demo::load(&db).await? else {
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
    let app = Application::build(settings).await?;
    let address = SocketAddr::new(settings.bind.ip(), app.port());
    println!("Kamkor is serving on http://{address}");
    println!("Playground: http://{address}/graphql");
    app.run_until_stopped().await?;
    Ok(())
}
