use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use atnix_eval::RunOptions;
use atnix_eval::harness::Rendered;
use serde_json::json;

use super::eval::EvalOpts;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub opts: EvalOpts,
    /// Directory to write NAME.service/.socket/.timer and manifest.json into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Also render the fixture modules under tests/eval/fixtures.
    #[arg(long)]
    pub fixtures: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rendered = render(&args.opts, args.fixtures)?;
    write(&rendered, &args.out)?;
    for u in &rendered.units {
        println!("{}\t{}", u.unit, u.module);
    }
    eprintln!(
        "{} unit(s) written to {}",
        rendered.units.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn render(opts: &EvalOpts, fixtures: bool) -> anyhow::Result<Rendered> {
    let harness = opts.harness()?;
    Ok(harness.render(&RunOptions {
        module: opts.module.clone(),
        fixtures,
        jobs: opts.jobs,
    })?)
}

/// Writes the unit files and DIR/manifest.json (read by `atnix smoke` and `atnix harden`).
pub fn write(rendered: &Rendered, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for u in &rendered.units {
        let p = dir.join(&u.unit);
        std::fs::write(&p, &u.text).with_context(|| format!("cannot write {}", p.display()))?;
    }
    let manifest = json!({
        "generatedBy": "atnix render",
        "units": rendered.units,
        "cases": rendered.cases,
    });
    let p = dir.join("manifest.json");
    std::fs::write(&p, serde_json::to_string_pretty(&manifest)? + "\n")
        .with_context(|| format!("cannot write {}", p.display()))?;
    Ok(())
}
