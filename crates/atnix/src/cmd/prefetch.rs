use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use atnix_prefetch::{Fetcher, GitMode};
use serde_json::Value;

#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["repo", "url"]))]
pub struct Args {
    /// Git repository: a local path (bare or not) or any URL git understands.
    /// Read with the git CLI, so `url.*.insteadOf` from your git config applies.
    pub repo: Option<String>,
    /// Commit (full or abbreviated), tag or branch to pin; the pin records the commit.
    #[arg(long, requires = "repo")]
    pub rev: Option<String>,
    /// Hash fetchgit's tree (a checkout without .git) instead of `git archive`
    /// (fetchFromGitHub/fetchFromTangled).
    #[arg(long, requires = "repo")]
    pub checkout: bool,
    /// With --checkout: check out submodules recursively (fetchgit's fetchSubmodules).
    #[arg(long, requires = "checkout")]
    pub submodules: bool,
    /// With --checkout: check out only this directory (repeatable), in cone mode with every
    /// top-level file, fetching only its blobs (fetchgit's sparseCheckout).
    #[arg(long, value_name = "DIR", requires = "checkout")]
    pub sparse: Vec<String>,
    /// Pin a URL instead: fetchurl's flat hash (file:// works too).
    #[arg(long, conflicts_with_all = ["repo", "rev", "checkout"])]
    pub url: Option<String>,
    /// With --url: unpack the archive (tar.gz/xz/bz2, zip) and strip its root like fetchzip.
    #[arg(long, requires = "url")]
    pub unpack: bool,
    /// Update this existing source.json in place (other fields and key order kept).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
}

/// JSON fields in output order.
type Fields = Vec<(&'static str, Value)>;

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Fail on a bad --write target before any fetching.
    let existing_fetcher = match &args.write {
        Some(path) => Some(atnix_pin::read_fetcher(path)?),
        None => None,
    };
    let (pin, updates, fetcher): (Fields, Fields, Fetcher) = if let Some(url) = &args.url {
        let hash = atnix_prefetch::prefetch_url(url, args.unpack)?;
        let hash = Value::from(hash.to_sri());
        (
            vec![
                ("fetcher", "url".into()),
                ("url", url.as_str().into()),
                ("hash", hash.clone()),
            ],
            vec![("url", url.as_str().into()), ("hash", hash)],
            Fetcher::Url,
        )
    } else {
        let repo = args.repo.as_deref().expect("clap requires repo or --url");
        let Some(rev) = args.rev.as_deref() else {
            bail!("--rev is required with a repository (a commit, tag or branch)");
        };
        let mode = if args.checkout {
            GitMode::Checkout {
                submodules: args.submodules,
                sparse: args.sparse.clone(),
            }
        } else {
            GitMode::Archive
        };
        let got = atnix_prefetch::prefetch_git(repo, rev, mode.clone())
            .with_context(|| format!("cannot prefetch rev {rev}"))?;
        let is_url = !Path::new(repo).exists();
        let mut pin: Fields = Vec::new();
        let fetcher = match (mode, atnix_prefetch::infer_locator(repo)) {
            (GitMode::Archive, Some(loc)) if loc.fetcher == Fetcher::Tangled => {
                pin.push(("fetcher", loc.fetcher.name().into()));
                // fetchFromTangled takes only `did`, fetching
                // https://<domain>/<did>/archive/<rev>; owner/repo are for people.
                if loc.owner.starts_with("did:") {
                    pin.push(("did", format!("{}/{}", loc.owner, loc.repo).into()));
                } else {
                    eprintln!(
                        "note: fetchFromTangled needs `did`: add \"did\": \"did:plc:<DID of {}>/{}\" (or the repository's DID)",
                        loc.owner, loc.repo
                    );
                    pin.push(("owner", loc.owner.into()));
                    pin.push(("repo", loc.repo.into()));
                }
                loc.fetcher
            }
            (GitMode::Archive, Some(loc)) => {
                pin.push(("fetcher", loc.fetcher.name().into()));
                pin.push(("owner", loc.owner.into()));
                pin.push(("repo", loc.repo.into()));
                loc.fetcher
            }
            (GitMode::Archive, None) => {
                if is_url {
                    pin.push(("url", repo.into()));
                }
                Fetcher::GitHub
            }
            (GitMode::Checkout { .. }, _) => {
                pin.push(("fetcher", "git".into()));
                if is_url {
                    pin.push(("url", repo.into()));
                }
                Fetcher::Git
            }
        };
        let rev = Value::from(got.rev);
        let hash = Value::from(got.hash.to_sri());
        pin.push(("rev", rev.clone()));
        pin.push(("hash", hash.clone()));
        let mut updates = vec![("rev", rev), ("hash", hash)];
        if !args.sparse.is_empty() {
            let sparse = Value::from(args.sparse.clone());
            pin.push(("sparseCheckout", sparse.clone()));
            updates.push(("sparseCheckout", sparse));
        }
        (pin, updates, fetcher)
    };

    if let (Some(path), Some(existing)) = (&args.write, existing_fetcher) {
        check_fetcher(existing, fetcher)
            .and_then(|()| check_unpack(path, existing, args.unpack))
            .with_context(|| format!("not updating {}", path.display()))?;
        atnix_prefetch::update_source_json(path, &updates)
            .with_context(|| format!("cannot update {}", path.display()))?;
        eprintln!("updated {}", path.display());
    }
    print!("{}", atnix_prefetch::pin_json(&pin));
    Ok(ExitCode::SUCCESS)
}

/// Refuses to record a hash computed with other semantics than the file's fetcher uses.
fn check_fetcher(existing: Fetcher, computed: Fetcher) -> anyhow::Result<()> {
    let ok = match existing {
        Fetcher::GitHub | Fetcher::Tangled => {
            matches!(computed, Fetcher::GitHub | Fetcher::Tangled)
        }
        Fetcher::Git => computed == Fetcher::Git,
        Fetcher::Url => computed == Fetcher::Url,
        Fetcher::CratesIo => bail!(
            "its fetcher is \"crates-io\", which `atnix prefetch --write` does not update; fetchCrate's hash \
             is the one `atnix prefetch --url https://crates.io/api/v1/crates/NAME/VERSION/download --unpack` prints"
        ),
    };
    if !ok {
        bail!(
            "its fetcher is {:?}, which hashes a different tree; use {}",
            existing.name(),
            match existing {
                Fetcher::Git => "--checkout",
                Fetcher::Url => "--url",
                _ => "the default git archive mode (no --checkout)",
            }
        );
    }
    Ok(())
}

/// A `url` pin says whether Nix unpacks the download; the hash must agree.
fn check_unpack(path: &Path, existing: Fetcher, unpack: bool) -> anyhow::Result<()> {
    if existing != Fetcher::Url {
        return Ok(());
    }
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value = serde_json::from_slice(&text)?;
    let wants = doc.get("unpack").and_then(Value::as_bool).unwrap_or(false);
    if wants != unpack {
        bail!(
            "its `unpack` is {wants}, so the hash must be computed {} --unpack",
            if wants { "with" } else { "without" }
        );
    }
    Ok(())
}
