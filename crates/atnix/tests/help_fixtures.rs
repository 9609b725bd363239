//! Every command-line flag a microcosm module passes must exist in the
//! program's real `--help` output, kept under tests/fixtures/help/ (captured
//! from binaries built natively at the pinned commits; see docs/microcosm.md).
//!
//! A module's flags are its string literals that are exactly a long flag
//! (`"--bind"`); a fixture's flags are the ones clap lists as options
//! (`  -b, --bind <BIND>` / `      --acme-ipv6`), not flags merely mentioned
//! in help prose.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Module file (under modules/microcosm/) -> the help fixtures its flags may
/// come from. allegedly's module runs `allegedly mirror|wrap`; clap lists the
/// global flags in both subcommand helps too.
const MODULES: &[(&str, &[&str])] = &[
    // constellation's binary is `main` upstream; the package renames it.
    ("constellation.nix", &["constellation.txt"]),
    ("spacedust.nix", &["spacedust.txt"]),
    ("slingshot.nix", &["slingshot.txt"]),
    ("ufos.nix", &["ufos.txt"]),
    ("pocket.nix", &["pocket.txt"]),
    (
        "allegedly.nix",
        &[
            "allegedly.txt",
            "allegedly-mirror.txt",
            "allegedly-wrap.txt",
        ],
    ),
];

/// Files in modules/microcosm/ that are not service modules.
const HELPERS: &[&str] = &["lib.nix"];

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

/// Flags of `module` missing from every one of `fixtures`.
fn missing_flags(module: &str, fixtures: &[String]) -> Vec<String> {
    let known: BTreeSet<String> = fixtures.iter().flat_map(|f| fixture_flags(f)).collect();
    module_flags(module)
        .into_iter()
        .filter(|f| !known.contains(f))
        .collect()
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
    let mut problems = Vec::new();
    for (module, fixture_names) in MODULES {
        let module_path = root.join("modules/microcosm").join(module);
        let nix = read(&module_path);
        let fixtures: Vec<String> = fixture_names
            .iter()
            .map(|f| read(&help_dir.join(f)))
            .collect();
        for (name, text) in fixture_names.iter().zip(&fixtures) {
            assert!(
                text.contains("Usage:") && !fixture_flags(text).is_empty(),
                "{name} does not look like clap --help output"
            );
        }
        let used = module_flags(&nix);
        assert!(
            !used.is_empty(),
            "modules/microcosm/{module} passes no flags: the flag extraction is broken"
        );
        for flag in missing_flags(&nix, &fixtures) {
            problems.push(format!(
                "modules/microcosm/{module} passes {flag}, which is not an option in {}",
                fixture_names.join(" / ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_service_module_has_fixtures() {
    let dir = repo_root().join("modules/microcosm");
    let mapped: BTreeSet<&str> = MODULES.iter().map(|(m, _)| *m).collect();
    for entry in fs::read_dir(&dir).expect("modules/microcosm exists") {
        let name = entry.expect("directory entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".nix") && !HELPERS.contains(&name.as_ref()) {
            assert!(
                mapped.contains(name.as_ref()),
                "modules/microcosm/{name} has no entry in MODULES: add its help fixture(s)"
            );
        }
    }
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
