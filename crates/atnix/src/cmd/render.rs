use std::path::{Path, PathBuf};
use std::process::ExitCode;

use atnix_eval::{Manifest, RunOptions};

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

pub fn render(opts: &EvalOpts, fixtures: bool) -> anyhow::Result<Manifest> {
    let harness = opts.harness()?;
    Ok(harness.render(&RunOptions {
        module: opts.module.clone(),
        fixtures,
        jobs: opts.jobs,
    })?)
}

/// Writes the unit files and DIR/manifest.json (read by `atnix smoke` and `atnix harden`).
pub fn write(rendered: &Manifest, dir: &Path) -> anyhow::Result<()> {
    Ok(rendered.write_dir(dir)?)
}
