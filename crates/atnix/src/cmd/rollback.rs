//! `atnix rollback UNIT`: put a service's state back from its newest upgrade snapshot.
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The service's systemd unit (without .service), e.g. microcosm-constellation.
    pub unit: String,
    /// Where the snapshots are kept.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/atnix-snapshots")]
    pub snapshots: PathBuf,
    /// The state directory [default: /var/lib/private/UNIT for DynamicUser services, else /var/lib/UNIT].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Restore this snapshot number instead of the newest.
    #[arg(long)]
    pub seq: Option<u64>,
    /// Where the system generations are (system-<N>-link).
    #[arg(long, value_name = "DIR", default_value = "/nix/var/nix/profiles")]
    pub profiles: PathBuf,
    /// Do not ask systemctl whether the unit is stopped (for a state directory outside a running system).
    #[arg(long)]
    pub no_unit_check: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let unit = &args.unit;
    if !args.no_unit_check {
        let status = Command::new("systemctl")
            .args(["is-active", "--quiet", &format!("{unit}.service")])
            .status()
            .context(
                "cannot run systemctl to check that the unit is stopped (or pass --no-unit-check)",
            )?;
        // systemctl's LSB codes: 0 active, 3 not running, 4 no such unit; anything else
        // (no systemd, no bus) says nothing about the unit.
        match status.code() {
            Some(0) => bail!("{unit} is running; stop it first: systemctl stop {unit}"),
            Some(3 | 4) => {}
            _ => bail!(
                "systemctl cannot tell whether {unit} is running ({status}); stop it, or pass --no-unit-check"
            ),
        }
    }
    let snaps = atnix_snapshot::list(&args.snapshots, unit)?;
    let snap = match args.seq {
        Some(n) => snaps.iter().find(|s| s.seq == n).with_context(|| {
            format!(
                "no snapshot {n} of {unit}; there are: {}",
                snaps
                    .iter()
                    .map(|s| s.seq.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?,
        None => snaps
            .last()
            .ok_or_else(|| atnix_snapshot::Error::NoSnapshot {
                unit: unit.clone(),
                root: args.snapshots.clone(),
            })?,
    };
    let state = args.state_dir.clone().unwrap_or_else(|| {
        let private = PathBuf::from("/var/lib/private").join(unit);
        if private.is_dir() {
            private
        } else {
            PathBuf::from("/var/lib").join(unit)
        }
    });
    let aside = atnix_snapshot::restore(snap, &state)
        .with_context(|| format!("cannot restore snapshot {} of {unit}", snap.seq))?;
    println!(
        "restored {} from snapshot {} (taken before {} replaced {})",
        state.display(),
        snap.seq,
        snap.meta.next,
        snap.meta.package
    );
    println!("the state it replaced is in {}", aside.display());
    let generations = atnix_snapshot::generations_with(&args.profiles, unit, &snap.meta.package);
    match generations.first() {
        Some(g) => println!(
            "switch to a generation that runs {} before starting {unit}:\n  {}/bin/switch-to-configuration switch",
            snap.meta.package,
            g.display()
        ),
        None => println!(
            "no system generation under {} runs {}; pin that package again before starting {unit}",
            args.profiles.display(),
            snap.meta.package
        ),
    }
    Ok(ExitCode::SUCCESS)
}
