//! Runs rendered units under a real systemd in systemd-nspawn and checks they answer.
//!
//! Inputs are plain data ([`spec`]): a rendered directory with its manifest, the
//! modules' smoke specs, and where local builds of the packages are
//! ([`store::Binaries`]). [`rootfs::ensure`] builds and caches a Debian 12 root
//! file system; [`run`] boots one container per service (several at once) and
//! returns an [`Outcome`] per service. Containers, cgroups and scratch files are
//! removed on success, failure and interrupt ([`install_interrupt_handler`]).

pub mod check;
pub mod container;
pub mod postgres;
pub mod rootfs;
pub mod spec;
pub mod store;
pub mod unit;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

pub use check::{Grade, Options, Outcome, Service, UnitGrades};
pub use container::{await_interrupt_exit, install_interrupt_handler, interrupted};
pub use spec::{Manifest, Rendered, RenderedCase, RenderedUnit, SmokeSpec};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Prerequisite(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] atnix_eval::ManifestError),
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
    #[error("container {name} did not boot: {message}")]
    Boot { name: String, message: String },
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A scratch directory for staged files and console logs, removed on drop and
/// on interrupt.
pub fn scratch_dir() -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::Builder::new()
        .prefix("atnix-smoke.")
        .tempdir()
        .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
    container::remove_on_interrupt(dir.path());
    Ok(dir)
}

pub(crate) fn spinner(message: String) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner().with_message(message);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Groups the rendered units by module and pairs each module with its smoke spec
/// (from the manifest's cases). All units of the spec's case are installed; only
/// the spec's unit is checked.
pub fn plan(rendered: &Rendered) -> Vec<Service> {
    let mut modules: Vec<String> = rendered
        .manifest
        .units
        .iter()
        .map(|u| u.module.clone())
        .collect();
    modules.sort();
    modules.dedup();
    modules
        .into_iter()
        .map(|module| {
            let spec = match rendered
                .manifest
                .cases
                .iter()
                .find(|c| c.module == module && c.smoke.is_some())
                .and_then(|c| c.smoke.clone())
            {
                None => Err(format!(
                    "module `{module}` has no `smoke` attribute in tests/eval/cases/{module}.nix"
                )),
                Some(value) => serde_json::from_value::<SmokeSpec>(value)
                    .map_err(|e| format!("the `smoke` attribute of module `{module}`: {e}")),
            };
            let case = spec.as_ref().map_or("minimal", |s| s.case.as_str());
            let units = rendered
                .manifest
                .units
                .iter()
                .filter(|u| u.module == module && u.case == case)
                .cloned()
                .collect();
            let context = rendered.case(&module, case).cloned();
            Service {
                module,
                spec,
                units,
                context,
            }
        })
        .collect()
}

/// Runs every service, `jobs` containers at a time, with a progress bar on stderr.
/// Outcomes come back in the order of `services`.
pub fn run(services: &[Service], rendered: &Rendered, opts: &Options, jobs: usize) -> Vec<Outcome> {
    let bar = indicatif::ProgressBar::new(services.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .expect("static template"),
    );
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; services.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, services.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().expect("queue poisoned");
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(service) = services.get(i) else {
                        break;
                    };
                    if interrupted() {
                        break;
                    }
                    bar.set_message(service.name().to_string());
                    let outcome = check::run_service(service, rendered, i, opts);
                    bar.inc(1);
                    results.lock().expect("results poisoned")[i] = Some(outcome);
                }
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_inner()
        .expect("results poisoned")
        .into_iter()
        .flatten()
        .collect()
}

/// The result table: service, result, live grade, offline grade, time, reason.
pub fn table(outcomes: &[Outcome]) -> String {
    let grade = |g: &Option<Grade>| g.as_ref().map_or("-".to_string(), |g| g.to_string());
    let rows: Vec<[String; 6]> = outcomes
        .iter()
        .map(|o| {
            [
                o.service.clone(),
                if o.passed { "PASS" } else { "FAIL" }.to_string(),
                grade(&o.live),
                grade(&o.offline),
                format!("{:.1}s", o.total.as_secs_f64()),
                o.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["service", "result", "live", "offline", "time", "reason"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row.iter()).take(5) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 6]| {
        let mut l = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i < 5 {
                l.push_str(&format!("{:<width$}  ", cell, width = widths[i]));
            } else {
                l.push_str(cell);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn table_lists_every_service_with_its_reason() {
        let o = |service: &str, passed: bool, reason: Option<&str>| Outcome {
            service: service.into(),
            module: "m".into(),
            passed,
            live: passed.then(|| Grade {
                exposure: 0.9,
                label: "SAFE".into(),
            }),
            offline: Some(Grade {
                exposure: 1.1,
                label: "OK".into(),
            }),
            reason: reason.map(String::from),
            boot: None,
            total: Duration::from_millis(3300),
            provided: Default::default(),
            units: Vec::new(),
            skipped: Vec::new(),
            check_output: String::new(),
        };
        let t = table(&[
            o("good.service", true, None),
            o("bad.service", false, Some("killed by SIGTRAP")),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("service"));
        assert!(
            lines[1].starts_with("good.service  PASS    0.9 SAFE  1.1 OK   3.3s"),
            "{t}"
        );
        assert!(
            lines[2].contains("FAIL") && lines[2].ends_with("killed by SIGTRAP"),
            "{t}"
        );
    }

    #[test]
    fn plan_flags_a_module_without_or_with_a_bad_smoke_spec() {
        let manifest: Manifest = serde_json::from_str(
            r#"{"units":[
                 {"unit":"a.service","module":"a","case":"minimal","kind":"service"},
                 {"unit":"a.timer","module":"a","case":"minimal","kind":"timer"},
                 {"unit":"a.service","module":"a","case":"full","kind":"service"},
                 {"unit":"b.service","module":"b","case":"minimal","kind":"service"},
                 {"unit":"c.service","module":"c","case":"minimal","kind":"service"}],
               "cases":[
                 {"module":"a","case":"minimal","smoke":{"unit":"a.service","command":"true"}},
                 {"module":"a","case":"full","smoke":{"unit":"a.service","command":"true"}},
                 {"module":"b","case":"minimal","smoke":null},
                 {"module":"c","case":"minimal","smoke":{"unit":"c.service","htpp":{}}}]}"#,
        )
        .unwrap();
        let rendered = Rendered {
            dir: PathBuf::from("/x"),
            manifest,
        };
        let services = plan(&rendered);
        assert_eq!(services.len(), 3);
        assert_eq!(services[0].units.len(), 2, "the smoke case's units only");
        assert!(services[0].context.is_some());
        assert!(
            services[1]
                .spec
                .as_ref()
                .unwrap_err()
                .contains("no `smoke` attribute")
        );
        assert!(services[2].spec.as_ref().unwrap_err().contains("htpp"));
    }
}
