//! package-lock.json (versions 1 to 3) → prefetch-npm-deps' output with
//! fetcher version 1: `package-lock.json`, `_cacache/content-v2/…`, `_cacache/index-v5/…`.

use std::fs;
use std::path::{Path, PathBuf};

use atnix_nar::{Contents, Entry};
use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use sha1::Digest as _;
use url::Url;

use crate::{Algo, Cache, Digest, Error, Fetch, Result, hex};

/// One tarball of the npm cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmPackage {
    /// The lockfile key (v2/v3) or dependency name (v1), for messages.
    pub name: String,
    pub url: Url,
    /// The chosen integrity string, verbatim (the strongest of the lockfile's).
    pub integrity: String,
    pub digest: Digest,
}

#[derive(Debug, Clone)]
pub struct NpmPlan {
    pub lockfile: PathBuf,
    lock_bytes: Vec<u8>,
    /// Sorted and deduplicated by URL, as prefetch-npm-deps does.
    pub packages: Vec<NpmPackage>,
}

/// `npm-shrinkwrap.json` if present, else `package-lock.json`, as fetchNpmDeps picks.
pub(crate) fn locate(path: &Path) -> Result<PathBuf> {
    let lock = if path.is_dir() {
        let shrinkwrap = path.join("npm-shrinkwrap.json");
        if shrinkwrap.is_file() {
            shrinkwrap
        } else {
            path.join("package-lock.json")
        }
    } else {
        path.to_owned()
    };
    if !lock.is_file() {
        return Err(Error::Lockfile {
            path: lock,
            message: "no such lockfile (give a package-lock.json or a directory containing one)"
                .into(),
        });
    }
    Ok(lock)
}

/// A candidate before sorting: URL (if it parses), integrity string.
struct Raw {
    name: String,
    resolved: Option<Value>,
    integrity: Option<String>,
}

fn as_url(v: &Value) -> Option<Url> {
    v.as_str().and_then(|s| Url::parse(s).ok())
}

fn v1_packages(deps: &serde_json::Map<String, Value>, out: &mut Vec<Raw>) {
    for (name, pkg) in deps {
        if pkg.get("bundled").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let version = pkg.get("version");
        let mut resolved = pkg.get("resolved").cloned();
        if let Some(v) = version.and_then(as_url) {
            if v.scheme() == "npm" {
                // aliases: keep `resolved`
            } else if let Some(host) = match v.scheme() {
                "github" => Some("github.com"),
                "bitbucket" => Some("bitbucket.org"),
                "gitlab" => Some("gitlab.com"),
                _ => None,
            } {
                resolved = Some(Value::String(format!("git+ssh://git@{host}/{}", v.path())));
            } else {
                resolved = version.cloned();
            }
        }
        out.push(Raw {
            name: name.clone(),
            resolved,
            integrity: pkg
                .get("integrity")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
        if let Some(Value::Object(more)) = pkg.get("dependencies") {
            v1_packages(more, out);
        }
    }
}

/// The strongest of a whitespace-separated integrity list (sha512 over sha1).
pub(crate) fn best_integrity(name: &str, s: &str) -> std::result::Result<(String, Digest), String> {
    let mut best: Option<(String, Digest)> = None;
    for part in s.split_ascii_whitespace() {
        let (algo, b64) = part
            .split_once('-')
            .ok_or_else(|| format!("package {name}: integrity {part:?} is not an SRI hash"))?;
        let algo = match algo {
            "sha1" => Algo::Sha1,
            "sha512" => Algo::Sha512,
            other => {
                return Err(format!(
                    "package {name}: unknown hash algorithm {other:?} in integrity (prefetch-npm-deps accepts sha1 and sha512)"
                ));
            }
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("package {name}: integrity {part:?}: {e}"))?;
        if best.as_ref().is_none_or(|(_, d)| algo > d.algo) {
            best = Some((part.to_owned(), Digest { algo, bytes }));
        }
    }
    best.ok_or_else(|| format!("package {name}: empty integrity"))
}

impl NpmPlan {
    pub fn from_lockfile(path: &Path) -> Result<NpmPlan> {
        let bad = |message: String| Error::Lockfile {
            path: path.to_owned(),
            message,
        };
        let lock_bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        let lock: Value = serde_json::from_slice(&lock_bytes)
            .map_err(|e| bad(format!("cannot parse package-lock JSON: {e}")))?;
        let version = lock
            .get("lockfileVersion")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("no numeric lockfileVersion".into()))?;

        let mut raw = Vec::new();
        match version {
            1 => {
                if let Some(Value::Object(deps)) = lock.get("dependencies") {
                    v1_packages(deps, &mut raw);
                }
            }
            2 | 3 => {
                if let Some(Value::Object(pkgs)) = lock.get("packages") {
                    for (name, pkg) in pkgs {
                        let resolved = pkg.get("resolved");
                        if name.is_empty() || resolved.and_then(as_url).is_none() {
                            continue;
                        }
                        raw.push(Raw {
                            name: name.clone(),
                            resolved: resolved.cloned(),
                            integrity: pkg
                                .get("integrity")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                        });
                    }
                }
            }
            v => return Err(bad(format!("unsupported lockfileVersion {v}"))),
        }

        let mut packages = Vec::new();
        for r in raw {
            let Some(url) = r.resolved.as_ref().and_then(as_url) else {
                return Err(bad(format!(
                    "package {} has no resolved URL (got {})",
                    r.name,
                    r.resolved.map_or("nothing".into(), |v| v.to_string())
                )));
            };
            let scheme = url.scheme();
            if scheme.starts_with("git") || scheme == "ssh" {
                return Err(bad(format!(
                    "package {} is a git dependency ({url}); not supported: prefetch-npm-deps re-packs git \
                     dependencies with GNU tar and gzip, whose exact bytes this tool does not reproduce. \
                     Replace it with a registry release, or compute npmDepsHash with a Nix build",
                    r.name
                )));
            }
            if scheme != "https" && scheme != "http" {
                return Err(bad(format!(
                    "package {}: unsupported resolved URL {url} (only http and https tarballs are fetched)",
                    r.name
                )));
            }
            let integrity = r
                .integrity
                .ok_or_else(|| bad(format!("package {} ({url}) has no integrity", r.name)))?;
            let (integrity, digest) = best_integrity(&r.name, &integrity).map_err(bad)?;
            packages.push(NpmPackage {
                name: r.name,
                url,
                integrity,
                digest,
            });
        }
        // By URL; for equal URLs the strongest integrity first; then keep the first per URL.
        packages.sort_by(|a, b| {
            a.url
                .as_str()
                .cmp(b.url.as_str())
                .then(b.digest.algo.cmp(&a.digest.algo))
        });
        packages.dedup_by(|a, b| a.url == b.url);

        Ok(NpmPlan {
            lockfile: path.to_owned(),
            lock_bytes,
            packages,
        })
    }

    pub fn fetches(&self) -> Vec<Fetch> {
        self.packages
            .iter()
            .map(|p| Fetch::Tarball {
                what: format!("npm package {}", p.name),
                url: p.url.as_str().to_owned(),
                digest: p.digest.clone(),
            })
            .collect()
    }

    /// prefetch-npm-deps' output directory (fetcher version 1), pointing at cache files.
    pub fn staging(&self, cache: &Cache) -> Result<Entry> {
        let mut root = Entry::dir();
        root.insert(
            b"package-lock.json",
            Entry::File {
                executable: false,
                contents: Contents::Bytes(self.lock_bytes.clone()),
            },
        );
        root.insert(b"_cacache/content-v2", Entry::dir());
        root.insert(b"_cacache/index-v5", Entry::dir());
        for p in &self.packages {
            let path = cache.file_path(&p.digest);
            let size = fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
            root.insert(
                format!(
                    "_cacache/content-v2/{}/{}",
                    p.digest.algo.name(),
                    split_hex(&p.digest.hex())
                )
                .as_bytes(),
                Entry::File {
                    executable: false,
                    contents: Contents::Path(path),
                },
            );
            let (index_path, index) = index_entry(p, size);
            root.insert(
                index_path.as_bytes(),
                Entry::File {
                    executable: false,
                    contents: Contents::Bytes(index.into_bytes()),
                },
            );
        }
        Ok(root)
    }
}

fn split_hex(h: &str) -> String {
    format!("{}/{}/{}", &h[..2], &h[2..4], &h[4..])
}

#[derive(Serialize)]
struct Key<'a> {
    key: &'a str,
    integrity: &'a str,
    time: u8,
    size: u64,
    metadata: Metadata<'a>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    url: &'a str,
    options: Options,
}

#[derive(Serialize)]
struct Options {
    compress: bool,
}

/// cacache index-v5 path and content for one tarball.
fn index_entry(p: &NpmPackage, size: u64) -> (String, String) {
    let key = format!("make-fetch-happen:request-cache:{}", p.url);
    let json = serde_json::to_string(&Key {
        key: &key,
        integrity: &p.integrity,
        time: 0,
        size,
        metadata: Metadata {
            url: p.url.as_str(),
            options: Options { compress: true },
        },
    })
    .expect("serialising plain data");
    let path = format!(
        "_cacache/index-v5/{}",
        split_hex(&hex(&sha2::Sha256::digest(key.as_bytes())))
    );
    let content = format!("{}\t{json}", hex(&sha1::Sha1::digest(json.as_bytes())));
    (path, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_prefers_sha512() {
        let (s, d) = best_integrity("x", "sha1-AAAA sha512-AAAA").unwrap();
        assert_eq!(s, "sha512-AAAA");
        assert_eq!(d.algo, Algo::Sha512);
        assert!(best_integrity("x", "sha256-AAAA").is_err());
    }
}
