//! Every atnix module enabled on one host (tests/fixtures/all-services.nix):
//! each with its `minimal` evaluation case and its metrics listener on. The
//! default ports of all services must be distinct, and the port registry must
//! name both claimants of a port taken twice. These evaluate Nix with the
//! real nixpkgs lib, found through NIXPKGS_LIB; without it they print SKIPPED
//! and pass, unless ATNIX_REQUIRE_NIXPKGS_LIB=1 (then they fail), like the
//! harness tests of atnix-eval.

use std::collections::BTreeMap;
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
            eprintln!(
                "SKIPPED: NIXPKGS_LIB is not set; set it to a nixpkgs lib directory to evaluate all services together"
            );
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

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllServices {
    modules: Vec<String>,
    failed_assertions: Vec<String>,
    ports: BTreeMap<String, Vec<u16>>,
    units: Vec<String>,
}

fn evaluate(lib: &Path, extra: Option<&str>) -> AllServices {
    let root = repo_root();
    let mut cmd = Command::new("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json"])
        .arg(root.join("tests/fixtures/all-services.nix"))
        .arg("--argstr")
        .arg("nixpkgsLib")
        .arg(lib)
        .arg("--argstr")
        .arg("root")
        .arg(&root);
    if let Some(extra) = extra {
        cmd.args(["--arg", "extra", extra]);
    }
    let out = cmd.output().expect("run nix-instantiate");
    assert!(
        out.status.success(),
        "nix-instantiate failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("all-services.nix prints its result as JSON")
}

#[test]
fn all_services_share_a_host() {
    let Some(lib) = nixpkgs_lib() else { return };
    let all = evaluate(&lib, None);
    assert!(
        all.failed_assertions.is_empty(),
        "every module enabled at once fails:\n{}",
        all.failed_assertions.join("\n")
    );
    assert!(all.modules.len() >= 7, "modules found: {:?}", all.modules);
    assert!(
        all.units.len() >= all.modules.len(),
        "one unit per module at least: {:?}",
        all.units
    );
    // Every claimed port once, metrics listeners included.
    let mut seen: BTreeMap<u16, &str> = BTreeMap::new();
    for (who, ports) in &all.ports {
        for port in ports {
            if let Some(other) = seen.insert(*port, who) {
                panic!("default port {port} is claimed by both {other} and {who}");
            }
        }
    }
    assert!(
        all.ports.keys().any(|k| k.ends_with(".metrics.port")),
        "no metrics listener was enabled: {:?}",
        all.ports
    );
}

#[test]
fn a_port_taken_twice_names_both_services() {
    let Some(lib) = nixpkgs_lib() else { return };
    let all = evaluate(&lib, Some("{ services.microcosm.ufos.port = 8765; }"));
    assert_eq!(
        all.failed_assertions,
        [
            "port 8765 is claimed by services.microcosm.constellation.metrics.port and services.microcosm.ufos.port: set one of them to a free port."
        ]
    );
}
