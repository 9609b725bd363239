//! The harness judges cases correctly. These tests evaluate Nix with the real
//! nixpkgs lib, found through NIXPKGS_LIB. Without it they print SKIPPED and
//! pass, unless ATNIX_REQUIRE_NIXPKGS_LIB=1 (then they fail).

use std::path::{Path, PathBuf};

use atnix_eval::{Harness, Outcome, RunOptions};

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
                "SKIPPED: NIXPKGS_LIB is not set; set it to a nixpkgs lib directory to run the harness tests"
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

/// A checkout with the real driver, stub pkgs and stubs, and one module.
fn checkout(module: &str, cases: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let eval = root.join("tests/eval");
    std::fs::create_dir_all(eval.join("cases")).unwrap();
    std::fs::create_dir_all(eval.join("fixtures")).unwrap();
    for f in ["driver.nix", "pkgs.nix"] {
        std::fs::copy(repo().join("tests/eval").join(f), eval.join(f)).unwrap();
    }
    copy_dir(&repo().join("tests/eval/stubs"), &eval.join("stubs"));
    std::fs::write(eval.join("fixtures/default.nix"), "{ }\n").unwrap();
    std::fs::create_dir_all(root.join("pkgs")).unwrap();
    std::fs::write(root.join("pkgs/default.nix"), "{ pkgs }: { }\n").unwrap();
    std::fs::create_dir_all(root.join("modules")).unwrap();
    std::fs::write(root.join("modules/default.nix"), "{ demo = ./demo.nix; }\n").unwrap();
    std::fs::write(root.join("modules/demo.nix"), module).unwrap();
    std::fs::write(eval.join("cases/demo.nix"), cases).unwrap();
    dir
}

const MODULE: &str = r#"
{ config, lib, pkgs, ... }:
let cfg = config.services.demo; in
{
  options.services.demo = {
    enable = lib.mkEnableOption "demo";
    port = lib.mkOption { type = lib.types.port; default = 8080; description = "Port."; };
    publicUrl = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; description = "URL."; };
  };
  config = lib.mkIf cfg.enable {
    assertions = [ { assertion = cfg.port != 9; message = "services.demo.port must not be 9"; } ];
    systemd.services.demo = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig.ExecStart = "${lib.getExe pkgs.python3} -m http.server ${toString cfg.port}";
      serviceConfig.DynamicUser = true;
      SERVICECONFIG_PLACEHOLDER
    };
  };
}
"#;

const CASES: &str = r#"
{ ... }:
{
  module = "demo";
  cases = {
    minimal.config.services.demo.enable = true;
    full.config.services.demo = { enable = true; port = 8081; };
    bad-port = { config.services.demo = { enable = true; port = 9; }; expectAssertion = "must not be 9"; };
    BAD_CASE_PLACEHOLDER
  };
}
"#;

fn run(module: &str, cases: &str) -> Option<Vec<atnix_eval::CaseReport>> {
    let lib = nixpkgs_lib()?;
    let dir = checkout(module, cases);
    let harness = Harness::new(dir.path(), Some(&lib)).expect("harness");
    Some(harness.run(&RunOptions::default()).expect("run"))
}

fn outcome<'a>(reports: &'a [atnix_eval::CaseReport], case: &str) -> &'a Outcome {
    &reports
        .iter()
        .find(|r| r.case == case)
        .unwrap_or_else(|| panic!("no report for {case}: {reports:?}"))
        .outcome
}

#[test]
fn good_module_passes_all_cases() {
    let Some(reports) = run(
        &MODULE.replace("SERVICECONFIG_PLACEHOLDER", ""),
        &CASES.replace("BAD_CASE_PLACEHOLDER", ""),
    ) else {
        return;
    };
    assert!(reports.iter().all(|r| r.outcome.passed()), "{reports:#?}");
    assert_eq!(reports.len(), 3);
}

#[test]
fn misspelled_option_fails_evaluation() {
    let Some(reports) = run(
        &MODULE.replace(
            "SERVICECONFIG_PLACEHOLDER",
            "serviceConfg.Restart = \"always\";",
        ),
        &CASES.replace("BAD_CASE_PLACEHOLDER", ""),
    ) else {
        return;
    };
    match outcome(&reports, "minimal") {
        Outcome::Fail { reason } => {
            assert!(reason.contains("serviceConfg' does not exist"), "{reason}")
        }
        other => panic!("misspelled option passed: {other:?}"),
    }
}

#[test]
fn misspelled_option_never_counts_as_the_expected_assertion() {
    let Some(reports) = run(
        &MODULE.replace("SERVICECONFIG_PLACEHOLDER", ""),
        &CASES.replace(
            "BAD_CASE_PLACEHOLDER",
            r#"bad-typo = { config.services.demo = { enable = true; prot = 9; }; expectAssertion = "services.demo"; };"#,
        ),
    ) else {
        return;
    };
    assert!(!outcome(&reports, "bad-typo").passed(), "{reports:#?}");
}

#[test]
fn bad_case_whose_assertion_does_not_fire_fails() {
    let Some(reports) = run(
        &MODULE.replace("SERVICECONFIG_PLACEHOLDER", ""),
        &CASES.replace(
            "BAD_CASE_PLACEHOLDER",
            r#"bad-silent = { config.services.demo = { enable = true; port = 10; }; expectAssertion = "must not be 9"; };"#,
        ),
    ) else {
        return;
    };
    match outcome(&reports, "bad-silent") {
        Outcome::Fail { reason } => assert!(reason.contains("did not fire"), "{reason}"),
        other => panic!("silent bad case passed: {other:?}"),
    }
    assert!(outcome(&reports, "bad-port").passed());
}

#[test]
fn module_without_cases_fails_coverage() {
    let Some(reports) = run(
        &MODULE.replace("SERVICECONFIG_PLACEHOLDER", ""),
        r#"{ ... }: { module = "demo"; cases.minimal.config.services.demo.enable = true; }"#,
    ) else {
        return;
    };
    match outcome(&reports, "(coverage)") {
        Outcome::Fail { reason } => assert!(
            reason.contains("`full` case") && reason.contains("bad case"),
            "{reason}"
        ),
        other => panic!("coverage passed: {other:?}"),
    }
}

#[test]
fn render_of_the_minimal_case_is_the_nixos_text() {
    let Some(lib) = nixpkgs_lib() else { return };
    let dir = checkout(
        &MODULE.replace("SERVICECONFIG_PLACEHOLDER", "preStart = \"echo hi\";"),
        &CASES.replace("BAD_CASE_PLACEHOLDER", ""),
    );
    let harness = Harness::new(dir.path(), Some(&lib)).unwrap();
    let rendered = harness.render(&RunOptions::default()).unwrap();
    assert_eq!(rendered.units.len(), 1);
    let u = &rendered.units[0];
    assert_eq!(u.unit, "demo.service");
    assert!(
        u.text
            .starts_with("[Unit]\n\n[Service]\nEnvironment=\"LOCALE_ARCHIVE=/nix/store/"),
        "{}",
        u.text
    );
    assert!(u.text.contains("\nDynamicUser=true\n"));
    assert!(
        u.text
            .ends_with("\n[Install]\nWantedBy=multi-user.target\n")
    );
    // preStart became a generated script named by ExecStartPre, with its text.
    assert_eq!(u.executables.len(), 2, "{:?}", u.executables);
    let pre = &u.executables[0];
    assert!(
        pre.ends_with("-unit-script-demo-pre-start/bin/demo-pre-start"),
        "{pre}"
    );
    assert!(u.text.contains(&format!("\nExecStartPre={pre}\n")));
    assert!(
        u.scripts[pre].ends_with("/bin/bash\nset -e\n\necho hi\n"),
        "{:?}",
        u.scripts[pre]
    );
}
