//! `atnix vendor-hash go`: nixpkgs' recorded vendorHash values reproduced
//! (downloads from the Go module proxy, tests named `network`), buildGoModule's
//! refusals, and bad input failing without leaving anything behind.
//!
//! The vectors under `tests/vectors/go/` keep each package's go.mod and go.sum
//! and one generated `imports.go` listing the non-standard imports of all its
//! `.go` files: that is all `go mod vendor` reads from the main module.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{atnix, failed, files_under, ok_hash, s};

const GRON: (&str, &str) = (
    "gron-0.7.1",
    "sha256-K/QAG9mCIHe7PQhex3TntlGYAK9l0bESWk616N97dBs=",
);
const DUF: (&str, &str) = (
    "duf-0.9.0",
    "sha256-Br2jagMynnzH77GNA7NeWbM5qSHbhfW5Bo7X2b6OX28=",
);

// bluesky-social/jetstream and indigo at the commits pinned in pkgs/*/source.json,
// with the vendorHash recorded there.
const JETSTREAM: (&str, &str) = (
    "jetstream-9a30defd",
    "sha256-HH8gVr5/NVSLnln4sJtH8ED/4q5wWL7cew1cqcjAv5k=",
);
const INDIGO: (&str, &str) = (
    "indigo-4b983a7e",
    "sha256-+iNsUcCvH8/SrbmpMY0tNJA/QrKtQLvpHAevEsDcotY=",
);

const SOURCE_JSON: &str = r#"{
  "fetcher": "github",
  "owner": "o",
  "repo": "r",
  "rev": "0123456789abcdef0123456789abcdef01234567",
  "version": "1.0.0"
}
"#;

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/go")
        .join(name)
}

/// A writable copy of a vector at `dst`.
fn copy_vector(name: &str, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for f in ["go.mod", "go.sum", "imports.go"] {
        std::fs::copy(vector(name).join(f), dst.join(f)).unwrap();
    }
}

fn go_hash(src: &Path, cache: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut args = vec!["vendor-hash", "go", s(src), "--cache-dir", s(cache)];
    args.extend_from_slice(extra);
    atnix(&args, envs)
}

/// An unusable network: the warm runs must not need it.
const OFFLINE: &[(&str, &str)] = &[
    ("GOPROXY", "off"),
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
];

#[test]
fn go_vectors_network() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for (name, want) in [GRON, DUF] {
        let src = work.path().join(name);
        copy_vector(name, &src);
        let sj = work.path().join(format!("{name}.json"));
        std::fs::write(&sj, SOURCE_JSON).unwrap();
        let out = go_hash(&src, cache.path(), &["--write", s(&sj)], &[]);
        assert_eq!(ok_hash(&out), want, "vendorHash of {name}");
        let expected = SOURCE_JSON.replace(
            "\"version\": \"1.0.0\"\n",
            &format!("\"version\": \"1.0.0\",\n  \"vendorHash\": \"{want}\"\n"),
        );
        assert_eq!(std::fs::read_to_string(&sj).unwrap(), expected);
        assert!(!src.join("vendor").exists(), "the source is never written");

        // Warm: the cache alone answers.
        let out = go_hash(&src, cache.path(), &[], OFFLINE);
        assert_eq!(ok_hash(&out), want, "warm vendorHash of {name}");
    }

    // modRoot, and deleteVendor with a stale vendor/ in the source.
    let src = work.path().join("mono");
    copy_vector(GRON.0, &src.join("cmd/gron"));
    let vendor = src.join("cmd/gron/vendor");
    std::fs::create_dir_all(vendor.join("stale")).unwrap();
    std::fs::write(vendor.join("modules.txt"), "# stale\n").unwrap();
    let out = go_hash(
        &src,
        cache.path(),
        &["--mod-root", "cmd/gron", "--delete-vendor"],
        OFFLINE,
    );
    assert_eq!(ok_hash(&out), GRON.1);
    assert!(vendor.join("stale").is_dir(), "the source is never written");
}

#[test]
fn go_tampered_module_network() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    copy_vector(GRON.0, &src);
    let sum = src.join("go.sum");
    let good = "github.com/pkg/errors v0.8.0 h1:WdK/asTD0HN+q6hsWO3/vpuAkAr+tw6aNJNDFFf0+qw=";
    let bad = "github.com/pkg/errors v0.8.0 h1:AAAAasTD0HN+q6hsWO3/vpuAkAr+tw6aNJNDFFf0+qw=";
    let text = std::fs::read_to_string(&sum).unwrap();
    assert!(text.contains(good));
    std::fs::write(&sum, text.replace(good, bad)).unwrap();
    let sj = work.path().join("source.json");
    std::fs::write(&sj, SOURCE_JSON).unwrap();
    let out = go_hash(&src, cache.path(), &["--write", s(&sj)], &[]);
    failed(
        &out,
        &[
            "github.com/pkg/errors",
            "v0.8.0",
            "checksum mismatch",
            bad.split(' ').nth(2).unwrap(),
        ],
    );
    assert_eq!(std::fs::read_to_string(&sj).unwrap(), SOURCE_JSON);
    assert!(!src.join("vendor").exists());
    let leftovers: Vec<_> = files_under(cache.path())
        .into_iter()
        .filter(|p| {
            let p = p.strip_prefix(cache.path()).unwrap().to_string_lossy();
            p.starts_with("tmp/")
                || p.ends_with(".tmp")
                || p.contains("github.com/pkg/errors@v0.8.0")
                || p.ends_with("github.com/pkg/errors/@v/v0.8.0.zip")
        })
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn go_missing_module_network() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    copy_vector(GRON.0, &src);
    for f in ["go.mod", "go.sum"] {
        let p = src.join(f);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(
            &p,
            text.replace(
                "github.com/pkg/errors v0.8.0",
                "github.com/pkg/errors v0.8.99",
            ),
        )
        .unwrap();
    }
    let out = go_hash(&src, cache.path(), &[], &[]);
    failed(&out, &["github.com/pkg/errors", "v0.8.99"]);
    assert!(!src.join("vendor").exists());
}

/// The in-process vendoring against the real `go mod vendor` (`--via-go`) on
/// real inputs: duf, jetstream and indigo vendor in-process (no fallback is
/// logged) and both paths give nixpkgs' or the pin's recorded vendorHash; gron
/// (go 1.15, an unpruned module graph) falls back to go and says why.
#[test]
fn go_in_process_matches_go_network() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let log = &[("ATNIX_LOG", "atnix_vendor=info")];
    for (name, want) in [DUF, JETSTREAM, INDIGO] {
        let src = work.path().join(name);
        copy_vector(name, &src);
        let fast = go_hash(&src, cache.path(), &[], log);
        assert_eq!(ok_hash(&fast), want, "in-process vendorHash of {name}");
        let stderr = String::from_utf8_lossy(&fast.stderr);
        assert!(
            !stderr.contains("running the real `go mod vendor`"),
            "{name} fell back: {stderr}"
        );
        let slow = go_hash(&src, cache.path(), &["--via-go"], &[]);
        assert_eq!(ok_hash(&slow), want, "go mod vendor's vendorHash of {name}");
    }
    let src = work.path().join(GRON.0);
    copy_vector(GRON.0, &src);
    let out = go_hash(&src, cache.path(), &[], log);
    assert_eq!(ok_hash(&out), GRON.1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("running the real `go mod vendor`: go.mod says go \"1.15\""),
        "{stderr}"
    );
}

/// A stand-in `go` that only answers `go env GOVERSION`, for the checks made
/// before `go mod vendor` runs.
fn fake_go(dir: &Path, version: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("go");
    std::fs::write(&p, format!("#!/bin/sh\necho go{version}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn go_refusals() {
    let cache = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let go = fake_go(work.path(), "1.22.1");
    let src = work.path().join("src");
    copy_vector(DUF.0, &src);
    let sj = work.path().join("source.json");
    std::fs::write(&sj, SOURCE_JSON).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--go", s(&go), "--write", s(&sj)];
        args.extend_from_slice(extra);
        go_hash(&src, cache.path(), &args, OFFLINE)
    };

    failed(
        &run(&["--proxy-vendor"]),
        &["proxyVendor = true is refused", ".info"],
    );
    // duf's go.mod says `go 1.23.0`; GOTOOLCHAIN=local forbids switching.
    failed(&run(&[]), &["requires go >= 1.23.0", "go 1.22.1"]);
    failed(
        &run(&["--delete-vendor"]),
        &["deleteVendor", "no vendor folder"],
    );
    std::fs::create_dir(src.join("vendor")).unwrap();
    failed(&run(&[]), &["vendor folder exists", "vendorHash = null"]);
    failed(&run(&["--mod-root", "sub"]), &["no go.mod", "sub"]);
    failed(&run(&["--mod-root", "../x"]), &["inside the source"]);
    let missing = work.path().join("no-such-go");
    std::fs::remove_dir(src.join("vendor")).unwrap();
    let out = go_hash(
        &src,
        cache.path(),
        &["--go", s(&missing), "--write", s(&sj)],
        OFFLINE,
    );
    failed(&out, &["cannot run the Go toolchain", "no-such-go"]);
    let out = atnix(&["vendor-hash", "cargo", s(&src), "--mod-root", "x"], &[]);
    failed(&out, &["apply to go only"]);

    assert_eq!(std::fs::read_to_string(&sj).unwrap(), SOURCE_JSON);
    assert!(files_under(cache.path()).is_empty());
}
