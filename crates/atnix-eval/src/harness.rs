//! Runs the evaluation cases through tests/eval/driver.nix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::manifest::{GroupDef, Manifest, PostgresqlDef, RenderedCase, RenderedUnit, UserDef};
use crate::render::{self, RenderError, UnitDef};

/// Where the driver, stubs and cases live, relative to the repository root.
pub const EVAL_DIR: &str = "tests/eval";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no nixpkgs lib: pass --nixpkgs-lib DIR or set NIXPKGS_LIB to a nixpkgs `lib` directory \
         (for example `git clone <nix-community/nixpkgs.lib> /tmp/nixpkgs.lib` and NIXPKGS_LIB=/tmp/nixpkgs.lib/lib)"
    )]
    NoNixpkgsLib,
    #[error("{0} is not a nixpkgs lib directory (no default.nix with fixedPoints.nix beside it)")]
    BadNixpkgsLib(PathBuf),
    #[error("{0} is not an atnix checkout (no {EVAL_DIR}/driver.nix)")]
    BadRoot(PathBuf),
    #[error("could not run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("evaluation failed:\n{stderr}")]
    Eval { stderr: String },
    #[error("driver output is not the expected JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("unit {unit} is produced by both {first} and {second}")]
    DuplicateUnit {
        unit: String,
        first: String,
        second: String,
    },
}

/// Module names as the driver lists them.
#[derive(Debug, Clone, Deserialize)]
pub struct ModuleNames {
    /// Names in modules/default.nix.
    pub modules: Vec<String>,
    /// Names in tests/eval/fixtures/default.nix.
    pub fixtures: Vec<String>,
    /// Names in profiles/default.nix: evaluated (with every module imported)
    /// and held to the same case coverage as modules; rendered only when named.
    #[serde(default)]
    pub profiles: Vec<String>,
}

/// One case file, described.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseFile {
    pub module: String,
    pub cases: BTreeMap<String, CaseSpec>,
    #[serde(default)]
    pub smoke: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseSpec {
    pub expect_assertion: Option<String>,
}

/// What the driver returns for one case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseOutput {
    pub failed_assertions: Vec<String>,
    pub warnings: Vec<String>,
    /// Present when no assertion failed.
    pub result: Option<CaseResult>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResult {
    pub units: BTreeMap<String, UnitDef>,
    #[serde(default)]
    pub users: BTreeMap<String, UserDef>,
    #[serde(default)]
    pub groups: BTreeMap<String, GroupDef>,
    #[serde(default)]
    pub tmpfiles: Vec<String>,
    #[serde(default)]
    pub tmpfiles_settings: Value,
    #[serde(default)]
    pub firewall: Value,
    #[serde(default)]
    pub postgresql: Option<PostgresqlDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Pass { detail: String },
    Fail { reason: String },
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Pass { .. })
    }
}

/// The result of one case (or of a coverage check, with `case` naming it).
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub module: String,
    pub case: String,
    pub file: Option<PathBuf>,
    pub outcome: Outcome,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only this module (name in modules/default.nix or fixtures, or, for
    /// `render`, in profiles/default.nix).
    pub module: Option<String>,
    /// Also evaluate tests/eval/fixtures.
    pub fixtures: bool,
    /// Parallel nix-instantiate processes.
    pub jobs: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            module: None,
            fixtures: true,
            jobs: 2,
        }
    }
}

/// The evaluation harness for one checkout.
#[derive(Debug, Clone)]
pub struct Harness {
    root: PathBuf,
    nixpkgs_lib: PathBuf,
    nix_instantiate: String,
}

impl Harness {
    /// `root` is the repository root, `nixpkgs_lib` a nixpkgs `lib` directory.
    pub fn new(root: &Path, nixpkgs_lib: Option<&Path>) -> Result<Self, Error> {
        let nixpkgs_lib = nixpkgs_lib.ok_or(Error::NoNixpkgsLib)?;
        if !nixpkgs_lib.join("default.nix").is_file()
            || !nixpkgs_lib.join("fixed-points.nix").is_file()
        {
            return Err(Error::BadNixpkgsLib(nixpkgs_lib.to_path_buf()));
        }
        let root = std::path::absolute(root).map_err(|source| Error::Io {
            path: root.to_path_buf(),
            source,
        })?;
        if !root.join(EVAL_DIR).join("driver.nix").is_file() {
            return Err(Error::BadRoot(root));
        }
        Ok(Harness {
            root,
            nixpkgs_lib: std::path::absolute(nixpkgs_lib).map_err(|source| Error::Io {
                path: nixpkgs_lib.to_path_buf(),
                source,
            })?,
            nix_instantiate: std::env::var("ATNIX_NIX_INSTANTIATE")
                .unwrap_or_else(|_| "nix-instantiate".into()),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Runs tests/eval/driver.nix with these `--argstr`s.
    pub(crate) fn driver(&self, args: &[(&str, &str)]) -> Result<Value, Error> {
        let mut cmd = Command::new(&self.nix_instantiate);
        cmd.args(["--eval", "--strict", "--json"])
            .arg(self.root.join(EVAL_DIR).join("driver.nix"))
            .arg("--argstr")
            .arg("nixpkgsLib")
            .arg(&self.nixpkgs_lib)
            .arg("--argstr")
            .arg("root")
            .arg(&self.root);
        for (k, v) in args {
            cmd.args(["--argstr", k, v]);
        }
        tracing::info!("$ {:?}", cmd);
        let out = cmd.output().map_err(|source| Error::Spawn {
            program: self.nix_instantiate.clone(),
            source,
        })?;
        if !out.status.success() {
            return Err(Error::Eval {
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    }

    pub fn module_names(&self) -> Result<ModuleNames, Error> {
        Ok(serde_json::from_value(
            self.driver(&[("mode", "modules")])?,
        )?)
    }

    /// Case files: tests/eval/cases/*.nix (and fixtures/cases/*.nix), sorted.
    pub fn case_files(&self, fixtures: bool) -> Result<Vec<(PathBuf, bool)>, Error> {
        let mut out = Vec::new();
        let mut dirs = vec![(self.root.join(EVAL_DIR).join("cases"), false)];
        if fixtures {
            dirs.push((self.root.join(EVAL_DIR).join("fixtures/cases"), true));
        }
        for (dir, is_fixture) in dirs {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(Error::Io { path: dir, source }),
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "nix"))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| (f, is_fixture)));
        }
        Ok(out)
    }

    pub fn describe(&self, file: &Path) -> Result<CaseFile, Error> {
        let file = file.to_string_lossy();
        Ok(serde_json::from_value(
            self.driver(&[("mode", "describe"), ("file", &file)])?,
        )?)
    }

    pub fn eval_case(&self, file: &Path, case: &str) -> Result<CaseOutput, Error> {
        let file = file.to_string_lossy();
        Ok(serde_json::from_value(self.driver(&[
            ("mode", "case"),
            ("file", &file),
            ("case", case),
        ])?)?)
    }

    /// Evaluates every case of every module (or of `opts.module`) and checks
    /// that every module in modules/default.nix has minimal, full and bad cases.
    pub fn run(&self, opts: &RunOptions) -> Result<Vec<CaseReport>, Error> {
        let names = self.module_names()?;
        let mut reports = Vec::new();
        let mut jobs: Vec<(String, PathBuf, String, Option<String>)> = Vec::new();
        let mut covered: BTreeMap<String, PathBuf> = BTreeMap::new();

        for (file, is_fixture) in self.case_files(opts.fixtures || opts.module.is_some())? {
            let spec = match self.describe(&file) {
                Ok(s) => s,
                Err(e) => {
                    let module = file
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if opts.module.as_ref().is_none_or(|m| *m == module) {
                        reports.push(CaseReport {
                            module,
                            case: "(case file)".into(),
                            file: Some(file.clone()),
                            outcome: Outcome::Fail {
                                reason: format!("case file does not evaluate: {e}"),
                            },
                            warnings: vec![],
                        });
                    }
                    continue;
                }
            };
            if opts.module.as_ref().is_some_and(|m| *m != spec.module) {
                continue;
            }
            let known = if is_fixture {
                names.fixtures.contains(&spec.module)
            } else {
                names.modules.contains(&spec.module) || names.profiles.contains(&spec.module)
            };
            if !known {
                reports.push(CaseReport {
                    module: spec.module.clone(),
                    case: "(case file)".into(),
                    file: Some(file.clone()),
                    outcome: Outcome::Fail {
                        reason: format!(
                            "module `{}` is not listed in {}",
                            spec.module,
                            if is_fixture {
                                "tests/eval/fixtures/default.nix"
                            } else {
                                "modules/default.nix or profiles/default.nix"
                            }
                        ),
                    },
                    warnings: vec![],
                });
                continue;
            }
            if !is_fixture {
                let mut missing = Vec::new();
                if !spec.cases.contains_key("minimal") {
                    missing.push("a `minimal` case");
                }
                if !spec.cases.contains_key("full") {
                    missing.push("a `full` case");
                }
                if !spec.cases.values().any(|c| c.expect_assertion.is_some()) {
                    missing.push("a bad case (with expectAssertion)");
                }
                if !missing.is_empty() {
                    reports.push(CaseReport {
                        module: spec.module.clone(),
                        case: "(coverage)".into(),
                        file: Some(file.clone()),
                        outcome: Outcome::Fail {
                            reason: format!("case file lacks {}", missing.join(", ")),
                        },
                        warnings: vec![],
                    });
                }
                if let Some(prev) = covered.insert(spec.module.clone(), file.clone()) {
                    reports.push(CaseReport {
                        module: spec.module.clone(),
                        case: "(case file)".into(),
                        file: Some(file.clone()),
                        outcome: Outcome::Fail {
                            reason: format!(
                                "a second case file for this module (first: {})",
                                prev.display()
                            ),
                        },
                        warnings: vec![],
                    });
                }
            }
            for (case, c) in spec.cases {
                jobs.push((spec.module.clone(), file.clone(), case, c.expect_assertion));
            }
        }
        for module in names.modules.iter().chain(&names.profiles) {
            if opts.module.as_ref().is_some_and(|m| m != module) {
                continue;
            }
            if !covered.contains_key(module) {
                reports.push(CaseReport {
                    module: module.clone(),
                    case: "(coverage)".into(),
                    file: None,
                    outcome: Outcome::Fail {
                        reason: format!("no case file in {EVAL_DIR}/cases/ for module `{module}`"),
                    },
                    warnings: vec![],
                });
            }
        }
        if let Some(m) = &opts.module
            && !names.modules.contains(m)
            && !names.fixtures.contains(m)
            && !names.profiles.contains(m)
        {
            reports.push(CaseReport {
                module: m.clone(),
                case: "(coverage)".into(),
                file: None,
                outcome: Outcome::Fail {
                    reason: format!(
                        "no module named `{m}` in modules/default.nix or tests/eval/fixtures"
                    ),
                },
                warnings: vec![],
            });
        }

        let results = parallel(opts.jobs, jobs, |(module, file, case, expect)| {
            let (outcome, warnings) = match self.eval_case(&file, &case) {
                Ok(out) => (judge(expect.as_deref(), Ok(&out)), out.warnings.clone()),
                Err(Error::Eval { stderr }) => (judge(expect.as_deref(), Err(&stderr)), vec![]),
                Err(e) => (
                    Outcome::Fail {
                        reason: format!("harness error: {e}"),
                    },
                    vec![],
                ),
            };
            CaseReport {
                module,
                case,
                file: Some(file),
                outcome,
                warnings,
            }
        });
        reports.extend(results);
        reports.sort_by(|a, b| (&a.module, &a.case).cmp(&(&b.module, &b.case)));
        Ok(reports)
    }

    /// Evaluates the case the module's smoke spec names (`minimal` unless it
    /// names another, e.g. one pointing the service at local stand-ins) of
    /// every module (and fixtures if asked) and renders its units.
    pub fn render(&self, opts: &RunOptions) -> Result<Manifest, Error> {
        let names = self.module_names()?;
        let mut jobs = Vec::new();
        for (file, is_fixture) in self.case_files(opts.fixtures)? {
            let spec = self.describe(&file)?;
            if opts.module.as_ref().is_some_and(|m| *m != spec.module) {
                continue;
            }
            let known = if is_fixture {
                names.fixtures.contains(&spec.module)
            } else {
                // A profile renders the same units as the modules it sets, so it
                // is rendered only when named: alone, as `atnix smoke` runs a
                // scenario, its unit names do not collide.
                names.modules.contains(&spec.module)
                    || (opts.module.is_some() && names.profiles.contains(&spec.module))
            };
            if !known || !spec.cases.contains_key("minimal") {
                continue; // `atnix eval` reports these
            }
            jobs.push((spec.module, file, is_fixture, spec.smoke));
        }
        let results = parallel(opts.jobs, jobs, |(module, file, is_fixture, smoke)| {
            let case = smoke_case(smoke.as_ref());
            let out = self.eval_case(&file, &case);
            (module, is_fixture, smoke, out)
        });
        let mut rendered = Manifest::default();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (module, fixture, smoke, out) in results {
            let case = smoke_case(smoke.as_ref());
            let out = out?;
            let Some(result) = out.result else {
                return Err(Error::Eval {
                    stderr: format!(
                        "{module}: the {case} case fails assertions:\n- {}",
                        out.failed_assertions.join("\n- ")
                    ),
                });
            };
            let mut unit_names = Vec::new();
            for (unit, def) in &result.units {
                if let Some(first) = seen.insert(unit.clone(), module.clone()) {
                    return Err(Error::DuplicateUnit {
                        unit: unit.clone(),
                        first,
                        second: module.clone(),
                    });
                }
                let text = render::render_unit(unit, def)?;
                let store_paths = render::store_paths(
                    std::iter::once(text.as_str()).chain(def.scripts.values().map(String::as_str)),
                );
                unit_names.push(unit.clone());
                rendered.units.push(RenderedUnit {
                    unit: unit.clone(),
                    module: module.clone(),
                    case: case.clone(),
                    fixture,
                    kind: def.kind.clone(),
                    text,
                    executables: render::executables(def),
                    store_paths,
                    scripts: def.scripts.clone(),
                });
            }
            rendered.cases.push(RenderedCase {
                module: module.clone(),
                case,
                fixture,
                units: unit_names,
                smoke,
                users: result.users,
                groups: result.groups,
                tmpfiles: result.tmpfiles,
                tmpfiles_settings: result.tmpfiles_settings,
                firewall: result.firewall,
                postgresql: result.postgresql,
                warnings: out.warnings,
            });
        }
        rendered.units.sort_by(|a, b| a.unit.cmp(&b.unit));
        rendered.cases.sort_by(|a, b| a.module.cmp(&b.module));
        Ok(rendered)
    }
}

/// The case `atnix render` renders: the smoke spec's `case`, else `minimal`.
fn smoke_case(smoke: Option<&Value>) -> String {
    smoke
        .and_then(|s| s.get("case"))
        .and_then(Value::as_str)
        .unwrap_or("minimal")
        .to_string()
}

impl Harness {
    /// NUR's evaluation check, reproduced with the stub pkgs at nixpkgs'
    /// default config (allowBroken = false): every derivation default.nix
    /// exports (found as nix-env finds them) must give its drvPath, outPaths
    /// and meta without throwing; then the real `nix-env -f default.nix -qa
    /// '*' --meta --xml --drv-path` must list every one of them (nix-env
    /// skips, rather than fails on, a derivation that throws).
    pub fn nur_check(&self) -> Result<Vec<CaseReport>, Error> {
        let report = |case: &str, outcome: Outcome| CaseReport {
            module: "(nur)".into(),
            case: case.into(),
            file: Some(self.root.join("default.nix")),
            outcome,
            warnings: vec![],
        };
        let names: Vec<String> = serde_json::from_value(self.driver(&[("mode", "nur-list")])?)?;
        let mut reports = Vec::new();
        if names.is_empty() {
            reports.push(report(
                "(derivations)",
                Outcome::Fail {
                    reason: "default.nix exports no derivation".into(),
                },
            ));
        }
        for name in &names {
            let outcome = match self.driver(&[("mode", "nur"), ("case", name)]) {
                Ok(v) => Outcome::Pass {
                    detail: format!(
                        "drvPath {} and meta evaluate",
                        v["drvPath"].as_str().unwrap_or("?")
                    ),
                },
                Err(Error::Eval { stderr }) => Outcome::Fail {
                    reason: format!("drvPath or meta throws: {stderr}"),
                },
                Err(e) => return Err(e),
            };
            reports.push(report(name, outcome));
        }
        reports.push(report("nix-env -qa", self.nix_env_query(&names)?));
        Ok(reports)
    }

    fn nix_env_query(&self, names: &[String]) -> Result<Outcome, Error> {
        let nix_env = std::env::var("ATNIX_NIX_ENV").unwrap_or_else(|_| "nix-env".into());
        // Restricted evaluation hides the environment (getEnv gives ""), so
        // the paths are written into the expression.
        let pkgs = format!(
            "import (/. + {root} + \"/tests/eval/pkgs.nix\") {{ lib = import (/. + {lib}); root = /. + {root}; fetchGitAtEvaluation = true; }}",
            root = nix_string(&self.root),
            lib = nix_string(&self.nixpkgs_lib),
        );
        let mut cmd = Command::new(&nix_env);
        cmd.arg("-f")
            .arg(self.root.join("default.nix"))
            .args(["--arg", "pkgs", &pkgs])
            .args(["-qa", "*", "--meta", "--xml", "--drv-path"])
            // NUR's own options (ci/nur/eval.py): restricted evaluation, so
            // a builtins.fetch* during evaluation fails as it does there.
            .args(["--option", "restrict-eval", "true"])
            .args(["--option", "allow-import-from-derivation", "true"])
            .args(["--option", "allowed-uris", "https://static.rust-lang.org"])
            .arg("-I")
            .arg(&self.root)
            .arg("-I")
            .arg(&self.nixpkgs_lib);
        tracing::info!("$ {:?}", cmd);
        let out = cmd.output().map_err(|source| Error::Spawn {
            program: nix_env.clone(),
            source,
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Ok(Outcome::Fail {
                reason: format!("nix-env failed ({}): {}", out.status, stderr.trim()),
            });
        }
        let listed: Vec<&str> = stdout
            .split("<item attrPath=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        let missing: Vec<&str> = names
            .iter()
            .map(String::as_str)
            // default.nix keeps these out of nix-env's reach on purpose.
            .filter(|n| !n.starts_with("unrestricted."))
            .filter(|n| !listed.contains(n))
            .collect();
        Ok(if missing.is_empty() {
            Outcome::Pass {
                detail: format!(
                    "lists all {} derivation(s) with --meta --drv-path",
                    listed.len()
                ),
            }
        } else {
            let skipped: Vec<&str> = stderr.lines().filter(|l| l.contains("skipping")).collect();
            Outcome::Fail {
                reason: format!(
                    "nix-env left out {} (they throw when evaluated){}",
                    missing.join(", "),
                    if skipped.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", skipped.join("; "))
                    }
                ),
            }
        })
    }

    /// flake.nix's outputs evaluated with the stub pkgs as its nixpkgs input:
    /// every package, check, dev shell and formatter gives its drvPath, and
    /// the dev shell sets NIXPKGS_LIB to the input's own lib.
    pub fn flake_check(&self) -> Result<Vec<CaseReport>, Error> {
        let file = self.root.join("flake.nix");
        let outcome = match self.driver(&[("mode", "flake")]) {
            Err(Error::Eval { stderr }) => Outcome::Fail {
                reason: format!("the flake's outputs do not evaluate: {stderr}"),
            },
            Err(e) => return Err(e),
            Ok(v) => {
                let mut problems = Vec::new();
                let expected = v["expectedNixpkgsLib"].as_str().unwrap_or_default();
                let shells = v["devShellNixpkgsLib"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                if shells.is_empty() {
                    problems.push("no devShells".to_owned());
                }
                for (system, lib) in &shells {
                    if lib.as_str() != Some(expected) {
                        problems.push(format!(
                            "devShells.{system}.default sets NIXPKGS_LIB to {lib}, not the nixpkgs input's lib ({expected})"
                        ));
                    }
                }
                let count = |k: &str| {
                    v[k].as_object().map_or(0, |systems| {
                        systems
                            .values()
                            .filter_map(|s| s.as_object())
                            .map(|s| s.len())
                            .sum::<usize>()
                    })
                };
                if count("packages") == 0 {
                    problems.push("no packages".to_owned());
                }
                if problems.is_empty() {
                    Outcome::Pass {
                        detail: format!(
                            "{} package(s), {} check(s) and the dev shells evaluate; NIXPKGS_LIB is the input's lib",
                            count("packages"),
                            count("checks")
                        ),
                    }
                } else {
                    Outcome::Fail {
                        reason: problems.join("\n"),
                    }
                }
            }
        };
        Ok(vec![CaseReport {
            module: "(flake)".into(),
            case: "outputs".into(),
            file: Some(file),
            outcome,
            warnings: vec![],
        }])
    }

    /// Every VM test in tests/nixos/default.nix, as runNixOSTest evaluates it:
    /// the test module against the stub of the test options, its testScript
    /// as a string, and each node with all of our modules imported; a node
    /// passes when it evaluates with no failed assertion.
    pub fn vm_tests(&self, jobs: usize) -> Result<Vec<CaseReport>, Error> {
        let file = self.root.join("tests/nixos/default.nix");
        let tests: BTreeMap<String, Vec<String>> = match self.driver(&[("mode", "vmtests")]) {
            Ok(v) => serde_json::from_value(v)?,
            Err(Error::Eval { stderr }) => {
                return Ok(vec![CaseReport {
                    module: "(vm tests)".into(),
                    case: "(list)".into(),
                    file: Some(file),
                    outcome: Outcome::Fail {
                        reason: format!("the VM tests do not evaluate: {stderr}"),
                    },
                    warnings: vec![],
                }]);
            }
            Err(e) => return Err(e),
        };
        let results = parallel(jobs, tests.into_iter().collect(), |(name, nodes)| {
            let res = self.driver(&[("mode", "vmtest"), ("case", &name)]);
            (name, nodes, res)
        });
        let mut reports = Vec::new();
        for (name, nodes, res) in results {
            let module = format!("(vm test) {name}");
            let v = match res {
                Ok(v) => v,
                Err(Error::Eval { stderr }) => {
                    reports.push(CaseReport {
                        module,
                        case: "(test)".into(),
                        file: Some(file.clone()),
                        outcome: Outcome::Fail {
                            reason: format!("does not evaluate: {stderr}"),
                        },
                        warnings: vec![],
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            let script_len = v["testScript"].as_str().map_or(0, str::len);
            reports.push(CaseReport {
                module: module.clone(),
                case: "testScript".into(),
                file: Some(file.clone()),
                outcome: if script_len > 0 {
                    Outcome::Pass {
                        detail: format!("a string of {script_len} bytes"),
                    }
                } else {
                    Outcome::Fail {
                        reason: "testScript is empty".into(),
                    }
                },
                warnings: vec![],
            });
            for node in nodes {
                let out: CaseOutput = serde_json::from_value(v["nodes"][&node].clone())?;
                reports.push(CaseReport {
                    module: module.clone(),
                    case: format!("node {node}"),
                    file: Some(file.clone()),
                    outcome: judge(None, Ok(&out)),
                    warnings: out.warnings,
                });
            }
        }
        Ok(reports)
    }
}

/// Decides a case from the driver's answer (or its evaluation error).
///
/// A good case passes when it evaluates and no assertion fails. A bad case
/// passes only when evaluation fails and the failing assertion (or the error
/// thrown by the module) contains `expect`; an undeclared option never
/// counts as the expected failure.
pub fn judge(expect: Option<&str>, result: Result<&CaseOutput, &str>) -> Outcome {
    match (expect, result) {
        (None, Ok(out)) if out.failed_assertions.is_empty() => Outcome::Pass {
            detail: format!(
                "evaluates; {} unit(s)",
                out.result.as_ref().map_or(0, |r| r.units.len())
            ),
        },
        (None, Ok(out)) => Outcome::Fail {
            reason: format!("assertion failed: {}", out.failed_assertions.join(" | ")),
        },
        (None, Err(stderr)) => Outcome::Fail {
            reason: format!("evaluation error: {stderr}"),
        },
        (Some(expect), Ok(out)) => {
            if out.failed_assertions.iter().any(|m| m.contains(expect)) {
                Outcome::Pass {
                    detail: format!("assertion fired: {expect}"),
                }
            } else if out.failed_assertions.is_empty() {
                Outcome::Fail {
                    reason: format!(
                        "expected assertion `{expect}` did not fire (evaluation succeeded)"
                    ),
                }
            } else {
                Outcome::Fail {
                    reason: format!(
                        "expected assertion `{expect}`, other assertions failed: {}",
                        out.failed_assertions.join(" | ")
                    ),
                }
            }
        }
        (Some(expect), Err(stderr)) => {
            // An undeclared option counts only when the case expects exactly
            // that (a typo NixOS must refuse), never by accident.
            if stderr.contains("does not exist. Definition values")
                && !expect.contains("does not exist")
            {
                Outcome::Fail {
                    reason: format!(
                        "an option does not exist (expected assertion `{expect}`): {stderr}"
                    ),
                }
            } else if stderr.contains(expect) {
                Outcome::Pass {
                    detail: format!("evaluation error matched: {expect}"),
                }
            } else {
                Outcome::Fail {
                    reason: format!(
                        "expected assertion `{expect}`, evaluation failed otherwise: {stderr}"
                    ),
                }
            }
        }
    }
}

/// Runs `f` over `items` on up to `jobs` threads, keeping input order.
fn parallel<T: Send, R: Send>(jobs: usize, items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let n = items.len();
    let queue = Mutex::new(
        items
            .into_iter()
            .enumerate()
            .collect::<Vec<_>>()
            .into_iter(),
    );
    let results = Mutex::new((0..n).map(|_| None).collect::<Vec<Option<R>>>());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(n.max(1)) {
            s.spawn(|| {
                loop {
                    let next = queue.lock().expect("queue lock").next();
                    let Some((i, item)) = next else { break };
                    let r = f(item);
                    results.lock().expect("results lock")[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("results lock")
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// A path as a Nix string literal.
fn nix_string(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy())
        .expect("a string serialises")
        .replace("${", "\\${")
}
