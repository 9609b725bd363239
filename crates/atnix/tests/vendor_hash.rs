//! `atnix vendor-hash`: nixpkgs' recorded hashes reproduced from the vectors
//! in `tests/vectors/` (downloads from crates.io and npm), and bad input
//! refused without leaving anything in the cache or in source.json.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{atnix, failed, ok_hash};

fn vectors() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    assert!(
        dir.join("README.md").is_file(),
        "test vectors are missing: expected them at {} (crates/atnix/tests/vectors)",
        dir.display()
    );
    dir
}

/// Everything under `dir` (files, symlinks and directories); none if it is gone.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let e = e.unwrap();
        out.push(e.path());
        if e.file_type().unwrap().is_dir() {
            out.extend(files_under(&e.path()));
        }
    }
    out
}

const SOURCE_JSON: &str = r#"{
  "fetcher": "github",
  "owner": "o",
  "repo": "r",
  "rev": "0123456789abcdef0123456789abcdef01234567",
  "hash": "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  "version": "1.0.0"
}
"#;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cargo_vectors() {
    let v = vectors();
    let cache = tempfile::tempdir().unwrap();
    for (name, want) in [
        (
            "basic-sparse",
            "sha256-HYkIKsBXiMx630KFIVOBIkL2TwVWRcNj6DuVdYWcQ8U=",
        ),
        (
            "diskus-0.8.0",
            "sha256-keBnhE4ltOVMEuxPifiB2EAHk32u3PqaPGTeVexVXWM=",
        ),
        (
            "sd-1.0.0",
            "sha256-KbEw09tTsUl9BLQsL7lW4VQq6D9E4lBiZf3Jrthst2Y=",
        ),
        (
            "vivid-0.10.1",
            "sha256-oP5/G/PSkwn4JruLQOGtM8M2uPt4Q88bU3kNmXUK4JE=",
        ),
    ] {
        // The directory form: LOCKFILE_OR_SRC_DIR.
        let dir = v.join("cargo").join(name);
        let out = atnix(
            &[
                "vendor-hash",
                "cargo",
                s(&dir),
                "--cache-dir",
                s(cache.path()),
            ],
            &[],
        );
        assert_eq!(ok_hash(&out), want, "cargoHash of {name}");
    }

    // Warm: everything is cached, so an unusable proxy changes nothing.
    let work = tempfile::tempdir().unwrap();
    let sj = work.path().join("source.json");
    std::fs::write(&sj, SOURCE_JSON).unwrap();
    let lock = v.join("cargo/sd-1.0.0/Cargo.lock");
    let out = atnix(
        &[
            "vendor-hash",
            "cargo",
            s(&lock),
            "--cache-dir",
            s(cache.path()),
            "--write",
            s(&sj),
        ],
        &[
            ("HTTPS_PROXY", "http://127.0.0.1:9"),
            ("HTTP_PROXY", "http://127.0.0.1:9"),
            ("ALL_PROXY", "http://127.0.0.1:9"),
        ],
    );
    let sri = ok_hash(&out);
    assert_eq!(sri, "sha256-KbEw09tTsUl9BLQsL7lW4VQq6D9E4lBiZf3Jrthst2Y=");
    let written = std::fs::read_to_string(&sj).unwrap();
    let expected = SOURCE_JSON.replace(
        "\"version\": \"1.0.0\"\n",
        &format!("\"version\": \"1.0.0\",\n  \"cargoHash\": \"{sri}\"\n"),
    );
    assert_eq!(written, expected, "other fields and their order kept");
    // Rewriting replaces the field in place.
    std::fs::write(&sj, expected.replace(&sri, "sha256-old")).unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "cargo",
            s(&lock),
            "--cache-dir",
            s(cache.path()),
            "--write",
            s(&sj),
        ],
        &[],
    );
    ok_hash(&out);
    assert_eq!(std::fs::read_to_string(&sj).unwrap(), expected);
}

#[test]
fn npm_vectors() {
    let v = vectors();
    let cache = tempfile::tempdir().unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "npm",
            s(&v.join("npm/markdownlint-cli-0.43.0")),
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    assert_eq!(
        ok_hash(&out),
        "sha256-oAUhSdbEMv96dS0lhZMSNXs9sQbu06Lwf45GVj0m+2U="
    );
    let out = atnix(
        &[
            "vendor-hash",
            "npm",
            s(&v.join("npm/protobuf-es-1.2.1-empty-cache/package-lock.json")),
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    assert_eq!(
        ok_hash(&out),
        "sha256-Cdv40lQjRszzJtJydZt25uYfcJVeJGwH54A+agdH9wI="
    );
}

#[test]
fn refusals() {
    let v = vectors();
    let cache = tempfile::tempdir().unwrap();
    let lock = v.join("npm/markdownlint-cli-0.43.0/package-lock.json");
    let out = atnix(
        &[
            "vendor-hash",
            "npm",
            s(&lock),
            "--fetcher-version",
            "2",
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    failed(&out, &["fetcher version 2", "live registry data"]);
    failed(
        &atnix(&["vendor-hash", "go"], &[]),
        &["LOCKFILE_OR_SRC_DIR"],
    );
    failed(
        &atnix(&["vendor-hash", "pnpm"], &[]),
        &["LOCKFILE_OR_SRC_DIR"],
    );

    let work = tempfile::tempdir().unwrap();
    let git_lock = work.path().join("package-lock.json");
    std::fs::write(
        &git_lock,
        r#"{"name":"x","lockfileVersion":3,"packages":{"":{"name":"x"},
        "node_modules/dep":{"version":"1.0.0","resolved":"git+ssh://git@github.com/o/dep.git#0123456789abcdef0123456789abcdef01234567"}}}"#,
    )
    .unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "npm",
            s(&git_lock),
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    failed(&out, &["node_modules/dep", "git dependency"]);
    assert!(files_under(cache.path()).is_empty());
}

/// A one-shot HTTP server on 127.0.0.1 serving a sparse registry.
fn serve(routes: Vec<(String, Vec<u8>)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let port = stream.local_addr().unwrap().port();
            let body = routes
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, b)| String::from_utf8_lossy(b).replace("PORT", &port.to_string()));
            let resp = match body {
                Some(b) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                    b.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .into(),
            };
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    port
}

fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f");
    std::fs::write(&f, bytes).unwrap();
    atnix_nar::flat_hash(&f).unwrap().to_hex()
}

fn nix_hash(dir: &Path) -> String {
    let out = Command::new("nix-hash")
        .args(["--type", "sha256", "--base32"])
        .arg(dir)
        .output()
        .expect("nix-hash (from nix-bin) is needed for this test");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn lock_v3(packages: &str) -> String {
    format!(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n{packages}"
    )
}

#[test]
fn local_sparse_registry_and_tampered_crate() {
    let good = b"good crate bytes".to_vec();
    let good_sum = sha256_hex(&good);
    let config =
        br#"{"dl":"http://127.0.0.1:PORT/dl/{lowerprefix}/{crate}/{version}/{sha256-checksum}"}"#;
    let port = serve(vec![
        ("/index/config.json".into(), config.to_vec()),
        (format!("/dl/go/od/good/0.1.0/{good_sum}"), good.clone()),
        // The registry serves something else than what the lockfile pins.
        (
            format!("/dl/3/b/bad/0.1.0/{good_sum}"),
            b"tampered bytes".to_vec(),
        ),
    ]);
    let source = format!("sparse+http://127.0.0.1:{port}/index/");
    let work = tempfile::tempdir().unwrap();

    // Positive control: the same registry, a crate whose bytes match.
    let ok_lock = work.path().join("ok.lock");
    let ok_text = lock_v3(&format!(
        "\n[[package]]\nname = \"good\"\nversion = \"0.1.0\"\nsource = \"{source}\"\nchecksum = \"{good_sum}\"\n"
    ));
    std::fs::write(&ok_lock, &ok_text).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "cargo",
            s(&ok_lock),
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    let sri = ok_hash(&out);
    let staging = work.path().join("staging");
    std::fs::create_dir_all(staging.join("tarballs")).unwrap();
    std::fs::write(staging.join("Cargo.lock"), &ok_text).unwrap();
    std::fs::write(staging.join("tarballs/good-0.1.0.tar.gz"), &good).unwrap();
    assert_eq!(
        atnix_nar::Hash::parse(&sri).unwrap().to_nix32(),
        nix_hash(&staging)
    );

    // The tampered crate: named in the error, nothing cached, source.json untouched.
    let bad_lock = work.path().join("Cargo.lock");
    std::fs::write(
        &bad_lock,
        lock_v3(&format!(
            "\n[[package]]\nname = \"bad\"\nversion = \"0.1.0\"\nsource = \"{source}\"\nchecksum = \"{good_sum}\"\n"
        )),
    )
    .unwrap();
    let sj = work.path().join("source.json");
    std::fs::write(&sj, SOURCE_JSON).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "cargo",
            s(work.path()),
            "--cache-dir",
            s(cache.path()),
            "--write",
            s(&sj),
        ],
        &[],
    );
    failed(&out, &["crate bad 0.1.0", "checksum mismatch", "127.0.0.1"]);
    assert_eq!(files_under(cache.path()), Vec::<PathBuf>::new());
    assert_eq!(std::fs::read_to_string(&sj).unwrap(), SOURCE_JSON);
}

/// Runs a failing case and checks nothing was written anywhere.
fn bad_cargo_lock(lock_text: Option<&str>, needles: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let lock = work.path().join("Cargo.lock");
    if let Some(t) = lock_text {
        std::fs::write(&lock, t).unwrap();
    }
    let sj = work.path().join("source.json");
    std::fs::write(&sj, SOURCE_JSON).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "cargo",
            s(&lock),
            "--cache-dir",
            s(cache.path()),
            "--write",
            s(&sj),
        ],
        &[],
    );
    failed(&out, needles);
    assert_eq!(files_under(cache.path()), Vec::<PathBuf>::new());
    assert_eq!(std::fs::read_to_string(&sj).unwrap(), SOURCE_JSON);
}

#[test]
fn unknown_source_kind() {
    bad_cargo_lock(
        Some(&lock_v3(
            "\n[[package]]\nname = \"odd\"\nversion = \"1.0.0\"\nsource = \"svn+https://example.com/repo\"\n",
        )),
        &["Cargo.lock", "unsupported source", "svn"],
    );
}

#[test]
fn missing_lockfile() {
    bad_cargo_lock(None, &["Cargo.lock", "no such lockfile"]);
}

#[test]
fn unreachable_git_dependency() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    bad_cargo_lock(
        Some(&lock_v3(&format!(
            "\n[[package]]\nname = \"gone\"\nversion = \"0.1.0\"\nsource = \"git+file:///nonexistent/gone.git?rev={sha}#{sha}\"\n"
        ))),
        &["git dependency", "file:///nonexistent/gone.git", sha],
    );
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "protocol.file.allow=always",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn remove_dot_git(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let ft = e.file_type().unwrap();
        if e.file_name() == ".git" {
            if ft.is_dir() {
                std::fs::remove_dir_all(e.path()).unwrap();
            } else {
                std::fs::remove_file(e.path()).unwrap();
            }
        } else if ft.is_dir() {
            remove_dot_git(&e.path());
        }
    }
}

#[test]
fn git_dependency_layout_with_submodule_and_insteadof() {
    use std::os::unix::fs::PermissionsExt;
    let work = tempfile::tempdir().unwrap();
    let w = work.path();

    let sub = w.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    git(&sub, &["init", "-q"]);
    std::fs::write(sub.join("inner.txt"), "from the submodule\n").unwrap();
    git(&sub, &["add", "."]);
    git(&sub, &["commit", "-q", "-m", "sub"]);

    let main = w.join("main");
    std::fs::create_dir_all(main.join("src")).unwrap();
    git(&main, &["init", "-q"]);
    std::fs::write(
        main.join("Cargo.toml"),
        "[package]\nname = \"dep\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(main.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
    std::fs::write(main.join("run.sh"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(main.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("src/lib.rs", main.join("link")).unwrap();
    git(&main, &["submodule", "add", "-q", s(&sub), "vendor/sub"]);
    git(&main, &["add", "."]);
    git(&main, &["commit", "-q", "-m", "main"]);
    let rev = git(&main, &["rev-parse", "HEAD"]);
    // A second commit, so the locked one is not the branch tip.
    std::fs::write(main.join("later.txt"), "later\n").unwrap();
    git(&main, &["add", "."]);
    git(&main, &["commit", "-q", "-m", "later"]);

    // The lockfile names a host that does not exist; the user's insteadOf maps it.
    let lock_text = lock_v3(&format!(
        "dependencies = [\n \"dep\",\n]\n\n[[package]]\nname = \"dep\"\nversion = \"0.1.0\"\nsource = \"git+https://git.example.invalid/main.git?rev={rev}#{rev}\"\n"
    ));
    let lock = w.join("Cargo.lock");
    std::fs::write(&lock, &lock_text).unwrap();
    let cache = w.join("cache");
    let insteadof_key = format!("url.file://{}.insteadOf", s(&main));
    let out = atnix(
        &["vendor-hash", "cargo", s(&lock), "--cache-dir", s(&cache)],
        &[
            ("GIT_CONFIG_COUNT", "2"),
            ("GIT_CONFIG_KEY_0", "protocol.file.allow"),
            ("GIT_CONFIG_VALUE_0", "always"),
            ("GIT_CONFIG_KEY_1", &insteadof_key),
            ("GIT_CONFIG_VALUE_1", "https://git.example.invalid/main.git"),
        ],
    );
    let sri = ok_hash(&out);

    // Independent: git clone --recurse-submodules, checkout, remove every .git, nix-hash.
    let staging = w.join("staging");
    std::fs::create_dir_all(staging.join("git")).unwrap();
    std::fs::write(staging.join("Cargo.lock"), &lock_text).unwrap();
    let tree = staging.join("git").join(&rev);
    git(
        w,
        &[
            "clone",
            "-q",
            "--recurse-submodules",
            &format!("file://{}", s(&main)),
            s(&tree),
        ],
    );
    git(&tree, &["checkout", "-q", &rev]);
    git(
        &tree,
        &["submodule", "update", "--init", "--recursive", "-q"],
    );
    remove_dot_git(&tree);
    assert!(tree.join("vendor/sub/inner.txt").is_file());
    assert!(!tree.join("later.txt").exists());
    assert_eq!(
        atnix_nar::Hash::parse(&sri).unwrap().to_nix32(),
        nix_hash(&staging),
        "staging with git/<sha> equals the independent checkout"
    );
    // The cache holds the same tree.
    let cached = cache.join("git").join(&rev);
    assert_eq!(nix_hash(&cached), nix_hash(&tree));
}

#[test]
fn write_target_must_be_a_pin() {
    let work = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let lock = work.path().join("Cargo.lock");
    std::fs::write(&lock, lock_v3("")).unwrap();
    let sj = work.path().join("source.json");
    let text = r#"{"fetcher":"svn","url":"x"}"#;
    std::fs::write(&sj, text).unwrap();
    let out = atnix(
        &[
            "vendor-hash",
            "cargo",
            s(&lock),
            "--write",
            s(&sj),
            "--cache-dir",
            s(cache.path()),
        ],
        &[],
    );
    let needle = format!("{}: unknown fetcher `svn`", sj.display());
    failed(&out, &[&needle]);
    assert_eq!(std::fs::read_to_string(&sj).unwrap(), text);
    assert!(files_under(cache.path()).is_empty());
}
