//! lib/fetch-source.nix calls nixpkgs' fetchers with the arguments they take.
//! The fake fetchFromTangled below has the formals of nixpkgs'
//! pkgs/build-support/fetchtangled/default.nix (NixOS/nixpkgs@e168b6f): it
//! requires `did` and takes `domain`, `rev` or `tag`; anything else would be
//! handed on to fetchzip. Evaluates with the real nixpkgs lib (NIXPKGS_LIB);
//! without it the test prints SKIPPED and passes, unless
//! ATNIX_REQUIRE_NIXPKGS_LIB=1 (then it fails).

use std::path::{Path, PathBuf};
use std::process::Command;

fn nixpkgs_lib() -> Option<PathBuf> {
    match std::env::var_os("NIXPKGS_LIB") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var("ATNIX_REQUIRE_NIXPKGS_LIB").as_deref() == Ok("1") => {
            panic!(
                "NIXPKGS_LIB is not set (ATNIX_REQUIRE_NIXPKGS_LIB=1): point it at a nixpkgs lib directory"
            )
        }
        None => {
            eprintln!("SKIPPED: NIXPKGS_LIB is not set; set it to a nixpkgs lib directory");
            None
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root above crates/atnix")
}

/// The fake fetchFromTangled: nixpkgs' formals, returning its arguments.
const FAKE_TANGLED: &str = r#"
  { domain ? "tangled.org", did, rev ? null, tag ? null, ... }@args:
  assert lib'.hasPrefix "did:" did;
  assert (tag != null) != (rev != null);
  args
"#;

/// A fake fetchgit taking only what the git pins use of nixpkgs' fetchgit
/// formals (pkgs/build-support/fetchgit/default.nix: `fetchSubmodules ? true`,
/// `sparseCheckout ? [ ]`), so any other argument fails to evaluate.
const FAKE_GIT: &str = r#"
  { url, rev, hash, fetchSubmodules ? true, sparseCheckout ? [ ] }@args:
  args
"#;

/// What fetch-source.nix passes to `fetcher` (replaced by `fake`, an
/// expression that may use `lib'`) for `pin`, as JSON.
fn fetcher_args(
    lib: &Path,
    pin: &Path,
    fetcher: &str,
    fake: &str,
) -> Result<serde_json::Value, String> {
    let expr = format!(
        r#"
      {{ lib, fetchSource, pin }}:
      let
        lib' = import lib;
        unused = _: throw "not this fetcher";
        fetchers = {{
          fetchFromTangled = unused;
          fetchFromGitHub = unused;
          fetchgit = unused;
          fetchurl = unused;
          fetchzip = unused;
        }};
      in
      import fetchSource ({{ lib = lib'; }} // fetchers // {{ {fetcher} = {fake}; }}) pin
    "#
    );
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--expr", &expr])
        .arg("--arg")
        .arg("lib")
        .arg(lib)
        .arg("--arg")
        .arg("fetchSource")
        .arg(repo_root().join("lib/fetch-source.nix"))
        .arg("--arg")
        .arg("pin")
        .arg(pin)
        .output()
        .expect("run nix-instantiate");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("JSON from nix-instantiate"))
}

fn tangled_args(lib: &Path, pin: &Path) -> Result<serde_json::Value, String> {
    fetcher_args(lib, pin, "fetchFromTangled", FAKE_TANGLED)
}

fn sorted_keys(v: &serde_json::Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("an attribute set")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[test]
fn sparse_git_pin_passes_its_cone_to_fetchgit() {
    let Some(lib) = nixpkgs_lib() else { return };
    let pin = repo_root().join("pkgs/frontpage/source.json");
    let got = fetcher_args(&lib, &pin, "fetchgit", FAKE_GIT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        sorted_keys(&got),
        ["fetchSubmodules", "hash", "rev", "sparseCheckout", "url"]
    );
    assert_eq!(got["sparseCheckout"], serde_json::json!(["packages-rs"]));
    assert_eq!(got["fetchSubmodules"], false);

    // A git pin without sparseCheckout leaves fetchgit's default alone.
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("source.json");
    std::fs::write(
        &plain,
        r#"{"fetcher":"git","url":"https://x/r.git","rev":"0123456789abcdef0123456789abcdef01234567","hash":"sha256-ayJd9sZhRZ374ov+n9r26ZbV8UOoB9oT41ijcu1Hycw="}"#,
    )
    .unwrap();
    let got = fetcher_args(&lib, &plain, "fetchgit", FAKE_GIT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sorted_keys(&got), ["fetchSubmodules", "hash", "rev", "url"]);
}

#[test]
fn tangled_pin_passes_only_what_fetch_from_tangled_takes() {
    let Some(lib) = nixpkgs_lib() else { return };
    let pin = repo_root().join("pkgs/tangled/source.json");
    let got = tangled_args(&lib, &pin).unwrap_or_else(|e| panic!("{e}"));
    let want: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&pin).unwrap())
        .expect("pkgs/tangled/source.json is JSON");
    // owner and repo are informational: fetchzip must not see them.
    assert_eq!(sorted_keys(&got), ["did", "domain", "hash", "rev"]);
    for k in ["did", "rev", "hash"] {
        assert_eq!(got[k], want[k], "{k}");
    }
    assert_eq!(got["domain"], "tangled.org");
}

#[test]
fn tangled_pin_without_did_fails_to_evaluate() {
    let Some(lib) = nixpkgs_lib() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pin = dir.path().join("source.json");
    std::fs::write(
        &pin,
        r#"{"fetcher":"tangled","owner":"@o","repo":"r","rev":"0123456789abcdef0123456789abcdef01234567","hash":"sha256-ayJd9sZhRZ374ov+n9r26ZbV8UOoB9oT41ijcu1Hycw="}"#,
    )
    .unwrap();
    let err = tangled_args(&lib, &pin).expect_err("a pin without did must not evaluate");
    assert!(err.contains("did"), "{err}");
}
