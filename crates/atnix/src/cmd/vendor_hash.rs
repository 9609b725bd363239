//! cargoHash, npmDepsHash, buildGoModule's vendorHash, fetchPnpmCache's and fetchYarnDeps' hash computed without Nix
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
    /// vendorHash of buildGoModule (proxyVendor = false) from a Go source directory; runs `go mod vendor`.
    Go,
    /// The hash of fetchPnpmCache from pnpm-lock.yaml (fetchPnpmDeps is refused).
    Pnpm,
    /// The hash of fetchYarnDeps (yarnOfflineCache) from a yarn v1 yarn.lock.
    Yarn,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which dependency hash to compute.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The lockfile, or the source directory that holds it.
    /// For go: the source directory (after any patches the package applies).
    #[arg(value_name = "LOCKFILE_OR_SRC_DIR", required_if_eq_any = [("kind", "cargo"), ("kind", "npm"), ("kind", "go"), ("kind", "pnpm"), ("kind", "yarn")])]
    pub path: Option<PathBuf>,
    /// Store the hash in this source.json (as "cargoHash", "npmDepsHash", "vendorHash", "pnpmCacheHash" or "yarnDepsHash"), keeping its other fields.
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
    /// npm: fetchNpmDeps' fetcherVersion; only 1 can be computed exactly [default: 1].
    /// pnpm: fetchPnpmDeps' fetcherVersion, which is refused (use fetchPnpmCache, the default).
    #[arg(long)]
    pub fetcher_version: Option<u8>,
    /// go: buildGoModule's modRoot, the directory of go.mod inside the source.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub mod_root: PathBuf,
    /// go: buildGoModule's deleteVendor (remove the source's vendor/ first).
    #[arg(long)]
    pub delete_vendor: bool,
    /// go: buildGoModule's proxyVendor; refused, its output is not determined by the source.
    #[arg(long)]
    pub proxy_vendor: bool,
    /// go: the Go toolchain to run `go mod vendor` with.
    #[arg(long, value_name = "PATH", default_value = "go")]
    pub go: PathBuf,
    /// go: GOPROXY for the downloads (goModules passes it through) [default: $GOPROXY, else Go's default].
    #[arg(long, value_name = "URL")]
    pub goproxy: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.kind {
        Kind::Pnpm if args.fetcher_version.is_some() => bail!(
            "fetchPnpmDeps (fetcherVersion {}) is refused: its output is a pnpm store written by \
             `pnpm install`, whose files and layout change between pnpm releases (even minor ones), so \
             only the exact pnpm build nixpkgs uses reproduces the hash. Use nixpkgs' fetchPnpmCache \
             with pnpmCacheConfigHook instead (atnix vendor-hash pnpm without --fetcher-version), which \
             keeps each lockfile tarball as downloaded, or build pnpmDeps once with Nix",
            args.fetcher_version.unwrap_or_default()
        ),
        Kind::Npm if args.fetcher_version.is_some_and(|v| v != 1) => bail!(
            "--fetcher-version {} is refused: fetcher version 2 adds npm registry packuments, whose content \
             depends on live registry data (signatures, fields that change after publication), so the hash \
             is not determined by the lockfile. Use npmDepsFetcherVersion = 1, or build once with Nix",
            args.fetcher_version.unwrap_or_default()
        ),
        Kind::Cargo | Kind::Npm | Kind::Go | Kind::Pnpm | Kind::Yarn => {}
    }
    if matches!(args.kind, Kind::Cargo | Kind::Go | Kind::Yarn) && args.fetcher_version.is_some() {
        bail!("--fetcher-version applies to npm and pnpm only");
    }
    let go_only = args.mod_root != std::path::Path::new(".")
        || args.delete_vendor
        || args.proxy_vendor
        || args.goproxy.is_some()
        || args.go != std::path::Path::new("go");
    if args.kind != Kind::Go && go_only {
        bail!("--mod-root, --delete-vendor, --proxy-vendor, --go and --goproxy apply to go only");
    }
    let path = args
        .path
        .expect("clap requires a path for cargo, npm and go");
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
        Kind::Go => {
            let go = atnix_vendor::GoOptions {
                mod_root: args.mod_root,
                delete_vendor: args.delete_vendor,
                proxy_vendor: args.proxy_vendor,
                go: args.go,
                goproxy: args
                    .goproxy
                    .or_else(|| std::env::var("GOPROXY").ok().filter(|p| !p.is_empty())),
            };
            (
                atnix_vendor::go_vendor_hash(&path, &cache, &opts, &go)?,
                "vendorHash",
            )
        }
        Kind::Pnpm => (
            atnix_vendor::pnpm_cache_hash(&path, &cache, &opts)?,
            "pnpmCacheHash",
        ),
        Kind::Npm => (atnix_vendor::npm_hash(&path, &cache, &opts)?, "npmDepsHash"),
        Kind::Yarn => (
            atnix_vendor::yarn_offline_cache_hash(&path, &cache, &opts)?,
            "yarnDepsHash",
        ),
    };
    let sri = hash.to_sri();
    if let Some(sj) = &args.write {
        atnix_prefetch::update_source_json(sj, &[(field, sri.as_str().into())])?;
        eprintln!("wrote {field} to {}", sj.display());
    }
    println!("{sri}");
    Ok(ExitCode::SUCCESS)
}
