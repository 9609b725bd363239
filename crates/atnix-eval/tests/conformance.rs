//! The stub conformance check against the recorded NixOS facts: it passes on
//! this repository's stubs and fails when a stub is loosened. Evaluates Nix
//! with the real nixpkgs lib from NIXPKGS_LIB; without it these tests print
//! SKIPPED and pass, unless ATNIX_REQUIRE_NIXPKGS_LIB=1 (then they fail).

use std::path::{Path, PathBuf};

use atnix_eval::{Harness, Outcome};

fn nixpkgs_lib() -> Option<PathBuf> {
    match std::env::var_os("NIXPKGS_LIB") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var("ATNIX_REQUIRE_NIXPKGS_LIB").as_deref() == Ok("1") => {
            panic!(
                "NIXPKGS_LIB is not set (ATNIX_REQUIRE_NIXPKGS_LIB=1): point it at a nixpkgs lib directory"
            )
        }
        None => {
            eprintln!(
                "SKIPPED: NIXPKGS_LIB is not set; set it to a nixpkgs lib directory to run the conformance tests"
            );
            None
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A checkout with this repository's eval harness, stubs, facts and
/// fixtures, no packages and no modules; `edit` may change one file first.
fn checkout(edit: Option<(&str, &str, &str)>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&repo().join("tests/eval"), &root.join("tests/eval"));
    copy_dir(&repo().join("lib"), &root.join("lib"));
    std::fs::create_dir_all(root.join("pkgs")).unwrap();
    std::fs::write(root.join("pkgs/default.nix"), "{ pkgs }: { }\n").unwrap();
    std::fs::create_dir_all(root.join("modules")).unwrap();
    std::fs::write(root.join("modules/default.nix"), "{ }\n").unwrap();
    if let Some((file, from, to)) = edit {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} no longer contains {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
    dir
}

fn conformance(edit: Option<(&str, &str, &str)>) -> Option<Vec<(String, Outcome)>> {
    let lib = nixpkgs_lib()?;
    let dir = checkout(edit);
    let harness = Harness::new(dir.path(), Some(&lib)).expect("harness");
    Some(
        harness
            .stub_conformance()
            .expect("conformance")
            .into_iter()
            .map(|r| (r.case, r.outcome))
            .collect(),
    )
}

#[test]
fn the_stubs_conform_to_the_recorded_nixos_declarations() {
    let Some(reports) = conformance(None) else {
        return;
    };
    assert!(reports.len() >= 4, "{reports:?}");
    for (file, outcome) in &reports {
        assert!(outcome.passed(), "{file}: {outcome:?}");
    }
}

#[test]
fn a_stub_loosened_to_anything_fails_conformance() {
    let Some(reports) = conformance(Some((
        "tests/eval/stubs/nginx-acme.nix",
        "sslCertificate = mkOption {\n          type = types.path;",
        "sslCertificate = mkOption {\n          type = types.anything;",
    ))) else {
        return;
    };
    let (_, outcome) = reports
        .iter()
        .find(|(f, _)| f == "nginx-acme.json")
        .expect("nginx-acme.json");
    match outcome {
        Outcome::Fail { reason } => assert!(
            reason.contains("services.nginx.virtualHosts.<name>.sslCertificate: the stub's type is `anything`, NixOS's is `absolute path`"),
            "{reason}"
        ),
        Outcome::Pass { .. } => panic!("a loosened stub passed: {outcome:?}"),
    }
}

#[test]
fn a_stub_default_that_nixos_lacks_fails_conformance() {
    let Some(reports) = conformance(Some((
        "tests/eval/stubs/users.nix",
        "default = \"\";\n          description = \"The user's primary group.\";",
        "default = \"nogroup\";\n          description = \"The user's primary group.\";",
    ))) else {
        return;
    };
    let (_, outcome) = reports
        .iter()
        .find(|(f, _)| f == "users-groups.json")
        .expect("users-groups.json");
    assert!(
        matches!(outcome, Outcome::Fail { reason } if reason.contains("users.users.<name>.group: the stub's default is `\"nogroup\"`, NixOS's is `\"\"`")),
        "{outcome:?}"
    );
}
