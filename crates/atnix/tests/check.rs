//! `atnix check` and `atnix report` on the fixture repositories of
//! crates/atnix-lint/tests/fixtures (one per rule, plus a clean one) and on
//! this repository itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    let dir = repo_root()
        .join("crates/atnix-lint/tests/fixtures")
        .join(name);
    assert!(dir.is_dir(), "fixture {} is missing", dir.display());
    dir
}

fn atnix(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atnix"))
        .args(args)
        .arg(dir)
        .env("ATNIX_LOG", "warn")
        .output()
        .expect("run atnix")
}

/// Runs `atnix check` on a fixture and asserts its exact findings and exit 1.
fn assert_findings(name: &str, expected: &[&str]) {
    let out = atnix(&["check"], &fixture(name));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let got: Vec<&str> = stdout.lines().collect();
    assert_eq!(got, expected, "fixture {name}; stderr: {stderr}");
    assert_eq!(out.status.code(), Some(1), "fixture {name} must fail");
    assert!(
        stderr.contains(&format!("{} finding", expected.len())),
        "summary on stderr: {stderr}"
    );
}

#[test]
fn clean_fixture_passes() {
    let out = atnix(&["check"], &fixture("clean"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{stderr}");
    assert!(
        stderr.contains("no findings in 4 .nix and 1 source.json files"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn parse_error() {
    assert_findings(
        "parse",
        &[
            "bad.nix:3 parse: fix the syntax error at column 7: unexpected `;`, expected `(` or `rec` or `{` or `[` or a string or a name",
        ],
    );
}

#[test]
fn source_json_shape() {
    assert_findings(
        "source-json",
        &[
            "pkgs/x/source.json:1 source-json: missing field `repo` (the github fetcher needs it)",
            "pkgs/x/source.json:6 source-json: unknown field `branch` for the github fetcher; allowed: fetcher, owner, repo, rev, hash, tag, version, cargoHash, vendorHash, npmDepsHash, pnpmDepsHash, pnpmCacheHash, yarnDepsHash, update",
        ],
    );
}

#[test]
fn pin_rev_branch() {
    assert_findings(
        "pin-rev",
        &[
            "pkgs/x/source.json:5 pin-rev: rev `main` names a branch, which moves; pin the full 40-hex commit",
        ],
    );
}

#[test]
fn pin_hash_not_sri() {
    assert_findings(
        "pin-hash",
        &[
            "pkgs/x/source.json:5 pin-hash: `hash` must be an SRI sha256 hash (sha256-<base64>), got `sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s`; compute it with `atnix prefetch --write` (or `atnix vendor-hash`)",
        ],
    );
}

#[test]
fn fake_hashes() {
    assert_findings(
        "fake-hash",
        &[
            "overrides.nix:3 fake-hash: remove `lib.fakeHash` (fakeHash); put the real hash in source.json (`atnix prefetch --write`)",
            "pkgs/x/source.json:4 fake-hash: `hash` is a placeholder (all-zero) hash; compute it with `atnix prefetch --write` (or `atnix vendor-hash`)",
        ],
    );
}

#[test]
fn inline_pins() {
    assert_findings(
        "inline-pin",
        &[
            "pkgs/x/src.nix:5 inline-pin: `rev` of fetchFromGitHub is written inline; put it in source.json and read it with lib.importJSON",
            "pkgs/x/src.nix:6 inline-pin: `hash` of fetchFromGitHub is written inline; put it in source.json and read it with lib.importJSON",
        ],
    );
}

#[test]
fn branch_revisions() {
    assert_findings(
        "branch-rev",
        &[
            "lib/upstream.nix:4 branch-rev: rev `master` names a branch, which moves; pin a full 40-hex commit in source.json",
        ],
    );
}

#[test]
fn package_meta() {
    assert_findings(
        "package-meta",
        &[
            "pkgs/x/default.nix:5 package-meta: add meta.homepage, meta.license (every package has meta.description, meta.homepage and meta.license)",
        ],
    );
}

#[test]
fn main_program() {
    assert_findings(
        "main-program",
        &[
            "pkgs/x/default.nix:5 main-program: set meta.mainProgram (buildGoModule installs programs); if it installs none, write `# atnix-lint: no-main-program <reason>`",
        ],
    );
}

#[test]
fn package_options() {
    assert_findings(
        "package-option",
        &[
            "modules/x.nix:7 package-option: `helo` is not a package in pkgs/default.nix; add it there or fix the name",
            "modules/x.nix:8 package-option: `pkgs.ngnix` is not in tests/eval/nixpkgs-attrs.txt; check the name against nixpkgs and list it there",
        ],
    );
}

#[test]
fn option_descriptions() {
    assert_findings(
        "option-description",
        &["modules/x.nix:3 option-description: give this option a description"],
    );
}

#[test]
fn incomplete_service_layout() {
    assert_findings(
        "service-layout",
        &[
            "modules/fam/app.nix:1 service-layout: module `fam-app` has no --help fixture: add tests/fixtures/help/fam-app.txt (see templates/README.md)",
            "modules/fam/app.nix:1 service-layout: module `fam-app` has no NixOS VM test: add tests/nixos/fam-app.nix (see templates/README.md)",
        ],
    );
}

#[test]
fn workflow_references() {
    assert_findings(
        "workflow-ref",
        &[
            ".github/workflows/ci.yml:14 workflow-ref: the workflow calls `./scripts/missing.sh`, which is not a file of the repository",
            ".github/workflows/ci.yml:15 workflow-ref: the workflow names `.#packages.x86_64-linux.goodbye`: no package `goodbye` in pkgs/",
            ".github/workflows/ci.yml:16 workflow-ref: the workflow names `.#checks.x86_64-linux.nixos-goodbye`: no check `nixos-goodbye`: checks are the packages of pkgs/ and nixos-<name> for each tests/nixos/<name>.nix of a module or profile",
            ".github/workflows/ci.yml:16 workflow-ref: the workflow names `.#packages.riscv64-linux.hello`: `riscv64-linux` is not a system of flake.nix (aarch64-linux, x86_64-linux)",
            ".github/workflows/ci.yml:17 workflow-ref: the workflow names `.#apps.x86_64-linux.hello`: flake.nix defines no `apps` output",
            ".github/workflows/ci.yml:18 workflow-ref: the workflow names `.#goodbye`: `goodbye` is neither an output of flake.nix nor a package in pkgs/",
            ".github/workflows/ci.yml:18 workflow-ref: the workflow names `.#nixosModules.goodbye`: no module `goodbye` in modules/",
            ".tangled/workflows/ci.yml:8 workflow-ref: the workflow calls `.ci/run`, which is not a file of the repository",
            ".tangled/workflows/ci.yml:9 workflow-ref: the workflow names `.#templates.service`: no template `service` in templates/",
        ],
    );
}

#[test]
fn every_rule_has_a_fixture() {
    let fixtures = repo_root().join("crates/atnix-lint/tests/fixtures");
    for rule in atnix_lint::Rule::ALL {
        assert!(
            fixtures.join(rule.name()).is_dir(),
            "no fixture for rule {}",
            rule.name()
        );
    }
}

#[test]
fn missing_directory_is_a_clear_error() {
    let out = atnix(&["check"], Path::new("/nonexistent/atnix-check"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: cannot check /nonexistent/atnix-check"),
        "{stderr}"
    );
}

#[test]
fn this_repository_passes() {
    let out = atnix(&["check"], &repo_root());
    assert_eq!(
        out.status.code(),
        Some(0),
        "atnix check on the repository:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn report_offline_on_clean_fixture() {
    let out = atnix(&["report", "--offline"], &fixture("clean"));
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(md.contains("## Packages (1)"), "{md}");
    assert!(
        md.contains("| `hello` | 1.0.0 | github:example/hello | `0123456789ab` | `sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=` | cargoHash `sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=` | not checked (--offline) |"),
        "{md}"
    );
    assert!(
        md.contains("| `hello` | `modules/hello.nix` | `hello.service` | not graded |"),
        "{md}"
    );
    assert!(md.contains("`atnix check`: no findings"), "{md}");
}

#[test]
fn report_reads_hardening_grades() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("clean"), dir.path());
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("docs/hardening.json"),
        r#"[{"module":"hello","unit":"hello.service","exposure":1.2,"top":["PrivateNetwork=","IPAddressDeny="]}]"#,
    )
    .unwrap();
    let out = atnix(&["report", "--offline"], dir.path());
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(
        md.contains(
            "| `hello.service` | `hello.service` 1.2 (top: PrivateNetwork=, IPAddressDeny=) |"
        ),
        "{md}"
    );
}

#[test]
fn report_lists_findings_and_still_exits_zero() {
    let out = atnix(&["report", "--offline"], &fixture("package-meta"));
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(
        md.contains("`atnix check`: 1 finding (package-meta 1)"),
        "{md}"
    );
    assert!(
        md.contains("pkgs/x/default.nix:5 package-meta: add meta.homepage"),
        "{md}"
    );
}

#[test]
fn report_unreachable_pin_is_unverified_not_fatal() {
    // The pin names a local path that is not a repository: prefetch fails
    // quickly, so the pin shows as unverified and the report still exits 0.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-repo");
    std::fs::create_dir_all(dir.path().join("pkgs/x")).unwrap();
    std::fs::write(
        dir.path().join("pkgs/default.nix"),
        "{ pkgs }:\n{\n  x = pkgs.callPackage ./x { };\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pkgs/x/default.nix"),
        "{ stdenv }: stdenv.mkDerivation { pname = \"x\"; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pkgs/x/source.json"),
        format!(
            "{{\"fetcher\":\"git\",\"url\":\"{}\",\"rev\":\"0123456789abcdef0123456789abcdef01234567\",\"hash\":\"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}}",
            missing.display()
        ),
    )
    .unwrap();
    let out = atnix(&["report", "--timeout", "30"], dir.path());
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(md.contains("| unverified (unreachable: "), "{md}");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .output()
        .expect("git is installed");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A one-package repository whose pin is a `git` source at `upstream`.
fn repo_with_git_pin(dir: &Path, upstream: &Path, rev: &str, hash: &str) {
    std::fs::create_dir_all(dir.join("pkgs/x")).unwrap();
    std::fs::write(
        dir.join("pkgs/default.nix"),
        "{ pkgs }:\n{\n  x = pkgs.callPackage ./x { };\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("pkgs/x/default.nix"),
        "{ stdenv }: stdenv.mkDerivation { pname = \"x\"; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("pkgs/x/source.json"),
        format!(
            "{{\"fetcher\":\"git\",\"url\":\"{}\",\"rev\":\"{rev}\",\"hash\":\"{hash}\"}}",
            upstream.display()
        ),
    )
    .unwrap();
}

#[test]
fn report_verifies_pins_and_fails_on_mismatch() {
    // Upstream: a local git repository with one commit.
    let upstream = tempfile::tempdir().unwrap();
    let up = upstream.path();
    git(up, &["init", "-q"]);
    std::fs::create_dir_all(up.join("src")).unwrap();
    std::fs::write(up.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(up.join("README"), "hello\n").unwrap();
    git(up, &["add", "."]);
    git(up, &["commit", "-q", "-m", "one"]);
    let rev = git(up, &["rev-parse", "HEAD"]);

    // fetchgit's tree: the checkout without .git, hashed independently here.
    let mut tree = atnix_nar::Entry::dir();
    tree.insert(
        b"src/main.rs",
        atnix_nar::Entry::File {
            executable: false,
            contents: atnix_nar::Contents::Bytes(b"fn main() {}\n".to_vec()),
        },
    );
    tree.insert(
        b"README",
        atnix_nar::Entry::File {
            executable: false,
            contents: atnix_nar::Contents::Bytes(b"hello\n".to_vec()),
        },
    );
    let expected = atnix_nar::nar_hash_entry(&tree).unwrap().to_sri();

    let good = tempfile::tempdir().unwrap();
    repo_with_git_pin(good.path(), up, &rev, &expected);
    let out = atnix(&["report"], good.path());
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{md}");
    assert!(md.contains("| verified |"), "{md}");

    let wrong = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let bad = tempfile::tempdir().unwrap();
    repo_with_git_pin(bad.path(), up, &rev, wrong);
    let out = atnix(&["report"], bad.path());
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(
        md.contains(&format!("**MISMATCH** got `{expected}`")),
        "{md}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn missing_directory_names_path_and_os_error_once() {
    let out = atnix(&["check"], Path::new("/nonexistent-dir"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: cannot check /nonexistent-dir: No such file or directory (os error 2)\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unknown_fetcher_and_misspelled_field_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pkgs/x")).unwrap();
    std::fs::create_dir_all(dir.path().join("pkgs/y")).unwrap();
    std::fs::write(
        dir.path().join("pkgs/x/source.json"),
        "{\n  \"fetcher\": \"svn\",\n  \"url\": \"https://example.org/x\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pkgs/y/source.json"),
        "{\n  \"fetcher\": \"url\",\n  \"url\": \"https://example.org/y.tar.gz\",\n  \"hash\": \"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\",\n  \"unpak\": true\n}\n",
    )
    .unwrap();
    let out = atnix(&["check"], dir.path());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "pkgs/x/source.json:2 source-json: unknown fetcher `svn`; one of github, tangled, git, url, crates-io",
            "pkgs/y/source.json:5 source-json: unknown field `unpak` for the url fetcher; did you mean `unpack`? allowed: fetcher, url, hash, unpack, version, cargoHash, vendorHash, npmDepsHash, pnpmDepsHash, pnpmCacheHash, yarnDepsHash, update",
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
}
