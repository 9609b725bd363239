//! Every command-line flag a service module passes must exist in the
//! program's real `--help` output, kept under tests/fixtures/help/ (captured
//! from binaries built natively at the pinned commits; see docs/microcosm.md),
//! and every variable a module of an environment-only program (a PDS) sets in
//! that program's environment fixture.
//! The logic is atnix-update's (`atnix update` diffs new fixtures with it).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use atnix_update::flags::{
    HELP_DIR, environment_fixture, fixture_flags, fixtures_of, missing_flags, module_env_vars,
    module_flags, modules, unknown_env_vars,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root above crates/atnix")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn module_flags_exist_in_help_fixtures() {
    let root = repo_root();
    let help_dir = root.join(HELP_DIR);
    assert!(
        help_dir.is_dir(),
        "help fixtures are missing: expected {} (see docs/microcosm.md for how they are captured)",
        help_dir.display()
    );
    let found = modules(&root).expect("modules/ is readable");
    assert!(found.len() >= 7, "module discovery found only {found:?}");
    let mut problems = Vec::new();
    for (module, module_path) in &found {
        let fixture_names = fixtures_of(&help_dir, module).expect("help fixtures are readable");
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
        let env_fixtures: Vec<BTreeSet<String>> = fixtures
            .iter()
            .filter_map(|f| environment_fixture(f))
            .collect();
        // Help pages: every fixture that is not an environment list. A program
        // read by both flags and variables (rsky-relay) has one of each.
        let (help_names, help_texts): (Vec<&String>, Vec<String>) = fixture_names
            .iter()
            .zip(&fixtures)
            .filter(|(_, text)| environment_fixture(text).is_none())
            .map(|(name, text)| (name, text.clone()))
            .unzip();
        if !env_fixtures.is_empty() {
            // Every variable the module defines is one the program reads.
            let known: BTreeSet<String> = env_fixtures.into_iter().flatten().collect();
            let set = module_env_vars(&nix);
            assert!(
                !set.is_empty(),
                "{} sets no environment variables: the extraction is broken",
                module_path.display()
            );
            for var in unknown_env_vars(&nix, &known) {
                problems.push(format!(
                    "{} sets {var}, which no environment fixture of {module} lists",
                    module_path.display()
                ));
            }
            if help_texts.is_empty() {
                // Configured by environment only: no flags.
                for flag in module_flags(&nix) {
                    problems.push(format!(
                        "{} passes {flag}, but {module}.txt says the program takes no flags",
                        module_path.display()
                    ));
                }
                continue;
            }
        }
        for (name, text) in help_names.iter().zip(&help_texts) {
            // clap writes `Usage:`, urfave/cli (the Go programs) `USAGE:`.
            assert!(
                (text.contains("Usage:") || text.contains("USAGE:"))
                    && !fixture_flags(text).is_empty(),
                "{name} does not look like clap or urfave/cli --help output"
            );
        }
        let used = module_flags(&nix);
        assert!(
            !used.is_empty(),
            "{} passes no flags: the flag extraction is broken",
            module_path.display()
        );
        for flag in missing_flags(&nix, &help_texts) {
            problems.push(format!(
                "{} passes {flag}, which is not an option in {}",
                module_path.display(),
                help_names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn fixture_names_follow_modules() {
    let root = repo_root();
    let help_dir = root.join(HELP_DIR);
    assert_eq!(
        fixtures_of(&help_dir, "allegedly").unwrap(),
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
        fixtures_of(&help_dir, "microcosm-ufos").unwrap(),
        ["microcosm-ufos.txt"]
    );
}

#[test]
fn urfave_cli_options_are_read() {
    let help = "USAGE:\n   relay serve [options]\n\nOPTIONS:\n   --bind string                  IP or address (default: \":2470\") [$RELAY_API_BIND]\n   --sibling-relays string [ --sibling-relays string ]  servers; see --not-a-flag\n   --disable-request-crawl        don't process public requestCrawl (default: false)\n   --help, -h                     show help\n";
    assert_eq!(
        fixture_flags(help),
        [
            "--bind",
            "--disable-request-crawl",
            "--help",
            "--sibling-relays"
        ]
        .map(String::from)
        .into()
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
