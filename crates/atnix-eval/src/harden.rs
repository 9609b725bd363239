//! `systemd-analyze verify` and `systemd-analyze security --offline=true` on
//! rendered unit files.
//!
//! Rendered units name /nix/store paths that do not exist on this machine, so
//! verification runs with `--root` on a temporary root holding: the host's
//! own units (for network.target, sysinit.target, ...), the rendered units in
//! /etc/systemd/system, an executable stub at every path an Exec* line names
//! (the generated job scripts with their real text) and an empty unit for
//! every dependency that neither provides. Every line `verify` prints is a
//! failure: with this root, any message is about a directive.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("systemd-analyze security gave no overall exposure for {unit}:\n{output}")]
    NoExposure { unit: String, output: String },
    #[error("systemd-analyze security --json for {unit}: {source}")]
    Json {
        unit: String,
        source: serde_json::Error,
    },
    #[error("no host unit directory (/usr/lib/systemd/system or /lib/systemd/system)")]
    NoHostUnits,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One remaining contribution to a unit's exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The setting, as systemd-analyze names it (e.g. `PrivateNetwork=`).
    pub name: String,
    pub exposure: f64,
    pub description: String,
}

/// The grade of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub unit: String,
    pub exposure: f64,
    /// Largest remaining contributions, largest first.
    pub top: Vec<Contribution>,
    /// Every remaining contribution.
    #[serde(skip)]
    pub all: Vec<Contribution>,
}

/// A temporary root in which rendered units can be verified.
pub struct VerifyRoot {
    dir: tempfile::TempDir,
}

const DEPENDENCY_KEYS: &[&str] = &[
    "Requires",
    "Wants",
    "Upholds",
    "BindsTo",
    "PartOf",
    "Requisite",
    "OnFailure",
    "OnSuccess",
    "After",
    "Before",
    "Conflicts",
    "Sockets",
    "Unit",
    "Service",
    "WantedBy",
    "RequiredBy",
];

impl VerifyRoot {
    /// Builds the root from unit files (path, text) and their executables
    /// (path -> contents, `None` for a stub that exits 0).
    pub fn new(
        units: &[(String, String)],
        executables: &[(String, Option<String>)],
    ) -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("atnix-harden-")
            .tempdir()
            .map_err(io(Path::new("/tmp")))?;
        let root = dir.path();
        let host = ["/usr/lib/systemd/system", "/lib/systemd/system"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.is_dir())
            .ok_or(Error::NoHostUnits)?;
        let lib_units = root.join("usr/lib/systemd/system");
        copy_tree(host, &lib_units)?;
        let etc_units = root.join("etc/systemd/system");
        std::fs::create_dir_all(&etc_units).map_err(io(&etc_units))?;
        for (name, text) in units {
            let p = etc_units.join(name);
            std::fs::write(&p, text).map_err(io(&p))?;
        }
        for (exe, contents) in executables {
            let rel = exe.trim_start_matches('/');
            if rel.is_empty() {
                continue;
            }
            let p = root.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let text = contents
                .clone()
                .unwrap_or_else(|| "#!/bin/sh\nexit 0\n".into());
            std::fs::write(&p, text).map_err(io(&p))?;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).map_err(io(&p))?;
        }
        // Dependencies neither the host nor we provide (e.g. postgresql.service
        // of another module) get an empty unit, as NixOS would have one.
        let mut wanted = BTreeSet::new();
        for (_, text) in units {
            for line in text.lines() {
                if let Some((key, value)) = line.split_once('=')
                    && DEPENDENCY_KEYS.contains(&key)
                {
                    wanted.extend(value.split_whitespace().map(str::to_string));
                }
            }
        }
        for dep in wanted {
            if dep.contains('/') || !dep.contains('.') {
                continue;
            }
            let (in_lib, in_etc) = (lib_units.join(&dep), etc_units.join(&dep));
            if in_lib.exists() || in_lib.is_symlink() || in_etc.exists() {
                continue;
            }
            let stub = match dep.rsplit('.').next() {
                Some("service") => {
                    "[Unit]\nDescription=atnix verify stub\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n"
                }
                Some("socket") => {
                    "[Unit]\nDescription=atnix verify stub\n\n[Socket]\nListenStream=/run/atnix-stub.sock\n"
                }
                Some("timer") => {
                    "[Unit]\nDescription=atnix verify stub\n\n[Timer]\nOnCalendar=daily\n"
                }
                _ => "[Unit]\nDescription=atnix verify stub\n",
            };
            std::fs::write(&in_lib, stub).map_err(io(&in_lib))?;
        }
        let bin_true = root.join("bin/true");
        std::fs::create_dir_all(root.join("bin")).map_err(io(root))?;
        std::fs::write(&bin_true, "#!/bin/sh\nexit 0\n").map_err(io(&bin_true))?;
        std::fs::set_permissions(&bin_true, std::fs::Permissions::from_mode(0o755))
            .map_err(io(&bin_true))?;
        Ok(VerifyRoot { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The path of a rendered unit inside the root.
    pub fn unit_path(&self, unit: &str) -> PathBuf {
        self.dir.path().join("etc/systemd/system").join(unit)
    }

    /// `systemd-analyze verify --root=ROOT UNIT`: every message it prints.
    pub fn verify(&self, unit: &str) -> Result<Vec<String>, Error> {
        let mut cmd = Command::new(systemd_analyze());
        cmd.arg("verify")
            .arg(format!("--root={}", self.path().display()))
            .arg("--man=no")
            .arg(unit);
        tracing::info!("$ {:?}", cmd);
        let out = cmd.output().map_err(|source| Error::Spawn {
            program: systemd_analyze(),
            source,
        })?;
        let mut messages: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .chain(String::from_utf8_lossy(&out.stdout).lines())
            .map(|l| l.trim().replace(&self.path().display().to_string(), ""))
            .filter(|l| !l.is_empty())
            .collect();
        messages.dedup();
        if !out.status.success() && messages.is_empty() {
            messages.push(format!("systemd-analyze verify exited with {}", out.status));
        }
        Ok(messages)
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let ft = entry.file_type().map_err(io(&src))?;
        if ft.is_symlink() {
            let target = std::fs::read_link(&src).map_err(io(&src))?;
            std::os::unix::fs::symlink(target, &dst).map_err(io(&dst))?;
        } else if ft.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(&src))?;
        }
    }
    Ok(())
}

/// The systemd-analyze to run (`ATNIX_SYSTEMD_ANALYZE` overrides).
pub fn systemd_analyze() -> String {
    std::env::var("ATNIX_SYSTEMD_ANALYZE").unwrap_or_else(|_| "systemd-analyze".into())
}

#[derive(Deserialize)]
struct JsonEntry {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    exposure: Option<String>,
}

/// Parses `→ Overall exposure level for UNIT: 1.2 OK`.
pub fn parse_overall(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.split_once("Overall exposure level for"))
        .and_then(|(_, rest)| rest.split_once(": "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Parses `systemd-analyze security --json=short` into remaining contributions.
pub fn parse_contributions(unit: &str, json: &str) -> Result<Vec<Contribution>, Error> {
    let entries: Vec<JsonEntry> = serde_json::from_str(json).map_err(|source| Error::Json {
        unit: unit.to_string(),
        source,
    })?;
    let mut out: Vec<Contribution> = entries
        .into_iter()
        .filter_map(|e| {
            let exposure: f64 = e.exposure?.parse().ok()?;
            (exposure > 0.0).then(|| Contribution {
                name: e.name,
                exposure,
                description: e.description.unwrap_or_default(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.exposure
            .total_cmp(&a.exposure)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(out)
}

/// `systemd-analyze security --offline=true` on a unit file. Returns the
/// grade and the messages systemd printed while parsing the file (unknown or
/// invalid directives).
pub fn grade(unit: &str, unit_file: &Path) -> Result<(Grade, Vec<String>), Error> {
    let run = |json: bool| -> Result<(String, String), Error> {
        let mut cmd = Command::new(systemd_analyze());
        cmd.args(["security", "--offline=true", "--no-pager"]);
        if json {
            cmd.arg("--json=short");
        }
        cmd.arg(unit_file);
        tracing::info!("$ {:?}", cmd);
        let out = cmd.output().map_err(|source| Error::Spawn {
            program: systemd_analyze(),
            source,
        })?;
        Ok((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    };
    let (text, stderr) = run(false)?;
    let exposure = parse_overall(&text).ok_or_else(|| Error::NoExposure {
        unit: unit.to_string(),
        output: format!("{text}{stderr}"),
    })?;
    let (json, _) = run(true)?;
    let all = parse_contributions(unit, &json)?;
    let messages = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    Ok((
        Grade {
            unit: unit.to_string(),
            exposure,
            top: all.iter().take(3).cloned().collect(),
            all,
        },
        messages,
    ))
}
