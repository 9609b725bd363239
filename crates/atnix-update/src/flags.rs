//! Command-line flags a service module passes, against the program's real
//! `--help` output kept under `tests/fixtures/help/`.
//!
//! Modules and fixtures are found by convention, like modules/default.nix
//! does: `modules/<name>.nix` is the module `<name>`,
//! `modules/<family>/<app>.nix` the module `<family>-<app>`; its fixtures are
//! `tests/fixtures/help/<module>.txt` and, for subcommands,
//! `<module>-<subcommand>.txt`.
//!
//! A module's flags are its string literals that are exactly a long flag
//! (`"--bind"`); a fixture's flags are the ones clap or urfave/cli list as
//! options (`  -b, --bind <BIND>` / `      --acme-ipv6` /
//! `   --bind string  IP or address ...`), not flags merely mentioned in help
//! prose. A program configured only by environment (the PDS) keeps the
//! variables it reads instead (see [`environment_fixture`]).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where the help fixtures live, relative to the repository root.
pub const HELP_DIR: &str = "tests/fixtures/help";

fn is_flag_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// String literals in Nix source that are exactly one long flag.
pub fn module_flags(nix: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    let mut rest = nix;
    while let Some(start) = rest.find("\"--") {
        let after = &rest[start + 1..];
        let len = after
            .char_indices()
            .find(|&(i, c)| i >= 2 && !is_flag_char(c))
            .map(|(i, _)| i)
            .unwrap_or(after.len());
        if after[len..].starts_with('"') && len > 2 {
            flags.insert(after[..len].to_string());
        }
        rest = &after[len..];
    }
    flags
}

/// Options clap lists in a `--help` page: lines starting (after indentation)
/// with `-x, --flag` or `--flag`.
pub fn fixture_flags(help: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        if !trimmed.starts_with('-') {
            continue;
        }
        for token in trimmed.split([' ', ',']).filter(|t| !t.is_empty()) {
            if token.starts_with("--") && token.len() > 2 && token.chars().all(is_flag_char) {
                flags.insert(token.to_string());
                break;
            }
            if !token.starts_with('-') {
                break;
            }
        }
    }
    flags
}

/// A program configured only by environment (the PDS, rsky's services) keeps
/// the variables it reads instead of a `--help` page: a first line starting
/// with `# environment` or saying "configured by environment", then one
/// variable per line (its first word; `#` lines are comments).
pub fn environment_fixture(text: &str) -> Option<BTreeSet<String>> {
    let first = text.lines().next()?;
    if !(first.starts_with("# environment")
        || (first.starts_with('#') && first.contains("configured by environment")))
    {
        return None;
    }
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect(),
    )
}

fn is_env_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
}

/// Environment variables a module defines: `NAME =` (not `==`) where NAME is
/// upper case with an underscore and not part of a longer identifier.
pub fn module_env_vars(nix: &str) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    let chars: Vec<char> = nix.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0 || {
            let p = chars[i - 1];
            !(p.is_ascii_alphanumeric() || p == '_' || p == '$' || p == '-' || p == '.')
        };
        if boundary && chars[i].is_ascii_uppercase() {
            let start = i;
            while i < chars.len() && is_env_char(chars[i]) {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            let ends_word = chars
                .get(i)
                .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == '-'));
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let assigned = chars.get(j) == Some(&'=') && chars.get(j + 1) != Some(&'=');
            if ends_word && assigned && name.contains('_') && name.len() > 2 {
                vars.insert(name);
            }
        } else {
            i += 1;
        }
    }
    vars
}

/// Variables a module defines that the program's environment fixture does
/// not list, within the namespaces (the part before the first `_`) the
/// program reads: `PDS_TYPO` is reported for a PDS, while `NODE_OPTIONS` or
/// `RESTIC_REPOSITORY_FILE` belong to other programs (node, restic) and are not.
pub fn unknown_env_vars(module: &str, known: &BTreeSet<String>) -> Vec<String> {
    let namespace = |v: &str| v.split('_').next().unwrap_or_default().to_string();
    let namespaces: BTreeSet<String> = known.iter().map(|v| namespace(v)).collect();
    module_env_vars(module)
        .into_iter()
        .filter(|v| namespaces.contains(&namespace(v)) && !known.contains(v))
        .collect()
}

/// Flags of `module` (Nix source) missing from every one of `fixtures` (help pages).
pub fn missing_flags<S: AsRef<str>>(module: &str, fixtures: &[S]) -> Vec<String> {
    let known: BTreeSet<String> = fixtures
        .iter()
        .flat_map(|f| fixture_flags(f.as_ref()))
        .collect();
    module_flags(module)
        .into_iter()
        .filter(|f| !known.contains(f))
        .collect()
}

/// Every module file under `root/modules`, by its nixosModules name, sorted.
pub fn modules(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for path in sorted_entries(&root.join("modules"))? {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            for app in sorted_entries(&path)? {
                if let Some(stem) = nix_stem(&app) {
                    found.push((format!("{name}-{stem}"), app));
                }
            }
        } else if let Some(stem) = nix_stem(&path) {
            found.push((stem, path));
        }
    }
    Ok(found)
}

fn sorted_entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

fn nix_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    let stem = name.strip_suffix(".nix")?;
    (stem != "default").then(|| stem.to_string())
}

/// Whether the fixture stem `fixture` belongs to `module` (`<module>` or `<module>-<sub>`).
pub fn fixture_of(module: &str, fixture: &str) -> bool {
    fixture == module
        || fixture
            .strip_prefix(module)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// The file names `<module>.txt` and `<module>-*.txt` in `help_dir`, sorted.
pub fn fixtures_of(help_dir: &Path, module: &str) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(help_dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name
            .strip_suffix(".txt")
            .is_some_and(|stem| fixture_of(module, stem))
        {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The module a fixture stem belongs to: the longest module name it starts
/// with (`microcosm-ufos` before `microcosm`).
pub fn module_of<'a>(
    modules: &'a [(String, PathBuf)],
    fixture: &str,
) -> Option<&'a (String, PathBuf)> {
    modules
        .iter()
        .filter(|(m, _)| fixture_of(m, fixture))
        .max_by_key(|(m, _)| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_env_vars_are_definitions_only() {
        let nix = r#"
          environment = { PDS_PORT = toString cfg.port; RUST_LOG = "info"; };
          x = "${PDS_DATA_DIRECTORY}"; y = "$CREDENTIALS_DIRECTORY/a";
          z = if A_B == 1 then 2 else 3; ok = cfg.C_D;
          ${var}="$(< file)"
        "#;
        let vars: Vec<String> = module_env_vars(nix).into_iter().collect();
        assert_eq!(vars, ["PDS_PORT", "RUST_LOG"]);
        let fixture = "# environment of x\n# from src\nPDS_PORT  # port\nRUST_LOG\n";
        let listed: Vec<String> = environment_fixture(fixture).unwrap().into_iter().collect();
        assert_eq!(listed, ["PDS_PORT", "RUST_LOG"]);
        let other = "# x takes no flags: it is configured by environment.\nPDS_PORT\n";
        assert!(environment_fixture(other).is_some());
        assert!(environment_fixture("Usage: x [OPTIONS]\n").is_none());
        let known = environment_fixture(other).unwrap();
        assert_eq!(
            unknown_env_vars("PDS_PORT = 1; PDS_TYPO = 2; NODE_OPTIONS = 3;", &known),
            ["PDS_TYPO"]
        );
    }

    #[test]
    fn unknown_flag_is_reported() {
        let help = "Usage: x [OPTIONS]\n\nOptions:\n  -b, --bind <BIND>\n          listen address (not --fixture)\n      --collect-metrics\n  -h, --help\n";
        assert_eq!(
            fixture_flags(help),
            ["--bind", "--collect-metrics", "--help"]
                .map(String::from)
                .into()
        );
        let module = r#"ExecStart = [ "--bind" addr "--collect-metrics" "--fixture" "--no-such-flag" ]; x = "not --a-flag";"#;
        assert_eq!(
            missing_flags(module, &[help]),
            vec!["--fixture".to_string(), "--no-such-flag".to_string()]
        );
    }

    #[test]
    fn fixtures_map_to_the_longest_module() {
        let modules = vec![
            ("microcosm".to_owned(), PathBuf::from("a")),
            ("microcosm-ufos".to_owned(), PathBuf::from("b")),
        ];
        assert_eq!(
            module_of(&modules, "microcosm-ufos").unwrap().0,
            "microcosm-ufos"
        );
        assert_eq!(module_of(&modules, "microcosm-x").unwrap().0, "microcosm");
        assert!(module_of(&modules, "micro").is_none());
        assert!(!fixture_of("allegedly", "allegedlyx"));
    }
}
