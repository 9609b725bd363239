use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository to check.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// `file:line rule: what to do` per finding, sorted, on stdout; a summary on
/// stderr; exit 1 on any finding.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let checked = atnix_lint::check(&args.dir)
        .with_context(|| format!("cannot check {}", args.dir.display()))?;
    let elapsed = started.elapsed();

    let mut out = std::io::stdout().lock();
    for finding in &checked.findings {
        writeln!(out, "{finding}")?;
    }
    out.flush()?;

    eprintln!(
        "atnix check: {} in {} .nix and {} source.json files ({} ms)",
        summary(&checked.findings),
        checked.nix_files,
        checked.source_files,
        elapsed.as_millis()
    );
    Ok(if checked.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `no findings` or `3 findings (inline-pin 2, parse 1)`.
pub fn summary(findings: &[atnix_lint::Finding]) -> String {
    if findings.is_empty() {
        return "no findings".to_owned();
    }
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *by_rule.entry(f.rule.name()).or_default() += 1;
    }
    let parts: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let noun = if findings.len() == 1 {
        "finding"
    } else {
        "findings"
    };
    format!("{} {noun} ({})", findings.len(), parts.join(", "))
}
