//! Upgrade snapshots from inside a systemd unit (ExecStartPre, ExecStartPost
//! and ExecStopPost, each with the `+` prefix). See atnix_snapshot::guard.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use atnix_snapshot::guard::{Guard, PROBE_TIMEOUT, Pre};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// The unit's name (its snapshots live under SNAPSHOTS/UNIT).
    #[arg(long)]
    unit: String,
    /// The unit's state directory.
    #[arg(long)]
    state: PathBuf,
    #[arg(long, default_value = "/var/lib/atnix-snapshots")]
    snapshots: PathBuf,
    #[command(subcommand)]
    step: Step,
}

#[derive(Subcommand)]
enum Step {
    /// ExecStartPre: snapshot the state when PACKAGE differs from the one that last ran.
    Pre {
        #[arg(long)]
        package: String,
        /// Snapshots to keep.
        #[arg(long, default_value_t = 3)]
        keep: usize,
        /// A health gate follows (ExecStartPost): mark the upgrade pending.
        #[arg(long)]
        gated: bool,
    },
    /// ExecStartPost: URL must answer 2xx within TIMEOUT seconds after an upgrade.
    Health {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// ExecStopPost: restore the snapshot when a pending upgrade failed ($SERVICE_RESULT).
    StopPost,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "atnix-upgrade-guard: {}",
                atnix_diag::error_chain(e.as_ref())
            );
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let guard = Guard {
        unit: cli.unit,
        state: cli.state,
        snapshots: cli.snapshots,
    };
    match cli.step {
        Step::Pre {
            package,
            keep,
            gated,
        } => match guard.pre(&package, keep, gated)? {
            Pre::First => eprintln!("{}: first start with {package}", guard.unit),
            Pre::Same => {}
            Pre::Snapshot { seq, from } => eprintln!(
                "{}: {from} -> {package}: state snapshot {seq} taken under {}",
                guard.unit,
                guard.snapshots.join(&guard.unit).display()
            ),
        },
        Step::Health { url, timeout } => {
            let tls = atnix_http::system_client_config().context("TLS configuration")?;
            let client = reqwest::blocking::Client::builder()
                .tls_backend_preconfigured(tls)
                .timeout(PROBE_TIMEOUT)
                .build()
                .context("HTTP client")?;
            guard.health(Duration::from_secs(timeout), || {
                match client.get(&url).send() {
                    Ok(r) if r.status().is_success() => Ok(()),
                    Ok(r) => Err(format!("{url} answered {}", r.status())),
                    Err(e) => Err(format!("{url}: {}", atnix_diag::error_chain(&e))),
                }
            })?;
        }
        Step::StopPost => {
            let result = std::env::var("SERVICE_RESULT").unwrap_or_default();
            if let Some(seq) = guard.stop_post(&result)? {
                eprintln!(
                    "{}: upgrade failed ({result}); state restored from snapshot {seq}; metric in {}",
                    guard.unit,
                    guard.metric().display()
                );
            }
        }
    }
    Ok(())
}
