//! The `kamkor` binary: parses the command line and hands it to the
//! registry's commands (`api::cli`) or to the benchmark (`bench`).

use std::process::ExitCode;

use api::cli::{Command as Registry, LogFormat, ServeOptions};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "kamkor",
    version,
    about = "Kamkor: GraphQL registry of child-protection services in Kyrgyzstan",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, env = "KAMKOR_LOG_FORMAT", value_enum, default_value = "pretty", global = true)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Option<Command>,

    /// `kamkor` alone serves, with these options.
    #[command(flatten)]
    serve: ServeOptions,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Registry(Registry),
    /// Generate a data set, start the server and measure it under load.
    Bench(Box<bench::BenchArgs>),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    api::telemetry::init(cli.log_format);
    let outcome = match cli.command {
        None => api::cli::dispatch(Registry::Serve(Box::new(cli.serve))).await,
        Some(Command::Registry(command)) => api::cli::dispatch(command).await,
        Some(Command::Bench(args)) => bench::run(*args).await,
    };
    api::cli::exit_code(outcome)
}
