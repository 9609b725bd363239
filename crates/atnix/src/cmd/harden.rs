use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use atnix_eval::harden::{self, Grade, VerifyRoot};
use atnix_eval::{Manifest, RenderedUnit};
use serde_json::json;

use super::eval::EvalOpts;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub opts: EvalOpts,
    /// Rendered units (from `atnix render --out DIR`); rendered afresh when absent.
    pub dir: Option<PathBuf>,
    /// Highest acceptable exposure.
    #[arg(long, default_value_t = 2.0)]
    pub threshold: f64,
    /// Also render and grade the fixture modules under tests/eval/fixtures.
    #[arg(long)]
    pub fixtures: bool,
    /// Rewrite docs/hardening.md and docs/hardening.json from this run.
    #[arg(long)]
    pub write_docs: bool,
}

/// The goal every shipped unit should meet (the threshold fails the run).
const GOAL: f64 = 1.5;

struct Row {
    module: String,
    unit: String,
    fixture: bool,
    grade: Option<Grade>,
    problems: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let fixtures = args.fixtures || args.write_docs;
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::Builder::new().prefix("atnix-render-").tempdir()?;
            let rendered = super::render::render(&args.opts, fixtures)?;
            super::render::write(&rendered, tmp.path())?;
            tmp.path().to_path_buf()
        }
    };
    let rows = grade_dir(&dir)?;

    let mut failed = 0;
    let mut table = String::new();
    writeln!(
        table,
        "{:<40} {:<28} {:>8}  top remaining contributions",
        "unit", "module", "exposure"
    )?;
    for r in &rows {
        let exposure = r
            .grade
            .as_ref()
            .map_or("-".to_string(), |g| format!("{:.1}", g.exposure));
        let top = r.grade.as_ref().map_or(String::new(), top_text);
        writeln!(
            table,
            "{:<40} {:<28} {:>8}  {top}",
            r.unit, r.module, exposure
        )?;
        let above = r
            .grade
            .as_ref()
            .is_some_and(|g| g.exposure > args.threshold);
        // Fixtures are references (one is nixpkgs' bluesky-pds unit): graded,
        // verified, but their exposure does not fail the run.
        let over = above && !r.fixture;
        if above && r.fixture {
            writeln!(
                table,
                "    note: reference fixture above the threshold {:.1} (not enforced)",
                args.threshold
            )?;
        } else if over {
            writeln!(
                table,
                "    FAIL: exposure above the threshold {:.1}",
                args.threshold
            )?;
        } else if r.grade.as_ref().is_some_and(|g| g.exposure > GOAL) {
            writeln!(table, "    note: above the goal {GOAL:.1}")?;
        }
        for p in &r.problems {
            writeln!(table, "    FAIL: {p}")?;
        }
        if over || !r.problems.is_empty() {
            failed += 1;
        }
    }
    print!("{table}");
    println!(
        "{} unit(s), {} failed (threshold {:.1})",
        rows.len(),
        failed,
        args.threshold
    );

    if args.write_docs {
        let root = args.opts.harness()?.root().to_path_buf();
        write_docs(&root, &rows, args.threshold)?;
        eprintln!("wrote docs/hardening.md and docs/hardening.json");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn top_text(g: &Grade) -> String {
    g.top
        .iter()
        .map(|c| format!("{} {:.1}", c.name, c.exposure))
        .collect::<Vec<_>>()
        .join(", ")
}

fn grade_dir(dir: &Path) -> anyhow::Result<Vec<Row>> {
    // A directory of unit files without a manifest is graded too.
    let manifest = match dir.join(Manifest::FILE).exists() {
        true => Some(Manifest::load_dir(dir)?),
        false => None,
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".service") || n.ends_with(".socket") || n.ends_with(".timer"))
        .collect();
    names.sort();
    let by_unit: BTreeMap<&str, &RenderedUnit> = manifest
        .as_ref()
        .map(|m| m.units.iter().map(|u| (u.unit.as_str(), u)).collect())
        .unwrap_or_default();

    let mut units = Vec::new();
    let mut exes: BTreeMap<String, Option<String>> = BTreeMap::new();
    for name in &names {
        let p = dir.join(name);
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
        for exe in exec_paths(&text) {
            exes.entry(exe).or_insert(None);
        }
        if let Some(m) = by_unit.get(name.as_str()) {
            for (path, script) in &m.scripts {
                exes.insert(path.clone(), Some(script.clone()));
            }
        }
        units.push((name.clone(), text));
    }
    let exes: Vec<(String, Option<String>)> = exes.into_iter().collect();
    let root = VerifyRoot::new(&units, &exes)?;

    let mut rows = Vec::new();
    for (name, _) in &units {
        let mut problems = root.verify(name)?;
        let mut grade = None;
        if name.ends_with(".service") {
            let (g, messages) = harden::grade(name, &root.unit_path(name))?;
            for m in messages {
                let m = m.replace(&root.path().display().to_string(), "");
                if !problems.contains(&m) {
                    problems.push(m);
                }
            }
            grade = Some(g);
        }
        let m = by_unit.get(name.as_str());
        rows.push(Row {
            module: m.map_or("?".into(), |m| m.module.clone()),
            unit: name.clone(),
            fixture: m.is_some_and(|m| m.fixture),
            grade,
            problems,
        });
    }
    Ok(rows)
}

/// Absolute executables named by Exec* lines of a unit file.
fn exec_paths(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| atnix_eval::render::EXEC_DIRECTIVES.contains(&k.trim()))
        .filter_map(|(_, v)| atnix_eval::render::exec_path(v))
        .collect()
}

fn write_docs(root: &Path, rows: &[Row], threshold: f64) -> anyhow::Result<()> {
    let graded: Vec<&Row> = rows.iter().filter(|r| r.grade.is_some()).collect();
    let entry = |r: &Row| {
        let g = r.grade.as_ref().expect("graded");
        json!({
            "module": r.module,
            "unit": r.unit,
            "exposure": g.exposure,
            "top": g.top,
        })
    };
    let shipped: Vec<_> = graded
        .iter()
        .filter(|r| !r.fixture)
        .map(|r| entry(r))
        .collect();
    let json_path = root.join("docs/hardening.json");
    std::fs::create_dir_all(root.join("docs"))?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&shipped)? + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;

    let version = std::process::Command::new(harden::systemd_analyze())
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown systemd".into());
    let mut md = String::new();
    writeln!(md, "# Hardening grades")?;
    writeln!(md)?;
    writeln!(
        md,
        "Generated by `NIXPKGS_LIB=/path/to/nixpkgs.lib/lib atnix harden --write-docs`; do not edit by hand."
    )?;
    writeln!(
        md,
        "Exposure is `systemd-analyze security --offline=true` on the units the modules' `minimal` evaluation cases render \
         ({version}); lower is better. Every unit also passes `systemd-analyze verify`. The run fails above {threshold:.1}; \
         the goal is {GOAL:.1} or less. The preset and its knobs are described in `lib/hardening.nix`."
    )?;
    let table = |md: &mut String, rows: Vec<&&Row>| -> std::fmt::Result {
        writeln!(md)?;
        writeln!(
            md,
            "| module | unit | exposure | three largest remaining contributions |"
        )?;
        writeln!(md, "|---|---|---:|---|")?;
        for r in rows {
            let g = r.grade.as_ref().expect("graded");
            let top = top_text(g).replace('|', "\\|");
            writeln!(
                md,
                "| {} | `{}` | {:.1} | {top} |",
                r.module, r.unit, g.exposure
            )?;
        }
        Ok(())
    };
    writeln!(md)?;
    writeln!(md, "## Units we ship")?;
    let ours: Vec<&&Row> = graded.iter().filter(|r| !r.fixture).collect();
    if ours.is_empty() {
        writeln!(md)?;
        writeln!(
            md,
            "No module in `modules/default.nix` renders a service yet."
        )?;
    } else {
        table(&mut md, ours)?;
    }
    writeln!(md)?;
    writeln!(md, "## Reference units (tests/eval/fixtures, not shipped)")?;
    writeln!(md)?;
    writeln!(
        md,
        "`hardening-fixture` is a loopback network service hardened only by `mkHardening {{ loopbackOnly = true; }}`; \
         `hardening-fixture-jit` adds `jit = true` and `hardening-fixture-privileged` `bindPrivilegedPorts = true` (port 443); `bluesky-pds-reference` is nixpkgs' bluesky-pds serviceConfig, for comparison."
    )?;
    table(&mut md, graded.iter().filter(|r| r.fixture).collect())?;
    let md_path = root.join("docs/hardening.md");
    std::fs::write(&md_path, md).with_context(|| format!("cannot write {}", md_path.display()))?;
    Ok(())
}
