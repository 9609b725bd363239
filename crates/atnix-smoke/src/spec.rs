//! Plain data a smoke run takes: the rendered units, their manifest and the
//! modules' smoke specs. The manifest is atnix-eval's own type, the one
//! `atnix render` writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use atnix_eval::manifest::{GroupDef, Manifest, RenderedCase, RenderedUnit, UserDef};

use crate::Error;

/// The `smoke` attribute of a module's `tests/eval/cases/<module>.nix`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmokeSpec {
    /// The unit to start and check, e.g. `atproto-exporter.service`.
    pub unit: String,
    /// The evaluation case whose rendering is used.
    #[serde(default = "default_case")]
    pub case: String,
    /// An HTTP health check on loopback.
    #[serde(default)]
    pub http: Option<HttpCheck>,
    /// Or a shell command run inside the container; exit status 0 is healthy.
    #[serde(default)]
    pub command: Option<String>,
    /// What the service needs around it (e.g. `postgresql`, `plc`).
    #[serde(default)]
    pub needs: Vec<String>,
    /// Files written inside the container before the unit starts (mode 0600,
    /// owned by root): the secrets the case names, which a real host would
    /// provision. Absolute paths outside /nix/store.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// A shell script run inside the container as root after the users and
    /// files exist and before the unit starts: state a real host would have
    /// from an earlier step (e.g. a seeded database). Non-zero fails the run.
    #[serde(default)]
    pub setup: Option<String>,
    /// A scenario: more units of the case, started in this order before
    /// `unit`, each checked for a failure or restart after the check, and
    /// graded. Only the units it starts are installed. A profile's case uses
    /// it to run a whole chain in one container.
    #[serde(default)]
    pub start: Vec<String>,
    /// Units of `start` left out, with a loud line, when no local build
    /// provides a program they run (a binary too costly to build everywhere).
    /// The check sees which ones in `ATNIX_SMOKE_SKIPPED` (space-separated).
    #[serde(default)]
    pub optional: Vec<String>,
}

fn default_case() -> String {
    "minimal".into()
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpCheck {
    pub port: u16,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default = "default_status")]
    pub expect_status: u16,
}

fn default_path() -> String {
    "/".into()
}

fn default_status() -> u16 {
    200
}

/// Needs a smoke run can satisfy today. Anything else fails the service with a
/// reason rather than being silently skipped. `postgresql`: Debian's
/// PostgreSQL with the case's roles, databases and auth lines (crate::postgres).
pub const SUPPORTED_NEEDS: &[&str] = &["postgresql"];

/// A rendered directory: its path and manifest.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Rendered {
    /// A directory `atnix render --out` wrote.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest: Manifest::load_dir(dir)?,
        })
    }

    /// Writes a manifest rendered in this process (with its unit files) to `dir`.
    pub fn write(manifest: Manifest, dir: &Path) -> Result<Self, Error> {
        manifest.write_dir(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    pub fn unit_path(&self, unit: &RenderedUnit) -> PathBuf {
        self.dir.join(&unit.unit)
    }

    /// The context of one evaluation case, if the manifest carries it.
    pub fn case(&self, module: &str, case: &str) -> Option<&RenderedCase> {
        self.manifest.case(module, case)
    }
}

impl SmokeSpec {
    pub fn validate(&self) -> Result<(), String> {
        match (&self.http, &self.command) {
            (Some(_), Some(_)) => {
                return Err("smoke sets both `http` and `command`; keep one".into());
            }
            (None, None) => return Err("smoke sets neither `http` nor `command`".into()),
            _ => {}
        }
        for path in self.files.keys() {
            if !path.starts_with('/') || path.starts_with("/nix/store") || path.contains("/../") {
                return Err(format!(
                    "smoke.files: `{path}` must be an absolute path outside /nix/store"
                ));
            }
        }
        if self.start.contains(&self.unit) {
            return Err(format!(
                "smoke lists its checked unit `{}` in `start`; it is started last anyway",
                self.unit
            ));
        }
        match self.optional.iter().find(|u| !self.start.contains(u)) {
            Some(u) => Err(format!(
                "smoke's `optional` names `{u}`, which is not in `start`"
            )),
            None => Ok(()),
        }
    }

    /// Every unit the check starts, in order: `start`, then `unit`.
    pub fn started(&self) -> impl Iterator<Item = &str> {
        self.start
            .iter()
            .map(String::as_str)
            .chain(std::iter::once(self.unit.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_spec_reads_the_case_file_shape() {
        let s: SmokeSpec = serde_json::from_str(
            r#"{"unit":"x.service","case":"minimal","http":{"port":9090,"path":"/metrics","expectStatus":200},"needs":[]}"#,
        )
        .unwrap();
        assert_eq!(s.http.as_ref().unwrap().port, 9090);
        assert!(s.validate().is_ok());
        let bad: Result<SmokeSpec, _> =
            serde_json::from_str(r#"{"unit":"x.service","htp":{"port":1}}"#);
        assert!(bad.is_err(), "a misspelt key must not pass silently");
        let neither: SmokeSpec = serde_json::from_str(r#"{"unit":"x.service"}"#).unwrap();
        assert!(neither.validate().is_err());
        let store_file: SmokeSpec = serde_json::from_str(
            r#"{"unit":"x.service","command":"true","files":{"/nix/store/x-key":"k"}}"#,
        )
        .unwrap();
        assert!(store_file.validate().is_err());
        let secret: SmokeSpec = serde_json::from_str(
            r#"{"unit":"x.service","command":"true","files":{"/run/secrets/key":"k"}}"#,
        )
        .unwrap();
        assert!(secret.validate().is_ok());
    }

    #[test]
    fn a_scenario_starts_its_units_in_order_and_optional_ones_must_be_started() {
        let s: SmokeSpec = serde_json::from_str(
            r#"{"unit":"e.service","command":"true","start":["a.service","b.service"],"optional":["b.service"]}"#,
        )
        .unwrap();
        assert!(s.validate().is_ok());
        assert_eq!(
            s.started().collect::<Vec<_>>(),
            ["a.service", "b.service", "e.service"]
        );
        let stray: SmokeSpec = serde_json::from_str(
            r#"{"unit":"e.service","command":"true","start":["a.service"],"optional":["c.service"]}"#,
        )
        .unwrap();
        assert!(stray.validate().unwrap_err().contains("c.service"));
        let twice: SmokeSpec =
            serde_json::from_str(r#"{"unit":"e.service","command":"true","start":["e.service"]}"#)
                .unwrap();
        assert!(twice.validate().is_err());
    }

    #[test]
    fn reads_the_manifest_atnix_render_writes() {
        let m: Manifest = serde_json::from_str(
            r##"{"generatedBy":"atnix render",
                "units":[{"unit":"x.service","module":"x","case":"minimal","fixture":false,"kind":"service",
                          "executables":["/nix/store/a-x/bin/x","/nix/store/b-unit-script-x-pre-start/bin/x-pre-start"],
                          "scripts":{"/nix/store/b-unit-script-x-pre-start/bin/x-pre-start":"#!/bin/sh\ntrue\n"}}],
                "cases":[{"module":"x","case":"minimal","fixture":false,"units":["x.service"],
                          "smoke":{"unit":"x.service","case":"minimal","command":"true","needs":[]},
                          "users":{"x":{"name":"x","uid":null,"isSystemUser":true,"group":"x","home":"/var/empty","createHome":false}},
                          "groups":{"x":{"name":"x","gid":null}},
                          "tmpfiles":["d /var/lib/x 0750 x x -"],"tmpfilesSettings":{},"firewall":{},"warnings":[]}]}"##,
        )
        .unwrap();
        assert_eq!(m.units[0].scripts.len(), 1);
        let case = &m.cases[0];
        assert!(case.users["x"].is_system_user);
        assert_eq!(case.tmpfiles.len(), 1);
        let smoke: SmokeSpec = serde_json::from_value(case.smoke.clone().unwrap()).unwrap();
        assert_eq!(smoke.command.as_deref(), Some("true"));
    }
}
