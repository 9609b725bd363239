//! Every command-line flag a service module passes must exist in the
//! program's real `--help` output, kept under tests/fixtures/help/ (captured
//! from binaries built natively at the pinned commits; see docs/microcosm.md).
//! The flag logic is atnix-update's (`atnix update` diffs new fixtures with it).

use std::fs;
use std::path::{Path, PathBuf};

use atnix_update::flags::{
    HELP_DIR, fixture_flags, fixtures_of, missing_flags, module_flags, modules,
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
fn fixture_names_follow_modules() {
    let help_dir = repo_root().join(HELP_DIR);
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
fn real_fixture_rejects_invented_flag() {
    let help = read(&repo_root().join("tests/fixtures/help/allegedly-wrap.txt"));
    assert_eq!(
        missing_flags(r#"[ "--wrap" "--wrap-postgres" ]"#, &[help]),
        vec!["--wrap-postgres".to_string()]
    );
}
