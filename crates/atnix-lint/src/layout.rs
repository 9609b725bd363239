//! The repository layout rule: adding a service means adding its files, found
//! by name. A module `<name>` (`modules/<name>.nix`, or
//! `modules/<family>/<app>.nix` for `<family>-<app>`, as modules/default.nix
//! discovers them) needs its evaluation cases (`tests/eval/cases/<name>.nix`),
//! its VM test (`tests/nixos/<name>.nix`) and the `--help` output of its
//! program (`tests/fixtures/help/<name>.txt`).

use std::path::Path;

use crate::{Error, Finding, Rule, io_err};

/// Files every service module needs, relative to the repository root.
const COMPANIONS: &[(&str, &str)] = &[
    ("tests/eval/cases", "evaluation cases"),
    ("tests/nixos", "NixOS VM test"),
    ("tests/fixtures/help", "--help fixture"),
];

fn sorted_entries(dir: &Path) -> Result<Vec<(String, bool)>, Error> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let is_dir = entry.file_type().map_err(io_err(&entry.path()))?.is_dir();
        out.push((name, is_dir));
    }
    out.sort();
    Ok(out)
}

fn module_stem(name: &str) -> Option<&str> {
    name.strip_suffix(".nix").filter(|s| *s != "default")
}

/// Every module by its nixosModules name, with its file relative to `root`.
/// Empty when there is no `modules/` directory.
pub fn discovered_modules(root: &Path) -> Result<Vec<(String, String)>, Error> {
    let dir = root.join("modules");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (name, is_dir) in sorted_entries(&dir)? {
        if is_dir {
            for (app, app_is_dir) in sorted_entries(&dir.join(&name))? {
                if let Some(stem) = module_stem(&app).filter(|_| !app_is_dir) {
                    found.push((format!("{name}-{stem}"), format!("modules/{name}/{app}")));
                }
            }
        } else if let Some(stem) = module_stem(&name) {
            found.push((stem.to_owned(), format!("modules/{name}")));
        }
    }
    Ok(found)
}

/// Whether modules/default.nix discovers modules by convention (reads the
/// directory) rather than listing them.
fn discovers(root: &Path) -> bool {
    std::fs::read_to_string(root.join("modules/default.nix"))
        .is_ok_and(|text| text.contains("readDir"))
}

/// One finding per missing companion file of each discovered module.
pub(crate) fn check_layout(root: &Path, out: &mut Vec<Finding>) -> Result<(), Error> {
    if !discovers(root) {
        return Ok(());
    }
    for (name, file) in discovered_modules(root)? {
        for (dir, what) in COMPANIONS {
            let ext = if dir.ends_with("help") { "txt" } else { "nix" };
            let rel = format!("{dir}/{name}.{ext}");
            if !root.join(&rel).is_file() {
                out.push(Finding {
                    file: file.clone(),
                    line: 1,
                    rule: Rule::ServiceLayout,
                    message: format!(
                        "module `{name}` has no {what}: add {rel} (see templates/README.md)"
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "{ }").unwrap();
    }

    #[test]
    fn modules_are_named_by_file_and_family() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for rel in [
            "modules/default.nix",
            "modules/solo.nix",
            "modules/fam/app.nix",
            "modules/fam/other.nix",
            "modules/notes.md",
        ] {
            write(root, rel);
        }
        let names: Vec<String> = discovered_modules(root)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["fam-app", "fam-other", "solo"]);
    }

    #[test]
    fn incomplete_service_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("modules")).unwrap();
        std::fs::write(root.join("modules/default.nix"), "builtins.readDir ./.").unwrap();
        for rel in [
            "modules/fam/app.nix",
            "tests/eval/cases/fam-app.nix",
            "tests/nixos/fam-app.nix",
        ] {
            write(root, rel);
        }
        let mut out = Vec::new();
        check_layout(root, &mut out).unwrap();
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].file, "modules/fam/app.nix");
        assert!(out[0].message.contains("tests/fixtures/help/fam-app.txt"));

        write(root, "tests/fixtures/help/fam-app.txt");
        let mut out = Vec::new();
        check_layout(root, &mut out).unwrap();
        assert!(out.is_empty(), "{out:?}");
    }
}
