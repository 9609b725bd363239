//! Cargo.lock (versions 1 to 4) → fetchCargoVendor's staging tree:
//! `Cargo.lock`, `tarballs/<name>-<version>.tar.gz` (raw `.crate` bytes),
//! `git/<rev>/` (fetchgit checkout with submodules, every `.git` removed).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use atnix_nar::{Contents, Entry};
use cargo_lock::package::SourceKind;

use crate::{Algo, Cache, Digest, Error, Fetch, Result, entry_from_dir};

/// Where a registry crate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Registry {
    /// crates.io, whether named by its git or its sparse index.
    CratesIo,
    /// `sparse+<index>`: `dl` is read from `<index>/config.json`.
    Sparse(String),
    /// `registry+<git index>`: `dl` is read from `config.json` in the index repository.
    GitIndex(String),
}

impl Registry {
    fn from_source(url: &url::Url, sparse: bool) -> Registry {
        let s = url.as_str().trim_end_matches('/');
        if s == "https://github.com/rust-lang/crates.io-index" || s == "https://index.crates.io" {
            Registry::CratesIo
        } else if sparse {
            Registry::Sparse(url.as_str().to_owned())
        } else {
            Registry::GitIndex(url.as_str().to_owned())
        }
    }
}

/// A registry package pinned by the lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crate {
    pub name: String,
    pub version: String,
    pub registry: Registry,
    pub checksum: Digest,
}

#[derive(Debug, Clone)]
pub struct CargoPlan {
    pub lockfile: PathBuf,
    lock_bytes: Vec<u8>,
    lock_executable: bool,
    pub crates: Vec<Crate>,
    /// Git sources by locked revision: rev → clone URL.
    pub git: BTreeMap<String, String>,
}

/// `Cargo.lock` itself, or the one inside a source directory.
pub(crate) fn locate(path: &Path) -> Result<PathBuf> {
    let lock = if path.is_dir() {
        path.join("Cargo.lock")
    } else {
        path.to_owned()
    };
    if !lock.is_file() {
        return Err(Error::Lockfile {
            path: lock,
            message: "no such lockfile (give a Cargo.lock or a directory containing one)".into(),
        });
    }
    Ok(lock)
}

impl CargoPlan {
    pub fn from_lockfile(path: &Path) -> Result<CargoPlan> {
        let bad = |message: String| Error::Lockfile {
            path: path.to_owned(),
            message,
        };
        let lock_bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        let lock_executable = fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .permissions()
            .mode()
            & 0o100
            != 0;
        let text =
            std::str::from_utf8(&lock_bytes).map_err(|_| bad("Cargo.lock is not UTF-8".into()))?;
        let lock = cargo_lock::Lockfile::from_str(text)
            .map_err(|e| bad(format!("cannot parse Cargo.lock: {e}")))?;

        let mut crates = Vec::new();
        let mut git = BTreeMap::new();
        for pkg in &lock.packages {
            let Some(source) = &pkg.source else {
                continue; // workspace members and path dependencies
            };
            let what = format!("{} {}", pkg.name, pkg.version);
            match source.kind() {
                SourceKind::Registry | SourceKind::SparseRegistry => {
                    let sparse = matches!(source.kind(), SourceKind::SparseRegistry);
                    let checksum = match &pkg.checksum {
                        Some(cargo_lock::package::Checksum::Sha256(b)) => Digest {
                            algo: Algo::Sha256,
                            bytes: b.to_vec(),
                        },
                        None => {
                            return Err(bad(format!(
                                "crate {what} from {source} has no checksum in the lockfile"
                            )));
                        }
                    };
                    crates.push(Crate {
                        name: pkg.name.as_str().to_owned(),
                        version: pkg.version.to_string(),
                        registry: Registry::from_source(source.url(), sparse),
                        checksum,
                    });
                }
                SourceKind::Git(_) => {
                    let rev = source.precise().ok_or_else(|| {
                        bad(format!(
                            "git dependency {what} has no locked revision (#<sha>) in its source"
                        ))
                    })?;
                    if rev.len() != 40 || !rev.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(bad(format!(
                            "git dependency {what}: locked revision {rev:?} is not a full commit sha"
                        )));
                    }
                    git.entry(rev.to_owned())
                        .or_insert_with(|| source.url().as_str().to_owned());
                }
                _ => {
                    return Err(bad(format!(
                        "crate {what}: unsupported source kind `{source}` (fetchCargoVendor handles registry+, sparse+ and git+ sources only)"
                    )));
                }
            }
        }
        Ok(CargoPlan {
            lockfile: path.to_owned(),
            lock_bytes,
            lock_executable,
            crates,
            git,
        })
    }

    /// Everything that must be in the cache before [`CargoPlan::staging`].
    pub fn fetches(&self) -> Vec<Fetch> {
        let crates = self.crates.iter().map(|c| Fetch::Crate(c.clone()));
        let git = self.git.iter().map(|(rev, url)| Fetch::Git {
            url: url.clone(),
            rev: rev.clone(),
        });
        crates.chain(git).collect()
    }

    /// fetchCargoVendor's `vendorStaging` output, pointing at cache files.
    pub fn staging(&self, cache: &Cache) -> Result<Entry> {
        let mut root = Entry::dir();
        root.insert(
            b"Cargo.lock",
            Entry::File {
                executable: self.lock_executable,
                contents: Contents::Bytes(self.lock_bytes.clone()),
            },
        );
        for c in &self.crates {
            let path = cache.file_path(&c.checksum);
            if !path.is_file() {
                return Err(Error::Unsupported(format!(
                    "crate {} {} is not in the cache at {}",
                    c.name,
                    c.version,
                    path.display()
                )));
            }
            root.insert(
                format!("tarballs/{}-{}.tar.gz", c.name, c.version).as_bytes(),
                Entry::File {
                    executable: false,
                    contents: Contents::Path(path),
                },
            );
        }
        for rev in self.git.keys() {
            root.insert(
                format!("git/{rev}").as_bytes(),
                entry_from_dir(&cache.git_path(rev))?,
            );
        }
        Ok(root)
    }
}

/// A crate's download URL from a registry's `dl` template, as Cargo expands it.
pub(crate) fn crate_url(dl: &str, c: &Crate) -> String {
    const MARKERS: [&str; 5] = [
        "{crate}",
        "{version}",
        "{prefix}",
        "{lowerprefix}",
        "{sha256-checksum}",
    ];
    if !MARKERS.iter().any(|m| dl.contains(m)) {
        return format!("{dl}/{}/{}/download", c.name, c.version);
    }
    let prefix = index_prefix(&c.name);
    dl.replace("{crate}", &c.name)
        .replace("{version}", &c.version)
        .replace("{prefix}", &prefix)
        .replace("{lowerprefix}", &prefix.to_lowercase())
        .replace("{sha256-checksum}", &c.checksum.hex())
}

fn index_prefix(name: &str) -> String {
    match name.len() {
        1 => "1".into(),
        2 => "2".into(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krate(name: &str) -> Crate {
        Crate {
            name: name.into(),
            version: "1.0.0".into(),
            registry: Registry::CratesIo,
            checksum: Digest {
                algo: Algo::Sha256,
                bytes: vec![0xab; 32],
            },
        }
    }

    const SUM: &str = "8f42a60c14ee3ad6d70c4d2a7bdb7d1fb3cb1a6e20a2dfbfb8ca6c4f13685682";

    fn plan_of(text: &str) -> CargoPlan {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Cargo.lock");
        fs::write(&path, text).unwrap();
        CargoPlan::from_lockfile(&path).unwrap()
    }

    fn itoa() -> Crate {
        Crate {
            name: "itoa".into(),
            version: "1.0.18".into(),
            registry: Registry::CratesIo,
            checksum: Digest {
                algo: Algo::Sha256,
                bytes: (0..32)
                    .map(|i| u8::from_str_radix(&SUM[2 * i..2 * i + 2], 16).unwrap())
                    .collect(),
            },
        }
    }

    #[test]
    fn lockfile_v1_checksums_from_metadata() {
        let plan = plan_of(&format!(
            "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"itoa 1.0.18 (registry+https://github.com/rust-lang/crates.io-index)\",\n]\n\n\
             [[package]]\nname = \"itoa\"\nversion = \"1.0.18\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
             [metadata]\n\"checksum itoa 1.0.18 (registry+https://github.com/rust-lang/crates.io-index)\" = \"{SUM}\"\n"
        ));
        assert_eq!(plan.crates, vec![itoa()]);
    }

    #[test]
    fn lockfile_v2_and_v4() {
        let body = format!(
            "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"itoa\",\n]\n\n\
             [[package]]\nname = \"itoa\"\nversion = \"1.0.18\"\nsource = \"sparse+https://index.crates.io/\"\nchecksum = \"{SUM}\"\n"
        );
        assert_eq!(plan_of(&body).crates, vec![itoa()]);
        assert_eq!(
            plan_of(&format!("version = 4\n\n{body}")).crates,
            vec![itoa()]
        );
    }

    #[test]
    fn git_sources_keyed_by_locked_sha() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let plan = plan_of(&format!(
            "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/r?branch=main#{sha}\"\n\n\
             [[package]]\nname = \"b\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/r?branch=main#{sha}\"\n"
        ));
        assert_eq!(plan.git.len(), 1);
        assert_eq!(plan.git[sha], "https://example.com/r");
        assert!(plan.crates.is_empty());
    }

    #[test]
    fn dl_templates() {
        assert_eq!(
            crate_url("https://static.crates.io/crates", &krate("serde")),
            "https://static.crates.io/crates/serde/1.0.0/download"
        );
        assert_eq!(
            crate_url(
                "http://x/{prefix}/{lowerprefix}/{crate}-{version}",
                &krate("Abcd")
            ),
            "http://x/Ab/cd/ab/cd/Abcd-1.0.0"
        );
        assert_eq!(
            crate_url("http://x/{prefix}/{crate}", &krate("abc")),
            "http://x/3/a/abc"
        );
        assert_eq!(crate_url("http://x/{prefix}", &krate("a")), "http://x/1");
        assert_eq!(
            crate_url("http://x/{sha256-checksum}", &krate("ab")),
            format!("http://x/{}", "ab".repeat(32))
        );
    }
}
