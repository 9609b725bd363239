//! pnpm-lock.yaml → the output of nixpkgs' `fetchPnpmCache` (tool
//! `pnpm-fetch-cache`): every package tarball of the lockfile, as downloaded,
//! at `<scheme>/<host><path of its URL>`, plus the lockfile at
//! `nix/pnpm-lock.yaml`. Nothing in it depends on the pnpm version.
//!
//! `fetchPnpmDeps` is refused instead: its output is a pnpm store written by
//! `pnpm install`, which differs between pnpm releases.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use atnix_nar::Entry;
use url::Url;

use crate::{Cache, Digest, Error, Fetch, Result};

/// The registry pnpm-fetch-cache builds tarball URLs against.
const REGISTRY: &str = "https://registry.npmjs.org";

/// One tarball of the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnpmPackage {
    /// The lockfile's `packages` key, for messages.
    pub key: String,
    pub url: Url,
    pub digest: Digest,
}

#[derive(Debug, Clone)]
pub struct PnpmPlan {
    pub lockfile: PathBuf,
    lock_bytes: Vec<u8>,
    pub packages: Vec<PnpmPackage>,
}

/// `pnpm-lock.yaml` itself, or the one in a directory (fetchPnpmCache's `pnpmRoot`).
pub(crate) fn locate(path: &Path) -> Result<PathBuf> {
    let lock = if path.is_dir() {
        path.join("pnpm-lock.yaml")
    } else {
        path.to_owned()
    };
    if !lock.is_file() {
        return Err(Error::Lockfile {
            path: lock,
            message: "no such lockfile (give a pnpm-lock.yaml or the directory holding it, \
                      fetchPnpmCache's pnpmRoot)"
                .into(),
        });
    }
    Ok(lock)
}

/// `removeSuffix` of @pnpm/deps.path: drops the trailing `(peer@x)…` groups.
fn remove_peer_suffix(key: &str) -> &str {
    if !key.ends_with(')') {
        return key;
    }
    let mut depth = 0usize;
    let mut start = key.len();
    for (i, c) in key.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    start = i;
                    if !key[..i].ends_with(')') {
                        break;
                    }
                }
            }
            _ if depth == 0 => break,
            _ => {}
        }
    }
    &key[..start]
}

/// pnpm-fetch-cache's `registryUrlForPackage`.
fn registry_url(key: &str) -> std::result::Result<String, String> {
    let id = remove_peer_suffix(key);
    // ^(@?[^@/]+(?:/([^@/]+))?)@(.+)$
    let scoped = id.starts_with('@');
    let body = if scoped { &id[1..] } else { id };
    let at = body
        .find('@')
        .ok_or_else(|| format!("package {id} did not match name@version"))?;
    let (name, version) = (&body[..at], &body[at + 1..]);
    let full = if scoped {
        format!("@{name}")
    } else {
        name.to_owned()
    };
    // The second path segment when there is one (the scoped case), else the full name.
    let parts: Vec<&str> = name.split('/').collect();
    let short = match parts.as_slice() {
        [n] if !n.is_empty() => full.as_str(),
        [s, n] if !s.is_empty() && !n.is_empty() => *n,
        _ => return Err(format!("package {id} did not match name@version")),
    };
    if version.is_empty() {
        return Err(format!("package {id} did not match name@version"));
    }
    if version.starts_with("http") {
        return Ok(version.to_owned());
    }
    Ok(format!("{REGISTRY}/{full}/-/{short}-{version}.tgz"))
}

impl PnpmPlan {
    pub fn from_lockfile(path: &Path) -> Result<PnpmPlan> {
        let bad = |message: String| Error::Lockfile {
            path: path.to_owned(),
            message,
        };
        let lock_bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        let doc: serde_norway::Value =
            serde_norway::from_slice(&lock_bytes).map_err(|e| bad(format!("not YAML: {e}")))?;
        let version = match doc.get("lockfileVersion") {
            Some(serde_norway::Value::String(s)) => s.clone(),
            Some(serde_norway::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        if version != "9.0" {
            return Err(bad(format!(
                "lockfileVersion {version:?}: pnpm-fetch-cache reads lockfile version 9.0 \
                 (pnpm 9 and later) only"
            )));
        }
        let Some(serde_norway::Value::Mapping(packages)) = doc.get("packages") else {
            return Err(bad(
                "no `packages` (pnpm-fetch-cache fails with \"Parsed lockfile is empty or missing\")"
                    .into(),
            ));
        };
        let mut out = Vec::with_capacity(packages.len());
        for (k, v) in packages {
            let key = k
                .as_str()
                .ok_or_else(|| bad(format!("packages: key {k:?} is not a string")))?
                .to_owned();
            let res = v.get("resolution");
            let field = |f: &str| res.and_then(|r| r.get(f)).and_then(|x| x.as_str());
            if res.and_then(|r| r.get("type")).is_some() || field("commit").is_some() {
                return Err(bad(format!(
                    "package {key}: a git or directory dependency; pnpm-fetch-cache would request a \
                     registry tarball that does not exist and store the error page, so no \
                     hash can be computed. Use a registry or tarball dependency"
                )));
            }
            let url = match field("url") {
                Some(u) => u.to_owned(),
                None => registry_url(&key).map_err(bad)?,
            };
            let url =
                Url::parse(&url).map_err(|e| bad(format!("package {key}: URL {url}: {e}")))?;
            let integrity = field("integrity").ok_or_else(|| {
                bad(format!(
                    "package {key}: no integrity in its resolution, so the download cannot be \
                     checked (pnpm-fetch-cache stores whatever the server sends)"
                ))
            })?;
            let (_, digest) = crate::npm::best_integrity(&key, integrity).map_err(bad)?;
            out.push(PnpmPackage { key, url, digest });
        }
        // One file per path: the same URL twice must be the same bytes.
        let mut seen: BTreeMap<String, &PnpmPackage> = BTreeMap::new();
        for p in &out {
            let cp = cache_path(&p.url);
            if let Some(q) = seen.insert(cp.clone(), p)
                && q.digest != p.digest
            {
                return Err(bad(format!(
                    "packages {} and {} both download {} with different integrity",
                    q.key, p.key, p.url
                )));
            }
        }
        Ok(PnpmPlan {
            lockfile: path.to_owned(),
            lock_bytes,
            packages: out,
        })
    }

    pub fn fetches(&self) -> Vec<Fetch> {
        Fetch::unique_tarballs(
            self.packages
                .iter()
                .map(|p| (format!("package {}", p.key), p.url.as_str(), &p.digest)),
        )
    }

    /// The fixed-output tree: tarballs by URL path and `nix/pnpm-lock.yaml`.
    pub fn staging(&self, cache: &Cache) -> Result<Entry> {
        let paths: Vec<String> = self.packages.iter().map(|p| cache_path(&p.url)).collect();
        Ok(crate::tree::lockfile_and_files(
            cache,
            "nix/pnpm-lock.yaml",
            &self.lock_bytes,
            paths
                .iter()
                .map(String::as_str)
                .zip(self.packages.iter().map(|p| &p.digest)),
        ))
    }
}

/// pnpm-fetch-cache's `urlToCachePath`: `<scheme>/<hostname><pathname>`
/// (joined with Node's path.join, which drops empty segments).
fn cache_path(url: &Url) -> String {
    format!(
        "{}/{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_urls_like_pnpm_fetch_cache() {
        assert_eq!(
            registry_url("@types/node@25.5.0").unwrap(),
            "https://registry.npmjs.org/@types/node/-/node-25.5.0.tgz"
        );
        assert_eq!(
            registry_url("react-dom@18.2.0(react@18.2.0)").unwrap(),
            "https://registry.npmjs.org/react-dom/-/react-dom-18.2.0.tgz"
        );
        assert_eq!(
            registry_url("x@https://codeload.github.com/o/x/tar.gz/abc").unwrap(),
            "https://codeload.github.com/o/x/tar.gz/abc"
        );
        assert!(registry_url("nover").is_err());
        assert_eq!(
            cache_path(
                &Url::parse("https://registry.npmjs.org/@types/node/-/node-25.5.0.tgz").unwrap()
            ),
            "https/registry.npmjs.org/@types/node/-/node-25.5.0.tgz"
        );
    }
}
