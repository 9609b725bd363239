//! Every command-line flag a service module passes must exist in the
//! program's real `--help` output, kept under tests/fixtures/help/ (captured
//! from binaries built natively at the pinned commits; see docs/microcosm.md).
//!
//! Modules and fixtures are found by convention, like modules/default.nix
//! does: `modules/<name>.nix` is the module `<name>`,
//! `modules/<family>/<app>.nix` the module `<family>-<app>`; its fixtures are
//! `tests/fixtures/help/<module>.txt` and, for subcommands,
//! `<module>-<subcommand>.txt`.
//!
//! A module's flags are its string literals that are exactly a long flag
//! (`"--bind"`); a fixture's flags are the ones clap lists as options
//! (`  -b, --bind <BIND>` / `      --acme-ipv6`), not flags merely mentioned
//! in help prose.
//!
//! A program configured by environment only (rsky-pds) has an environment
//! fixture in the same place instead: a file starting with `# environment`,
//! one variable the program reads per line (`#` comments). Such a module
//! must pass no flags, and every variable it sets (an upper-case name with
//! an underscore defined with `=`) must be listed.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root above crates/atnix")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn is_flag_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// String literals in Nix source that are exactly one long flag.
fn module_flags(nix: &str) -> BTreeSet<String> {
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
fn fixture_flags(help: &str) -> BTreeSet<String> {
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

fn is_env_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
}

/// Environment variables a module defines: `NAME =` (not `==`) where NAME is
/// upper case with an underscore and not part of a longer identifier.
fn module_env_vars(nix: &str) -> BTreeSet<String> {
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

fn is_env_fixture(text: &str) -> bool {
    text.starts_with("# environment")
}

/// The variables an environment fixture lists.
fn fixture_env_vars(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Flags of `module` missing from every one of `fixtures`.
fn missing_flags(module: &str, fixtures: &[String]) -> Vec<String> {
    let known: BTreeSet<String> = fixtures.iter().flat_map(|f| fixture_flags(f)).collect();
    module_flags(module)
        .into_iter()
        .filter(|f| !known.contains(f))
        .collect()
}

/// Every module file, by its nixosModules name (modules/default.nix).
fn modules(root: &Path) -> Vec<(String, PathBuf)> {
    let dir = root.join("modules");
    let mut found = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .expect("modules/ exists")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut apps: Vec<_> = fs::read_dir(&path)
                .expect("family directory")
                .map(|e| e.expect("directory entry").path())
                .collect();
            apps.sort();
            for app in apps {
                if let Some(stem) = nix_stem(&app) {
                    found.push((format!("{name}-{stem}"), app));
                }
            }
        } else if let Some(stem) = nix_stem(&path) {
            found.push((stem, path));
        }
    }
    found
}

fn nix_stem(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    let stem = name.strip_suffix(".nix")?;
    (stem != "default").then(|| stem.to_string())
}

/// `<module>.txt` and `<module>-*.txt`, sorted.
fn fixtures_of(help_dir: &Path, module: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(help_dir)
        .expect("help fixtures directory")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| {
            f.strip_suffix(".txt").is_some_and(|stem| {
                stem == module
                    || stem
                        .strip_prefix(module)
                        .is_some_and(|rest| rest.starts_with('-'))
            })
        })
        .collect();
    names.sort();
    names
}

#[test]
fn module_flags_exist_in_help_fixtures() {
    let root = repo_root();
    let help_dir = root.join("tests/fixtures/help");
    assert!(
        help_dir.is_dir(),
        "help fixtures are missing: expected {} (see docs/microcosm.md for how they are captured)",
        help_dir.display()
    );
    let found = modules(&root);
    assert!(found.len() >= 7, "module discovery found only {found:?}");
    let mut problems = Vec::new();
    for (module, module_path) in &found {
        let fixture_names = fixtures_of(&help_dir, module);
        if !fixture_names.contains(&format!("{module}.txt")) {
            problems.push(format!(
                "module {module} has no help fixture tests/fixtures/help/{module}.txt"
            ));
            continue;
        }
        let nix = read(module_path);
        let fixtures: Vec<String> = fixture_names
            .iter()
            .map(|f| read(&help_dir.join(f)))
            .collect();
        if fixtures.iter().all(|t| is_env_fixture(t)) {
            let listed: BTreeSet<String> =
                fixtures.iter().flat_map(|t| fixture_env_vars(t)).collect();
            let set = module_env_vars(&nix);
            assert!(
                !set.is_empty(),
                "{} sets no environment variables: the extraction is broken",
                module_path.display()
            );
            for flag in module_flags(&nix) {
                problems.push(format!(
                    "{} passes {flag}, but {module}.txt says the program takes no flags",
                    module_path.display()
                ));
            }
            for var in set.difference(&listed) {
                problems.push(format!(
                    "{} sets {var}, which the program does not read (not in {module}.txt)",
                    module_path.display()
                ));
            }
            continue;
        }
        for (name, text) in fixture_names.iter().zip(&fixtures) {
            assert!(
                text.contains("Usage:") && !fixture_flags(text).is_empty(),
                "{name} does not look like clap --help output"
            );
        }
        let used = module_flags(&nix);
        assert!(
            !used.is_empty(),
            "{} passes no flags: the flag extraction is broken",
            module_path.display()
        );
        for flag in missing_flags(&nix, &fixtures) {
            problems.push(format!(
                "{} passes {flag}, which is not an option in {}",
                module_path.display(),
                fixture_names.join(" / ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

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
    assert!(is_env_fixture(fixture));
    let listed: Vec<String> = fixture_env_vars(fixture).into_iter().collect();
    assert_eq!(listed, ["PDS_PORT", "RUST_LOG"]);
}

#[test]
fn fixture_names_follow_modules() {
    let root = repo_root();
    let help_dir = root.join("tests/fixtures/help");
    assert_eq!(
        fixtures_of(&help_dir, "allegedly"),
        [
            "allegedly-backfill.txt",
            "allegedly-bundle.txt",
            "allegedly-mirror.txt",
            "allegedly-tail.txt",
            "allegedly-wrap.txt",
            "allegedly.txt"
        ]
    );
    assert_eq!(
        fixtures_of(&help_dir, "microcosm-ufos"),
        ["microcosm-ufos.txt"]
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
        missing_flags(module, &[help.to_string()]),
        vec!["--fixture".to_string(), "--no-such-flag".to_string()]
    );
}

#[test]
fn real_fixture_rejects_invented_flag() {
    let help = read(&repo_root().join("tests/fixtures/help/allegedly-wrap.txt"));
    assert_eq!(
        missing_flags(r#"[ "--wrap" "--wrap-postgres" ]"#, &[help]),
        vec!["--wrap-postgres".to_string()]
    );
}
