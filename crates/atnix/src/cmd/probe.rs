//! `atnix probe`: run one ATProto health probe and print what it found.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use atnix_probe::{Config, ProbeParams, StepStatus};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Module: a prober (pds, relay, jetstream, plc, labeler, feedgen, handle) or a module
    /// defined in --config.
    #[arg(long, short)]
    pub module: String,
    /// What to probe: a service URL (https:// is assumed), or a handle for `handle`.
    pub target: String,
    /// TOML file with module options, as read by atproto-exporter --config.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// relay: the PDS host whose crawl state and seq lag to check.
    #[arg(long)]
    pub host: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Also print the Prometheus samples.
    #[arg(long)]
    pub metrics: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Config::from_toml(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => Config::default(),
    };
    let module = config.module(&args.module).with_context(|| {
        format!(
            "unknown module {:?}; known: {}",
            args.module,
            config.module_names().join(", ")
        )
    })?;
    anyhow::ensure!(
        args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 300.0,
        "--timeout must be in (0, 300] seconds"
    );
    let timeout = module
        .timeout_seconds()
        .map_or(args.timeout, |t| t.min(args.timeout));
    let params = ProbeParams { host: args.host };
    let report = atnix_probe::probe_blocking(
        &args.module,
        &module,
        &args.target,
        &params,
        Duration::from_secs_f64(timeout),
    )?;

    // Written at once; a closed pipe (`| head`) is not an error worth a panic.
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} module) in {:.1} ms",
        if report.success { "UP  " } else { "DOWN" },
        args.target,
        report.prober,
        report.duration.as_secs_f64() * 1e3
    );
    for step in &report.steps {
        let mark = match step.status {
            StepStatus::Ok => "ok",
            StepStatus::Unsupported => "unsupported",
            StepStatus::Failed if step.required => "FAILED",
            StepStatus::Failed => "failed (optional)",
        };
        let _ = writeln!(out, "  {:<24} {:<18} {}", step.name, mark, step.detail);
    }
    if args.metrics {
        for m in &report.metrics {
            let labels = m
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(",");
            let name = match m.kind {
                atnix_probe::MetricKind::Info => format!("{}_info", m.name),
                atnix_probe::MetricKind::Gauge => m.name.to_string(),
            };
            if labels.is_empty() {
                let _ = writeln!(out, "  {name} {}", m.value);
            } else {
                let _ = writeln!(out, "  {name}{{{labels}}} {}", m.value);
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e).context("writing the report");
    }
    Ok(if report.success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
