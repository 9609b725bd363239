//! The render manifest: what `atnix render` writes beside the unit files
//! (`DIR/manifest.json`) and what `atnix harden` and `atnix smoke` read. One
//! type for both directions, so the writer and the readers cannot drift.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything one render produced: units plus per-case context for smoke tests.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always `atnix render`; says where the file came from.
    #[serde(default = "generated_by")]
    pub generated_by: String,
    pub units: Vec<RenderedUnit>,
    #[serde(default)]
    pub cases: Vec<RenderedCase>,
}

fn generated_by() -> String {
    "atnix render".into()
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            generated_by: generated_by(),
            units: Vec::new(),
            cases: Vec::new(),
        }
    }
}

/// A rendered unit and where it came from; its file is `DIR/<unit>`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedUnit {
    /// Unit name, e.g. `atproto-exporter.service`.
    pub unit: String,
    /// The module's name in `modules/default.nix` (or the fixtures).
    pub module: String,
    /// The evaluation case that produced it.
    pub case: String,
    #[serde(default)]
    pub fixture: bool,
    /// `service`, `socket` or `timer`.
    pub kind: String,
    /// The unit file's text; in the file beside the manifest, not in it.
    #[serde(skip)]
    pub text: String,
    /// Absolute paths named by Exec* lines.
    #[serde(default)]
    pub executables: Vec<String>,
    /// Generated job scripts among them: path -> file contents.
    #[serde(default)]
    pub scripts: BTreeMap<String, String>,
    /// Every store path (`/nix/store/<hash>-<name>`) the unit text or its
    /// job scripts mention, e.g. the binary a `script` runs.
    #[serde(default)]
    pub store_paths: Vec<String>,
}

/// One evaluation case's context.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedCase {
    pub module: String,
    pub case: String,
    #[serde(default)]
    pub fixture: bool,
    #[serde(default)]
    pub units: Vec<String>,
    /// The module's `smoke` attribute, as the case file writes it (atnix-smoke
    /// checks its shape when it uses it).
    #[serde(default)]
    pub smoke: Option<Value>,
    /// `users.users` of the case (enabled users only).
    #[serde(default)]
    pub users: BTreeMap<String, UserDef>,
    /// `users.groups` of the case.
    #[serde(default)]
    pub groups: BTreeMap<String, GroupDef>,
    /// `systemd.tmpfiles.rules`.
    #[serde(default)]
    pub tmpfiles: Vec<String>,
    /// `systemd.tmpfiles.settings`.
    #[serde(default)]
    pub tmpfiles_settings: Value,
    /// `networking.firewall`'s allowed ports.
    #[serde(default)]
    pub firewall: Value,
    /// What `services.postgresql` provisions, when the case enables it.
    #[serde(default)]
    pub postgresql: Option<PostgresqlDef>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The parts of `services.postgresql` a smoke run reproduces: databases and
/// roles to ensure, and the lines added to pg_ident.conf and pg_hba.conf.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostgresqlDef {
    #[serde(default)]
    pub ensure_databases: Vec<String>,
    #[serde(default)]
    pub ensure_users: Vec<PostgresqlUser>,
    #[serde(default)]
    pub ident_map: String,
    #[serde(default)]
    pub authentication: String,
}

/// One of `services.postgresql.ensureUsers`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostgresqlUser {
    pub name: String,
    #[serde(default, rename = "ensureDBOwnership")]
    pub ensure_db_ownership: bool,
}

/// One of `users.users`, with the fields the driver exports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDef {
    pub name: String,
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub is_system_user: bool,
    #[serde(default)]
    pub home: Option<String>,
    #[serde(default)]
    pub create_home: bool,
}

/// One of `users.groups`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GroupDef {
    pub name: String,
    #[serde(default)]
    pub gid: Option<u32>,
}

/// Why a rendered directory could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a render manifest: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl Manifest {
    /// The file name beside the units.
    pub const FILE: &'static str = "manifest.json";

    /// Writes every unit file and `manifest.json` into `dir` (created if missing).
    pub fn write_dir(&self, dir: &Path) -> Result<(), ManifestError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ManifestError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        for u in &self.units {
            let p = dir.join(&u.unit);
            std::fs::write(&p, &u.text).map_err(io(&p))?;
        }
        let p = dir.join(Self::FILE);
        let json = serde_json::to_string_pretty(self).map_err(|source| ManifestError::Json {
            path: p.clone(),
            source,
        })?;
        std::fs::write(&p, json + "\n").map_err(io(&p))?;
        Ok(())
    }

    /// Reads `dir/manifest.json` and the unit files it lists.
    pub fn load_dir(dir: &Path) -> Result<Manifest, ManifestError> {
        let p = dir.join(Self::FILE);
        let bytes = std::fs::read(&p).map_err(|source| ManifestError::Io {
            path: p.clone(),
            source,
        })?;
        let mut manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|source| ManifestError::Json {
                path: p.clone(),
                source,
            })?;
        for u in &mut manifest.units {
            let p = dir.join(&u.unit);
            u.text = std::fs::read_to_string(&p)
                .map_err(|source| ManifestError::Io { path: p, source })?;
        }
        Ok(manifest)
    }

    /// The context of one evaluation case, if the manifest carries it.
    pub fn case(&self, module: &str, case: &str) -> Option<&RenderedCase> {
        self.cases
            .iter()
            .find(|c| c.module == module && c.case == case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            generated_by: generated_by(),
            units: vec![RenderedUnit {
                unit: "x.service".into(),
                module: "x".into(),
                case: "minimal".into(),
                fixture: false,
                kind: "service".into(),
                text: "[Unit]\n\n[Service]\nExecStart=/nix/store/a-x/bin/x\n".into(),
                executables: vec!["/nix/store/a-x/bin/x".into()],
                scripts: BTreeMap::from([("/nix/store/b-s/bin/s".into(), "#!/bin/sh\n".into())]),
                store_paths: vec!["/nix/store/a-x".into()],
            }],
            cases: vec![RenderedCase {
                module: "x".into(),
                case: "minimal".into(),
                fixture: false,
                units: vec!["x.service".into()],
                smoke: Some(serde_json::json!({"unit": "x.service", "command": "true"})),
                users: BTreeMap::from([(
                    "x".into(),
                    UserDef {
                        name: "x".into(),
                        uid: None,
                        group: Some("x".into()),
                        is_system_user: true,
                        home: Some("/var/empty".into()),
                        create_home: false,
                    },
                )]),
                groups: BTreeMap::from([(
                    "x".into(),
                    GroupDef {
                        name: "x".into(),
                        gid: Some(400),
                    },
                )]),
                tmpfiles: vec!["d /var/lib/x 0750 x x -".into()],
                postgresql: Some(PostgresqlDef {
                    ensure_databases: vec!["x".into()],
                    ensure_users: vec![PostgresqlUser {
                        name: "x".into(),
                        ensure_db_ownership: true,
                    }],
                    ident_map: "x x-app x\n".into(),
                    authentication: "local x x peer map=x\n".into(),
                }),
                tmpfiles_settings: serde_json::json!({"x": {"/var/lib/x": {"d": {"mode": "0750"}}}}),
                firewall: serde_json::json!({"allowedTCPPorts": [], "allowedUDPPorts": []}),
                warnings: vec![],
            }],
        }
    }

    #[test]
    fn round_trips_through_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let m = sample();
        m.write_dir(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(Manifest::FILE)).unwrap();
        // camelCase throughout, as the driver and the case files spell it.
        for key in [
            "\"generatedBy\"",
            "\"tmpfilesSettings\"",
            "\"isSystemUser\"",
            "\"storePaths\"",
        ] {
            assert!(text.contains(key), "{key} missing from {text}");
        }
        assert!(!text.contains("tmpfiles_settings"), "{text}");
        assert_eq!(Manifest::load_dir(dir.path()).unwrap(), m);
    }

    #[test]
    fn a_missing_unit_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        sample().write_dir(dir.path()).unwrap();
        std::fs::remove_file(dir.path().join("x.service")).unwrap();
        let e = Manifest::load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.starts_with(&dir.path().join("x.service").display().to_string()),
            "{e}"
        );
    }
}
