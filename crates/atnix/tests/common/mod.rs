//! Helpers shared by the `atnix vendor-hash` integration tests: run the
//! binary, read the hash it prints, and check a refusal.
// Each test crate uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn atnix(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atnix"));
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run atnix")
}

/// The hash on the last line of a successful run's stdout.
pub fn ok_hash(out: &Output) -> String {
    assert!(
        out.status.success(),
        "atnix failed: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout.lines().last().expect("a last line").to_owned()
}

/// A run that failed, printed no hash and said each of `needles`; its stderr.
pub fn failed(out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected failure, stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "no hash on failure: {:?}",
        out.stdout
    );
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}: {stderr}");
    }
    stderr
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The regular files and symlinks under `dir`; none if it is gone.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            out.extend(files_under(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// A pin without a dependency hash, for `--write`.
pub const SOURCE_JSON: &str = r#"{
  "fetcher": "github",
  "owner": "o",
  "repo": "r",
  "rev": "0123456789abcdef0123456789abcdef01234567",
  "version": "1.0.0"
}
"#;

/// [`SOURCE_JSON`] as `--write` leaves it: `field` appended after `version`.
pub fn source_json_with(field: &str, hash: &str) -> String {
    SOURCE_JSON.replace(
        "\"version\": \"1.0.0\"\n",
        &format!("\"version\": \"1.0.0\",\n  \"{field}\": \"{hash}\"\n"),
    )
}

/// An unusable network for registry downloads: warm runs must not need it.
pub const OFFLINE: &[(&str, &str)] = &[
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
];
