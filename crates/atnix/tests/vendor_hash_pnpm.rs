//! `atnix vendor-hash pnpm`: nixpkgs' fetchPnpmCache test vector
//! (pkgs/test/pnpm/cache-simple, whose lockfile is kept under
//! tests/vectors/pnpm) reproduced from npm downloads, and the refusals.

use std::path::{Path, PathBuf};

mod common;
use common::{OFFLINE, SOURCE_JSON, atnix, failed, files_under, ok_hash, s, source_json_with};

const CACHE_SIMPLE: &str = "sha256-1fiytx0M1qsn6lNrzKhD6Fjf+6eoWxjtEFLsp8Fo/P8=";

fn lockfile() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/pnpm/cache-simple/pnpm-lock.yaml")
}

#[test]
fn pnpm_cache_vector_network() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let sj = work.path().join("source.json");
    std::fs::write(&sj, SOURCE_JSON).unwrap();
    let lock = lockfile();
    // The directory form: fetchPnpmCache's pnpmRoot.
    let out = atnix(
        &[
            "vendor-hash",
            "pnpm",
            s(lock.parent().unwrap()),
            "--cache-dir",
            s(cache.path()),
            "--write",
            s(&sj),
        ],
        &[],
    );
    assert_eq!(ok_hash(&out), CACHE_SIMPLE);
    assert_eq!(
        std::fs::read_to_string(&sj).unwrap(),
        source_json_with("pnpmCacheHash", CACHE_SIMPLE)
    );
    let out = atnix(
        &[
            "vendor-hash",
            "pnpm",
            s(&lock),
            "--cache-dir",
            s(cache.path()),
        ],
        OFFLINE,
    );
    assert_eq!(ok_hash(&out), CACHE_SIMPLE, "warm, from the cache alone");
}

#[test]
fn pnpm_tampered_tarball_network() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let lock = work.path().join("pnpm-lock.yaml");
    let text = std::fs::read_to_string(lockfile()).unwrap();
    let good = "sha512-AsuCzffGHJybSaRrmr5eHr81mwJU3kjw6M";
    assert!(text.contains(good));
    std::fs::write(
        &lock,
        text.replace(good, "sha512-AAAAzffGHJybSaRrmr5eHr81mwJU3kjw6M"),
    )
    .unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "pnpm",
            s(&lock),
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    failed(&out, &["undici-types@7.18.2", "checksum mismatch"]);
    let left: Vec<_> = files_under(cache.path())
        .into_iter()
        .filter(|p| p.strip_prefix(cache.path()).unwrap().starts_with("tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn pnpm_refusals() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let lock = lockfile();
    let out = atnix(
        &[
            "vendor-hash",
            "pnpm",
            s(&lock),
            "--fetcher-version",
            "3",
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    failed(
        &out,
        &[
            "fetchPnpmDeps (fetcherVersion 3) is refused",
            "fetchPnpmCache",
        ],
    );

    let bad = |name: &str, text: &str, needles: &[&str]| {
        let p = work.path().join(name);
        std::fs::write(&p, text).unwrap();
        let out = atnix(
            &["vendor-hash", "pnpm", s(&p), "--cache-dir", s(cache.path())],
            OFFLINE,
        );
        failed(&out, needles);
    };
    bad(
        "v6.yaml",
        "lockfileVersion: '6.0'\npackages: {}\n",
        &["lockfileVersion \"6.0\"", "9.0"],
    );
    bad("none.yaml", "lockfileVersion: '9.0'\n", &["no `packages`"]);
    bad(
        "git.yaml",
        "lockfileVersion: '9.0'\npackages:\n  x@git+https://e.org/x.git#0123:\n    resolution: {commit: '0123', repo: 'https://e.org/x.git', type: git}\n",
        &[
            "x@git+https://e.org/x.git#0123",
            "git or directory dependency",
        ],
    );
    bad(
        "nointegrity.yaml",
        "lockfileVersion: '9.0'\npackages:\n  x@1.0.0:\n    resolution: {tarball: 'https://e.org/x.tgz'}\n",
        &["x@1.0.0", "no integrity"],
    );
    bad("notyaml.yaml", "packages: [\n", &["not YAML"]);
    assert!(files_under(cache.path()).is_empty());
}
