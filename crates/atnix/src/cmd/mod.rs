use std::process::ExitCode;

use crate::cli::Command;

pub mod check;
pub mod eval;
pub mod harden;
pub mod hash;
pub mod prefetch;
pub mod probe;
pub mod render;
pub mod report;
pub mod rollback;
pub mod smoke;
pub mod update;
pub mod vendor_hash;

/// Each subcommand returns its exit code; errors print as `error: ...` and exit 1.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Hash(args) => hash::run(args),
        Command::Prefetch(args) => prefetch::run(args),
        Command::VendorHash(args) => vendor_hash::run(args),
        Command::Check(args) => check::run(args),
        Command::Report(args) => report::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Render(args) => render::run(args),
        Command::Harden(args) => harden::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Smoke(args) => smoke::run(args),
        Command::Update(args) => update::run(args),
        Command::Rollback(args) => rollback::run(args),
    }
}
