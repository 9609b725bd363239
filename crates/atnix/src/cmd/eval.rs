use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use atnix_eval::{Harness, Outcome, RunOptions};

/// Options shared by `eval`, `render` and `harden`.
#[derive(clap::Args, Debug, Clone)]
pub struct EvalOpts {
    /// A nixpkgs `lib` directory (e.g. a checkout of nix-community/nixpkgs.lib + /lib).
    #[arg(long, env = "NIXPKGS_LIB", value_name = "DIR")]
    pub nixpkgs_lib: Option<PathBuf>,
    /// Only this module (its name in modules/default.nix or tests/eval/fixtures).
    #[arg(long, value_name = "NAME")]
    pub module: Option<String>,
    /// Repository root (default: the nearest parent with tests/eval/driver.nix).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// nix-instantiate processes run at once.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
}

impl EvalOpts {
    pub fn harness(&self) -> anyhow::Result<Harness> {
        let root = match &self.repo {
            Some(r) => r.clone(),
            None => find_root()?,
        };
        Ok(Harness::new(&root, self.nixpkgs_lib.as_deref())?)
    }
}

fn find_root() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("no current directory")?;
    cwd.ancestors()
        .find(|d| d.join("tests/eval/driver.nix").is_file())
        .map(Path::to_path_buf)
        .with_context(|| {
            format!(
                "no atnix checkout (tests/eval/driver.nix) at or above {}",
                cwd.display()
            )
        })
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub opts: EvalOpts,
    /// Skip the fixture modules under tests/eval/fixtures.
    #[arg(long)]
    pub no_fixtures: bool,
    /// Print the per-case report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let harness = args.opts.harness()?;
    let mut reports = harness.run(&RunOptions {
        module: args.opts.module.clone(),
        fixtures: !args.no_fixtures,
        jobs: args.opts.jobs,
    })?;
    // The whole-repository checks, unless one module was asked for.
    if args.opts.module.is_none() {
        reports.extend(harness.stub_conformance()?);
        reports.extend(harness.vm_tests(args.opts.jobs)?);
        reports.extend(harness.nur_check()?);
        reports.extend(harness.flake_check()?);
    }
    let failed = reports.iter().filter(|r| !r.outcome.passed()).count();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            match &r.outcome {
                Outcome::Pass { detail } => println!("PASS {}/{}: {detail}", r.module, r.case),
                Outcome::Fail { reason } => {
                    println!("FAIL {}/{}: {}", r.module, r.case, indent(reason));
                }
            }
            for w in &r.warnings {
                println!("     warning: {}", indent(w));
            }
        }
        println!(
            "{} case(s), {} passed, {} failed",
            reports.len(),
            reports.len() - failed,
            failed
        );
    }
    Ok(if failed == 0 && !reports.is_empty() {
        ExitCode::SUCCESS
    } else {
        if reports.is_empty() {
            eprintln!("error: no evaluation cases found");
        }
        ExitCode::FAILURE
    })
}

fn indent(s: &str) -> String {
    s.trim_end().replace('\n', "\n     ")
}
