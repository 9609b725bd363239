//! cargoHash and npmDepsHash computed from lockfiles without Nix
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use atnix_vendor::{Cache, FetchOptions};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// cargoHash of buildRustPackage (fetchCargoVendor) from Cargo.lock.
    Cargo,
    /// npmDepsHash of buildNpmPackage (fetchNpmDeps) from package-lock.json.
    Npm,
    /// Refused: vendorHash needs the Go toolchain and module proxy.
    Go,
    /// Refused: pnpmDeps.hash needs pnpm's own store layout.
    Pnpm,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which dependency hash to compute.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The lockfile, or the source directory that holds it.
    #[arg(value_name = "LOCKFILE_OR_SRC_DIR", required_if_eq_any = [("kind", "cargo"), ("kind", "npm")])]
    pub path: Option<PathBuf>,
    /// Store the hash in this source.json (as "cargoHash" or "npmDepsHash"), keeping its other fields.
    #[arg(long, value_name = "SOURCE_JSON")]
    pub write: Option<PathBuf>,
    /// Content-addressed download cache [default: the user's cache directory, e.g. ~/.cache/atnix].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Downloads in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Seconds a connection may stay silent before the attempt counts as failed.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// fetchNpmDeps fetcher version (npm only); only 1 can be computed exactly.
    #[arg(long, default_value_t = 1)]
    pub fetcher_version: u8,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.kind {
        Kind::Go => bail!(
            "`vendor-hash go` is not supported: buildGoModule's vendorHash is the output of `go mod vendor` \
             run by the Go toolchain at nixpkgs' version with data from the module proxy; go.sum alone does \
             not determine it. Compute it with the real tool instead: run `nix-prefetch` on the package's \
             goModules (or build goModules once with Nix) and record the hash it reports"
        ),
        Kind::Pnpm => bail!(
            "`vendor-hash pnpm` is not supported: pnpmDeps.hash is the hash of a real pnpm store written by \
             `pnpm install` (its layout depends on the pnpm major version and fetcherVersion). Compute it with \
             the real tool instead: run `nix-prefetch` on the package's pnpmDeps (or build pnpmDeps once with \
             Nix) and record the hash it reports"
        ),
        Kind::Npm if args.fetcher_version != 1 => bail!(
            "--fetcher-version {} is refused: fetcher version 2 adds npm registry packuments, whose content \
             depends on live registry data (signatures, fields that change after publication), so the hash \
             is not determined by the lockfile. Use npmDepsFetcherVersion = 1, or build once with Nix",
            args.fetcher_version
        ),
        Kind::Cargo | Kind::Npm => {}
    }
    if args.kind == Kind::Cargo && args.fetcher_version != 1 {
        bail!("--fetcher-version applies to npm only");
    }
    let path = args.path.expect("clap requires a path for cargo and npm");
    if let Some(sj) = &args.write {
        if !sj.is_file() {
            bail!(
                "--write {}: no such file (it must be an existing source.json)",
                sj.display()
            );
        }
        // Refuse a file that is not a pin before any download.
        atnix_pin::read_fetcher(sj)?;
    }
    let cache_dir = match args.cache_dir {
        Some(d) => d,
        None => Cache::default_dir()
            .context("no user cache directory is known here; pass --cache-dir")?,
    };
    let cache = Cache::new(cache_dir);
    let opts = FetchOptions {
        jobs: usize::from(args.jobs),
        timeout: Duration::from_secs(args.timeout.max(1)),
        ..FetchOptions::default()
    };
    let (hash, field) = match args.kind {
        Kind::Cargo => (atnix_vendor::cargo_hash(&path, &cache, &opts)?, "cargoHash"),
        _ => (atnix_vendor::npm_hash(&path, &cache, &opts)?, "npmDepsHash"),
    };
    let sri = hash.to_sri();
    if let Some(sj) = &args.write {
        atnix_prefetch::update_source_json(sj, &[(field, sri.as_str().into())])?;
        eprintln!("wrote {field} to {}", sj.display());
    }
    println!("{sri}");
    Ok(ExitCode::SUCCESS)
}
