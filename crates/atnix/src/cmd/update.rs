//! `atnix update`: the CLI over atnix-update.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use atnix_update::{Options, Outcome, Package};
use atnix_vendor::{Cache, FetchOptions};

#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["packages", "all"]))]
pub struct Args {
    /// Packages to update: directory names under pkgs/ that have a source.json.
    pub packages: Vec<String>,
    /// Every package with a source.json (those without an `update` policy are listed, not failed).
    #[arg(long)]
    pub all: bool,
    /// Build each updated package natively (cargo build --release --locked) and refresh the
    /// `--help` fixtures its policy lists.
    #[arg(long)]
    pub build: bool,
    /// Write the new pins, Cargo.lock copies and fixtures; without it nothing is changed.
    #[arg(long)]
    pub write: bool,
    /// The repository root.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Content-addressed download cache [default: the user's cache directory, e.g. ~/.cache/atnix].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Seconds a connection may stay silent before a download counts as failed.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let all = atnix_update::packages(&args.root)
        .with_context(|| format!("{} is not an atnix repository", args.root.display()))?;
    let chosen: Vec<Package> = if args.all {
        all
    } else {
        let mut chosen = Vec::new();
        for name in &args.packages {
            match all.iter().find(|p| &p.name == name) {
                Some(p) => chosen.push(p.clone()),
                None => bail!(
                    "no package {name} with a source.json under {}/pkgs; packages: {}",
                    args.root.display(),
                    all.iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        chosen
    };
    let cache_dir = match args.cache_dir {
        Some(d) => d,
        None => Cache::default_dir()
            .context("no user cache directory is known here; pass --cache-dir")?,
    };
    let opts = Options {
        build: args.build,
        cache: Cache::new(cache_dir),
        fetch: FetchOptions {
            timeout: Duration::from_secs(args.timeout.max(1)),
            ..FetchOptions::default()
        },
    };

    let mut failed = false;
    let resolved = atnix_update::resolve(&chosen);
    for (pkg, resolved) in chosen.iter().zip(resolved) {
        let outcome = resolved.and_then(|r| atnix_update::plan(&args.root, pkg, r, &opts));
        let name = &pkg.name;
        match outcome {
            Err(e) => {
                failed = true;
                println!("{name}: error: {}", atnix_diag::error_chain(&e));
            }
            Ok(Outcome::NoPolicy) => {
                if !args.all {
                    failed = true;
                }
                println!(
                    "{name}: no update policy; add \"update\" to {} (see docs/upgrades.md)",
                    pkg.source_json().display()
                );
            }
            Ok(Outcome::UpToDate { rev }) => println!("{name}: up to date at {rev}"),
            Ok(Outcome::Update(plan)) => {
                let version = plan
                    .field("version")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?");
                let via = plan.to.tag.as_deref().unwrap_or(&plan.to.refname);
                println!(
                    "{name}: {} -> {} ({via}, version {version})",
                    plan.from_rev, plan.to.commit
                );
                for (key, value) in &plan.fields {
                    println!("  {key} = {value}");
                }
                if let Some((path, _)) = &plan.cargo_lock {
                    println!(
                        "  {}: upstream's Cargo.lock at the new commit",
                        path.display()
                    );
                }
                for d in &plan.fixtures {
                    println!(
                        "  fixture {}: removed flags [{}], new flags [{}]",
                        d.fixture,
                        d.removed.join(", "),
                        d.added.join(", ")
                    );
                }
                for g in &plan.gone {
                    println!("  gone: {g}");
                }
                if !plan.gone.is_empty() {
                    failed = true;
                    println!("  not written: fix the module first");
                } else if args.write {
                    atnix_update::write(pkg, &plan)
                        .with_context(|| format!("cannot write the update of {name}"))?;
                    println!("  written");
                } else {
                    println!("  (not written; pass --write)");
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
