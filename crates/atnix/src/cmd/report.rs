//! `atnix report`: the state of the repository as Markdown on stdout.
//!
//! Packages with their pins (recomputed unless `--offline`), modules with
//! their units and hardening grades (from docs/hardening.json, written by
//! `atnix harden --write-docs`), and a summary of `atnix check`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use atnix_lint::Inventory;
use atnix_prefetch::SourcePin;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Repository to report on.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Do not recompute the source pins (no network access).
    #[arg(long)]
    pub offline: bool,
    /// Seconds allowed to recompute one pin before it counts as unreachable.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
    /// Pins recomputed at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
}

/// Whether a recomputed pin matches its source.json.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    Mismatch { got: String },
    Unreachable(String),
    Offline,
}

impl From<atnix_prefetch::Verdict> for Verdict {
    fn from(v: atnix_prefetch::Verdict) -> Self {
        match v {
            atnix_prefetch::Verdict::Verified => Verdict::Verified,
            atnix_prefetch::Verdict::Mismatch { got } => Verdict::Mismatch { got },
            atnix_prefetch::Verdict::Unreachable(reason) => Verdict::Unreachable(reason),
        }
    }
}

impl Verdict {
    fn cell(&self) -> String {
        match self {
            Verdict::Verified => "verified".to_owned(),
            Verdict::Mismatch { got } => format!("**MISMATCH** got `{got}`"),
            Verdict::Unreachable(reason) => {
                format!("unverified (unreachable: {})", md_escape(reason))
            }
            Verdict::Offline => "not checked (--offline)".to_owned(),
        }
    }
}

/// One hardening grade as `atnix harden --write-docs` writes it.
#[derive(Debug, serde::Deserialize)]
struct Grade {
    module: String,
    unit: String,
    exposure: serde_json::Value,
    #[serde(default)]
    top: Vec<serde_json::Value>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = &args.dir;
    if !root.is_dir() {
        anyhow::bail!("{}: not a directory", root.display());
    }
    let inventory = atnix_lint::inventory(root)
        .with_context(|| format!("cannot read the packages and modules of {}", root.display()))?;
    let checked =
        atnix_lint::check(root).with_context(|| format!("cannot check {}", root.display()))?;

    // One verification per source.json, however many packages share it.
    let mut pins: BTreeMap<String, SourcePin> = BTreeMap::new();
    for p in &inventory.packages {
        if let (Some(file), Some(Ok(pin))) = (&p.source_file, &p.source) {
            pins.entry(file.clone()).or_insert_with(|| pin.clone());
        }
    }
    let verdicts = if args.offline {
        pins.keys().map(|k| (k.clone(), Verdict::Offline)).collect()
    } else {
        verify_all(&pins, Duration::from_secs(args.timeout), args.jobs.max(1))?
    };

    let (grades, grades_note) = read_grades(root);
    let markdown = render(
        root,
        &inventory,
        &verdicts,
        &grades,
        grades_note.as_deref(),
        &checked,
    );
    let mut out = std::io::stdout().lock();
    out.write_all(markdown.as_bytes())?;
    out.flush()?;

    let mismatches = verdicts
        .values()
        .filter(|v| matches!(v, Verdict::Mismatch { .. }))
        .count();
    if mismatches > 0 {
        eprintln!("atnix report: {mismatches} pin(s) do not match what the fetcher computes");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'").replace('|', "\\|"))
}

fn verify_all(
    pins: &BTreeMap<String, SourcePin>,
    timeout: Duration,
    jobs: usize,
) -> anyhow::Result<BTreeMap<String, Verdict>> {
    let progress = indicatif::ProgressBar::new(pins.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{spinner} verifying pins {pos}/{len} {msg}")
            .expect("static template"),
    );
    let work: Vec<(&String, &SourcePin)> = pins.iter().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(work.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((file, pin)) = work.get(i) else {
                        break;
                    };
                    progress.set_message((*file).clone());
                    let verdict = Verdict::from(atnix_prefetch::verify_pin(pin, timeout));
                    tracing::info!(file = %file, ?verdict, "pin checked");
                    results
                        .lock()
                        .expect("no panics while holding the lock")
                        .insert((*file).clone(), verdict);
                    progress.inc(1);
                }
            });
        }
    });
    progress.finish_and_clear();
    Ok(results.into_inner().expect("threads joined"))
}

fn read_grades(root: &Path) -> (Vec<Grade>, Option<String>) {
    let path = root.join("docs/hardening.json");
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<Vec<Grade>>(&bytes) {
            Ok(grades) => (grades, None),
            Err(e) => (
                Vec::new(),
                Some(format!(
                    "docs/hardening.json is not readable ({e}); modules show as not graded"
                )),
            ),
        },
        Err(_) => (Vec::new(), None),
    }
}

fn exposure_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => n
            .as_f64()
            .map(|f| format!("{f:.1}"))
            .unwrap_or_else(|| n.to_string()),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn render(
    root: &Path,
    inventory: &Inventory,
    verdicts: &BTreeMap<String, Verdict>,
    grades: &[Grade],
    grades_note: Option<&str>,
    checked: &atnix_lint::Checked,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# atnix report: `{}`\n", root.display());

    // Packages.
    let _ = writeln!(md, "## Packages ({})\n", inventory.packages.len());
    if inventory.packages.is_empty() {
        let _ = writeln!(md, "No packages yet: `pkgs/default.nix` names none.\n");
    } else {
        let _ = writeln!(
            md,
            "| attr | version | source | rev | hash | dependency hash | verified? |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        for p in &inventory.packages {
            let version = p.version.as_deref().map(md_escape).unwrap_or("–".into());
            let (source, rev, hash, dep, verified) = match (&p.source, &p.source_file) {
                (Some(Ok(pin)), Some(file)) => (
                    md_escape(&pin.locator()),
                    pin.rev()
                        .map(|r| code(&r[..r.len().min(12)]))
                        .unwrap_or("–".into()),
                    code(pin.hash()),
                    match (pin.dependency_hash(), p.dependency_hash_key()) {
                        (Some((k, v)), _) => format!("{k} {}", code(v)),
                        (None, Some(k)) => format!("**missing {k}**"),
                        (None, None) => "–".into(),
                    },
                    verdicts.get(file).map(Verdict::cell).unwrap_or("–".into()),
                ),
                (Some(Err(why)), Some(file)) => (
                    format!("invalid {}", code(file)),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    format!(
                        "no (invalid pin: {})",
                        md_escape(why.lines().next().unwrap_or(""))
                    ),
                ),
                _ => (
                    "no source.json".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                ),
            };
            let _ = writeln!(
                md,
                "| {} | {version} | {source} | {rev} | {hash} | {dep} | {verified} |",
                code(&p.attr)
            );
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for v in verdicts.values() {
            let key = match v {
                Verdict::Verified => "verified",
                Verdict::Mismatch { .. } => "MISMATCH",
                Verdict::Unreachable(_) => "unverified",
                Verdict::Offline => "not checked (--offline)",
            };
            *counts.entry(key).or_default() += 1;
        }
        let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(
            md,
            "\n{} source pin(s): {}. Only the source hash is recomputed; dependency hashes are checked by `atnix vendor-hash`.\n",
            verdicts.len(),
            if counts.is_empty() {
                "none".to_owned()
            } else {
                counts.join(", ")
            }
        );
    }

    // Modules.
    let _ = writeln!(md, "## Modules ({})\n", inventory.modules.len());
    if let Some(note) = grades_note {
        let _ = writeln!(md, "{}\n", md_escape(note));
    }
    if inventory.modules.is_empty() {
        let _ = writeln!(md, "No modules yet: `modules/default.nix` names none.\n");
    } else {
        let _ = writeln!(md, "| module | path | units | hardening (exposure) |");
        let _ = writeln!(md, "|---|---|---|---|");
        for m in &inventory.modules {
            let units = if m.units.is_empty() {
                "–".to_owned()
            } else {
                m.units
                    .iter()
                    .map(|u| code(u))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mine: Vec<&Grade> = grades.iter().filter(|g| g.module == m.name).collect();
            let hardening = if mine.is_empty() {
                "not graded".to_owned()
            } else {
                mine.iter()
                    .map(|g| {
                        let top: Vec<String> = g
                            .top
                            .iter()
                            .take(3)
                            .map(|t| match t {
                                serde_json::Value::String(s) => s.clone(),
                                // `atnix harden` writes {name, exposure, description}.
                                serde_json::Value::Object(o) => format!(
                                    "{} {}",
                                    o.get("name").and_then(|n| n.as_str()).unwrap_or("?"),
                                    o.get("exposure").map(exposure_text).unwrap_or_default()
                                ),
                                other => other.to_string(),
                            })
                            .collect();
                        if top.is_empty() {
                            format!("{} {}", code(&g.unit), exposure_text(&g.exposure))
                        } else {
                            format!(
                                "{} {} (top: {})",
                                code(&g.unit),
                                exposure_text(&g.exposure),
                                md_escape(&top.join(", "))
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let _ = writeln!(
                md,
                "| {} | {} | {units} | {hardening} |",
                code(&m.name),
                m.file.as_deref().map(code).unwrap_or("–".into())
            );
        }
        let _ = writeln!(md);
    }
    if !inventory.notes.is_empty() {
        let _ = writeln!(
            md,
            "Could not read: {}\n",
            md_escape(&inventory.notes.join("; "))
        );
    }

    // Check.
    let _ = writeln!(md, "## Check\n");
    let _ = writeln!(
        md,
        "`atnix check`: {} in {} .nix and {} source.json files.",
        crate::cmd::check::summary(&checked.findings),
        checked.nix_files,
        checked.source_files
    );
    if !checked.findings.is_empty() {
        let _ = writeln!(md, "\n```");
        for f in checked.findings.iter().take(50) {
            let _ = writeln!(md, "{f}");
        }
        if checked.findings.len() > 50 {
            let _ = writeln!(md, "... and {} more", checked.findings.len() - 50);
        }
        let _ = writeln!(md, "```");
    }
    md
}
