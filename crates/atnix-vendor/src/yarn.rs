//! yarn.lock (v1) → the output of nixpkgs' `fetchYarnDeps`
//! (`prefetch-yarn-deps --builder`, pkgs/build-support/node/fetch-yarn-deps):
//! every tarball the lockfile resolves, as downloaded, flat in one directory
//! under the name `urlToName` gives its URL, plus the lockfile itself as
//! `yarn.lock`. The fixed output is hashed recursively (NAR).
//!
//! Only what the two nixpkgs implementations of prefetch-yarn-deps (index.js
//! and the Rust rewrite beside it) name identically is accepted: `https`
//! tarballs on registry.npmjs.org and registry.yarnpkg.com, each with an
//! `integrity`. Git, GitHub and other hosts are refused with the entry named:
//! their names differ between the two, or (git) their bytes come from a
//! `tar` run that cannot be reproduced here. `file:` entries are skipped, as
//! prefetch-yarn-deps skips them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use atnix_nar::Entry;

use crate::{Algo, Cache, Digest, Error, Fetch, Result};

/// The hosts whose tarball names both prefetch-yarn-deps implementations agree on.
const HOSTS: [&str; 2] = ["registry.npmjs.org", "registry.yarnpkg.com"];

/// One tarball of the offline cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YarnPackage {
    /// The lockfile entry's first descriptor (`name@range`), for messages.
    pub key: String,
    /// `resolved` without its `#sha1` fragment: what is downloaded.
    pub url: String,
    /// The file name in the cache directory (`urlToName`).
    pub file_name: String,
    pub digest: Digest,
}

#[derive(Debug, Clone)]
pub struct YarnPlan {
    pub lockfile: PathBuf,
    lock_bytes: Vec<u8>,
    pub packages: Vec<YarnPackage>,
}

/// `yarn.lock` itself, or the one in a source directory.
pub(crate) fn locate(path: &Path) -> Result<PathBuf> {
    let lock = if path.is_dir() {
        path.join("yarn.lock")
    } else {
        path.to_owned()
    };
    if !lock.is_file() {
        return Err(Error::Lockfile {
            path: lock,
            message: "no such lockfile (give a yarn.lock or the directory holding it)".into(),
        });
    }
    Ok(lock)
}

/// fetch-yarn-deps' `urlToName` (common.js) for https URLs: the regex
/// `https:\/\/(.)*(.com)\/` (its `.` unescaped, `(.)*` greedy) removes
/// everything up to the last `com/` that has a character of its own after
/// `https://`; then `@ / % : -` become `_`.
pub(crate) fn url_to_name(url: &str) -> String {
    const SCHEME: &str = "https://";
    let rest = match url.strip_prefix(SCHEME).and_then(|r| r.rfind("com/")) {
        Some(i) if i >= 1 => &url[SCHEME.len() + i + "com/".len()..],
        _ => url,
    };
    rest.chars()
        .map(|c| match c {
            '@' | '/' | '%' | ':' | '-' => '_',
            c => c,
        })
        .collect()
}

/// The single `algo-base64` hash of a yarn `integrity` (index.js splits it at `-`).
fn integrity_digest(key: &str, integrity: &str) -> std::result::Result<Digest, String> {
    use base64::Engine;
    let (algo, b64) = integrity
        .split_once('-')
        .ok_or_else(|| format!("entry {key}: integrity {integrity:?} is not an SRI hash"))?;
    if b64.contains(char::is_whitespace) {
        return Err(format!(
            "entry {key}: integrity {integrity:?} holds several hashes; prefetch-yarn-deps \
             (index.js) reads one"
        ));
    }
    let algo = match algo {
        "sha1" => Algo::Sha1,
        "sha256" => Algo::Sha256,
        "sha512" => Algo::Sha512,
        other => {
            return Err(format!(
                "entry {key}: unknown hash algorithm {other:?} in integrity"
            ));
        }
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("entry {key}: integrity {integrity:?}: {e}"))?;
    Ok(Digest { algo, bytes })
}

impl YarnPlan {
    pub fn from_lockfile(path: &Path) -> Result<YarnPlan> {
        let bad = |message: String| Error::Lockfile {
            path: path.to_owned(),
            message,
        };
        let lock_bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = std::str::from_utf8(&lock_bytes).map_err(|e| {
            bad(format!(
                "not UTF-8 ({e}); prefetch-yarn-deps reads it as UTF-8"
            ))
        })?;
        if text.contains("\n__metadata:") || text.starts_with("__metadata:") {
            return Err(bad(
                "a yarn berry (v2+) lockfile; fetchYarnDeps reads yarn v1 lockfiles only \
                 (nixpkgs has yarn-berry-fetcher for berry)"
                    .into(),
            ));
        }
        let lock = yarn_lock_parser::parse_str(text)
            .map_err(|e| bad(format!("not a yarn v1 lockfile: {e}")))?;
        if lock.version != 1 {
            return Err(bad(format!(
                "lockfile version {}: fetchYarnDeps reads yarn v1 lockfiles only",
                lock.version
            )));
        }
        let mut packages: Vec<YarnPackage> = Vec::new();
        for e in &lock.entries {
            let key = e
                .descriptors
                .first()
                .map(|(n, r)| format!("{n}@{r}"))
                .unwrap_or_else(|| e.name.to_owned());
            // index.js: a key with `@file:` is skipped, whatever it resolves to.
            if e.descriptors.iter().any(|(_, r)| r.starts_with("file:")) {
                continue;
            }
            if e.resolved.is_empty() {
                return Err(bad(format!(
                    "entry {key} has no `resolved` URL, so prefetch-yarn-deps cannot download it"
                )));
            }
            let (url, fragment) = match e.resolved.split_once('#') {
                Some((u, f)) => (u, Some(f)),
                None => (e.resolved, None),
            };
            if url.starts_with("file:") {
                continue;
            }
            let parsed = url::Url::parse(url)
                .map_err(|err| bad(format!("entry {key}: resolved URL {url}: {err}")))?;
            let host = parsed.host_str().unwrap_or("");
            // The Rust rewrite names npmjs.org tarballs after the parsed URL and
            // strips only the host of yarnpkg.com ones, index.js up to the last
            // `com/`: they agree when the URL is already normal and its path holds
            // no `com/` (a package named `telecom`, say).
            let agreed = parsed.scheme() == "https"
                && HOSTS.contains(&host)
                && parsed.as_str() == url
                && url.starts_with(&format!("https://{host}/"))
                && !url["https://".len() + host.len()..].contains("com/")
                && !url.ends_with(".git");
            if !agreed {
                return Err(bad(format!(
                    "entry {key}: {url} is not an https tarball on {}; git, GitHub and other \
                     hosts are refused, because the two prefetch-yarn-deps implementations in \
                     nixpkgs name (or, for git, pack) them differently, so no hash can be \
                     promised",
                    HOSTS.join(" or ")
                )));
            }
            if e.integrity.is_empty() {
                return Err(bad(format!(
                    "entry {key}: no integrity, so the download cannot be checked (nixpkgs' Rust \
                     prefetch-yarn-deps refuses such entries too)"
                )));
            }
            let digest = integrity_digest(&key, e.integrity).map_err(bad)?;
            if let Some(sha1) = fragment
                && !(sha1.len() == 40 && sha1.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(bad(format!(
                    "entry {key}: resolved fragment #{sha1} is not a sha1"
                )));
            }
            packages.push(YarnPackage {
                key,
                url: url.to_owned(),
                file_name: url_to_name(url),
                digest,
            });
        }
        // One file per name: two entries writing the same name must be the same bytes.
        let mut seen: BTreeMap<&str, &YarnPackage> = BTreeMap::new();
        for p in &packages {
            if p.file_name == "yarn.lock" {
                return Err(bad(format!(
                    "entry {}: its tarball would be named yarn.lock",
                    p.key
                )));
            }
            if let Some(q) = seen.insert(&p.file_name, p)
                && q.digest != p.digest
            {
                return Err(bad(format!(
                    "entries {} and {} both write {} with different integrity",
                    q.key, p.key, p.file_name
                )));
            }
        }
        Ok(YarnPlan {
            lockfile: path.to_owned(),
            lock_bytes,
            packages,
        })
    }

    pub fn fetches(&self) -> Vec<Fetch> {
        Fetch::unique_tarballs(
            self.packages
                .iter()
                .map(|p| (format!("entry {}", p.key), p.url.as_str(), &p.digest)),
        )
    }

    /// The fixed-output tree: each tarball under its `urlToName`, and `yarn.lock`.
    pub fn staging(&self, cache: &Cache) -> Result<Entry> {
        Ok(crate::tree::lockfile_and_files(
            cache,
            "yarn.lock",
            &self.lock_bytes,
            self.packages
                .iter()
                .map(|p| (p.file_name.as_str(), &p.digest)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_like_url_to_name() {
        assert_eq!(
            url_to_name("https://registry.yarnpkg.com/@atproto/common/-/common-0.3.0.tgz"),
            "_atproto_common___common_0.3.0.tgz"
        );
        assert_eq!(
            url_to_name("https://registry.npmjs.org/@babel/core/-/core-7.19.1.tgz"),
            "https___registry.npmjs.org__babel_core___core_7.19.1.tgz"
        );
        assert_eq!(
            url_to_name("https://registry.yarnpkg.com/lit-html/-/lit-html-1.4.1.tgz"),
            "lit_html___lit_html_1.4.1.tgz"
        );
        // index.js's regex: any character before `com/`, the last one wins.
        assert_eq!(
            url_to_name("https://registry.npmjs.org/telecom/-/telecom-1.0.0.tgz"),
            "__telecom_1.0.0.tgz"
        );
    }

    #[test]
    fn integrity_forms() {
        let d = integrity_digest("x", "sha1-UqzCP+7Kw0BCB47njAwAf1CF20w=").unwrap();
        assert_eq!(d.algo, Algo::Sha1);
        assert_eq!(d.hex(), "52acc23feecac34042078ee78c0c007f5085db4c");
        assert!(integrity_digest("x", "md5-AAAA").is_err());
        assert!(integrity_digest("x", "sha1-AAAA sha512-BBBB").is_err());
        assert!(integrity_digest("x", "nohash").is_err());
    }
}
