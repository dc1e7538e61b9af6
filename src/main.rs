//! The `kamkor` binary: parses the command line and hands it to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    api::cli::run(api::cli::Cli::parse()).await
}
