mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Every client gets atnix-http's config; this covers any code that asks rustls for the
    // process default instead.
    atnix_http::install_default_provider();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("ATNIX_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();

    let cli = cli::Cli::parse();
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", atnix_diag::error_chain(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}
