//! cargoHash, npmDepsHash, Go's vendorHash and fetchPnpmCache's hash computed without Nix.
//!
//! The pipeline is the same for every ecosystem and each step is public so a
//! later `atnix update` can reuse it:
//!
//! 1. parse a lockfile into a plan ([`CargoPlan::from_lockfile`], [`NpmPlan::from_lockfile`]);
//! 2. fetch the plan's [`Fetch`]es into a content-addressed [`Cache`] ([`fetch_all`]),
//!    each download checked against the lockfile's checksum before it is stored;
//! 3. build the fixed-output staging tree as an [`atnix_nar::Entry`] that points at
//!    cache files (nothing is copied) and hash it with [`atnix_nar::nar_hash_entry`].
//!
//! [`cargo_hash`] and [`npm_hash`] run the three steps in one call.
//! [`go_vendor_hash`] fetches what `go.sum` pins the same way, then lets the real
//! `go mod vendor` write the tree (see the `go` module for why).

mod cache;
mod cargo;
mod fetch;
mod git;
mod go;
mod npm;
mod pnpm;
mod tree;
mod yarn;

use std::fmt;
use std::path::{Path, PathBuf};

pub use cache::Cache;
pub use cargo::{CargoPlan, Crate, Registry};
pub use fetch::{Fetch, FetchOptions, fetch_all, fetch_all_blocking};
pub use go::{DEFAULT_GOPROXY, GoOptions, GoSum, go_vendor_hash, parse_go_sum};
pub use npm::{NpmPackage, NpmPlan};
pub use pnpm::{PnpmPackage, PnpmPlan};
pub use tree::entry_from_dir;
pub use yarn::{YarnPackage, YarnPlan};

use atnix_nar::Hash;
use sha1::Digest as _;

/// Why a dependency hash could not be computed. Every variant names the
/// package, URL or file involved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Lockfile { path: PathBuf, message: String },
    #[error(
        "{what}: checksum mismatch for {url}: the lockfile says {expected}, the download is {actual}; nothing was stored"
    )]
    Mismatch {
        what: String,
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{what}: cannot download {url}: {message}")]
    Download {
        what: String,
        url: String,
        message: String,
    },
    #[error("git dependency {url} at {rev}: {message}")]
    Git {
        url: String,
        rev: String,
        message: String,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Nar(#[from] atnix_nar::Error),
    #[error("interrupted; no partial file was left in the cache")]
    Interrupted,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Hash algorithms that lockfiles pin downloads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algo {
    Sha1,
    Sha256,
    Sha512,
    /// Go's `h1:` of a module's go.mod (a go.sum `/go.mod` line).
    GoModH1,
    /// Go's `h1:` of a module zip (`dirhash.HashZip`).
    GoZipH1,
}

impl Algo {
    pub fn name(self) -> &'static str {
        match self {
            Algo::Sha1 => "sha1",
            Algo::Sha256 => "sha256",
            Algo::Sha512 => "sha512",
            Algo::GoModH1 => "go-mod-h1",
            Algo::GoZipH1 => "go-zip-h1",
        }
    }
}

/// A content digest: the key of the download cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    pub algo: Algo,
    pub bytes: Vec<u8>,
}

impl Digest {
    /// Digest of `data` with `algo`.
    pub fn of(algo: Algo, data: &[u8]) -> Digest {
        let bytes = match algo {
            Algo::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Algo::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Algo::Sha512 => sha2::Sha512::digest(data).to_vec(),
            Algo::GoModH1 => go::go_mod_h1(data),
            Algo::GoZipH1 => go::go_zip_h1(data),
        };
        Digest { algo, bytes }
    }

    pub fn hex(&self) -> String {
        hex(&self.bytes)
    }

    /// `algo-base64`, as npm's `integrity` field spells it.
    pub fn sri(&self) -> String {
        use base64::Engine;
        format!(
            "{}-{}",
            self.algo.name(),
            base64::engine::general_purpose::STANDARD.encode(&self.bytes)
        )
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.algo {
            Algo::GoModH1 | Algo::GoZipH1 => {
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(&self.bytes);
                write!(f, "h1:{b64}")
            }
            _ => write!(f, "{}:{}", self.algo.name(), self.hex()),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `cargoHash` (fetchCargoVendor staging) of a `Cargo.lock`, or of the
/// `Cargo.lock` inside a source directory.
pub fn cargo_hash(lockfile_or_dir: &Path, cache: &Cache, opts: &FetchOptions) -> Result<Hash> {
    let plan = CargoPlan::from_lockfile(&cargo::locate(lockfile_or_dir)?)?;
    fetch_all_blocking(&plan.fetches(), cache, opts)?;
    Ok(atnix_nar::nar_hash_entry(&plan.staging(cache)?)?)
}

/// `npmDepsHash` (prefetch-npm-deps, fetcher version 1) of a
/// `package-lock.json`/`npm-shrinkwrap.json`, or of the one in a source directory.
pub fn npm_hash(lockfile_or_dir: &Path, cache: &Cache, opts: &FetchOptions) -> Result<Hash> {
    let plan = NpmPlan::from_lockfile(&npm::locate(lockfile_or_dir)?)?;
    fetch_all_blocking(&plan.fetches(), cache, opts)?;
    Ok(atnix_nar::nar_hash_entry(&plan.staging(cache)?)?)
}

/// The hash of nixpkgs' `fetchPnpmCache` (pnpm-fetch-cache) for a
/// `pnpm-lock.yaml`, or the one in a directory (its `pnpmRoot`).
pub fn pnpm_cache_hash(lockfile_or_dir: &Path, cache: &Cache, opts: &FetchOptions) -> Result<Hash> {
    let plan = PnpmPlan::from_lockfile(&pnpm::locate(lockfile_or_dir)?)?;
    fetch_all_blocking(&plan.fetches(), cache, opts)?;
    Ok(atnix_nar::nar_hash_entry(&plan.staging(cache)?)?)
}

/// The hash of nixpkgs' `fetchYarnDeps` (prefetch-yarn-deps) for a yarn v1
/// `yarn.lock`, or the one in a source directory.
pub fn yarn_offline_cache_hash(
    lockfile_or_dir: &Path,
    cache: &Cache,
    opts: &FetchOptions,
) -> Result<Hash> {
    let plan = YarnPlan::from_lockfile(&yarn::locate(lockfile_or_dir)?)?;
    fetch_all_blocking(&plan.fetches(), cache, opts)?;
    Ok(atnix_nar::nar_hash_entry(&plan.staging(cache)?)?)
}
