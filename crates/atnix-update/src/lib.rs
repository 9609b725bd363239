//! `atnix update`: moves a package's `source.json` to the newest upstream
//! release or commit its `update` policy names, recomputes the source and
//! dependency hashes with atnix-prefetch and atnix-vendor, optionally builds
//! the package natively to refresh its `--help` fixtures, and checks the
//! service modules' flags against the fixtures.
//!
//! [`check`] only computes a [`Plan`]; [`write`] is the one function that
//! changes files. Remotes are read with the git CLI, so the user's git config
//! (`url.*.insteadOf`, credentials) applies.

pub mod flags;
pub mod remote;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use atnix_pin::{Source, SourcePin, Update};
use atnix_prefetch::GitMode;
use atnix_vendor::{Cache, FetchOptions};
use serde_json::Value;

pub use remote::{Ref, Target};

/// Why a package could not be checked or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot run git: {0}")]
    GitMissing(std::io::Error),
    #[error("git {action} failed for {url}: {stderr}")]
    Git {
        url: String,
        action: &'static str,
        stderr: String,
    },
    #[error(transparent)]
    Pin(#[from] atnix_pin::Error),
    #[error("{}: {message}", path.display())]
    Policy { path: PathBuf, message: String },
    #[error(transparent)]
    Prefetch(#[from] atnix_prefetch::Error),
    #[error(transparent)]
    Vendor(#[from] atnix_vendor::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("build of {package} failed: {message}")]
    Build { package: String, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// A package with a pin: `pkgs/<name>/source.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub dir: PathBuf,
}

impl Package {
    pub fn source_json(&self) -> PathBuf {
        self.dir.join("source.json")
    }
}

/// Every package under `root/pkgs` that has a source.json, sorted by name.
pub fn packages(root: &Path) -> Result<Vec<Package>, Error> {
    let pkgs = root.join("pkgs");
    let mut found = Vec::new();
    for entry in fs::read_dir(&pkgs).map_err(io(&pkgs))? {
        let dir = entry.map_err(io(&pkgs))?.path();
        if dir.join("source.json").is_file() {
            let name = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            found.push(Package { name, dir });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// What [`check`] does beyond resolving and hashing.
#[derive(Clone, Debug)]
pub struct Options {
    /// Build natively (`cargo build --release --locked`) and capture the
    /// policy's `--help` fixtures.
    pub build: bool,
    pub cache: Cache,
    pub fetch: FetchOptions,
}

/// Where a package stands.
#[derive(Debug)]
pub enum Outcome {
    /// The pin has no `update` policy.
    NoPolicy,
    /// The policy's commit is the pinned one.
    UpToDate { rev: String },
    /// A newer commit, with everything [`write`] would change.
    Update(Box<Plan>),
}

/// One package's update, computed but not written.
#[derive(Debug)]
pub struct Plan {
    pub from_rev: String,
    pub to: Target,
    /// source.json fields to set (rev, hash, version, tag, dependency hash).
    pub fields: Vec<(&'static str, Value)>,
    /// Upstream's Cargo.lock at the new commit, for a package that keeps a copy.
    pub cargo_lock: Option<(PathBuf, Vec<u8>)>,
    pub fixtures: Vec<FixtureDiff>,
    /// Flags a module passes that its fixtures no longer list: the update
    /// must not be written until the module is fixed.
    pub gone: Vec<String>,
}

impl Plan {
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// A help fixture as the new build prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureDiff {
    pub fixture: String,
    pub path: PathBuf,
    pub text: String,
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

/// The update policy and remote of a package's pin, or `None` without a policy.
fn policy(pkg: &Package) -> Result<Option<(SourcePin, Update, String)>, Error> {
    let path = pkg.source_json();
    let pin = atnix_pin::read(&path)?;
    let Some(update) = pin.common.update.clone() else {
        return Ok(None);
    };
    let Some(url) = pin.git_url() else {
        return Err(Error::Policy {
            path,
            message: format!(
                "an update policy needs a git source; the {} fetcher has none",
                pin.fetcher()
            ),
        });
    };
    Ok(Some((pin, update, url)))
}

/// A package's pin, its policy, and the commit the policy points at now.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub pin: SourcePin,
    pub update: Update,
    pub target: Target,
}

/// The commit each package's policy points at, with one `git ls-remote` per
/// package, all at once (this is the whole cost for packages that are current).
pub fn resolve(pkgs: &[Package]) -> Vec<Result<Option<Resolved>, Error>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = pkgs
            .iter()
            .map(|pkg| {
                s.spawn(move || {
                    let Some((pin, update, url)) = policy(pkg)? else {
                        return Ok(None);
                    };
                    let refs = remote::ls_remote(&url)?;
                    let target = remote::pick(&update, &refs).map_err(|message| Error::Policy {
                        path: pkg.source_json(),
                        message: format!("{url}: {message}"),
                    })?;
                    Ok(Some(Resolved {
                        pin,
                        update,
                        target,
                    }))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a resolver thread panicked"))
            .collect()
    })
}

/// Checks one package end to end: resolve, and for a newer commit fetch it,
/// hash it, recompute its dependency hash and diff its fixtures.
pub fn check(root: &Path, pkg: &Package, opts: &Options) -> Result<Outcome, Error> {
    let resolved = resolve(std::slice::from_ref(pkg))
        .pop()
        .expect("one result");
    plan(root, pkg, resolved?, opts)
}

/// The rest of [`check`] once [`resolve`] has answered.
pub fn plan(
    root: &Path,
    pkg: &Package,
    resolved: Option<Resolved>,
    opts: &Options,
) -> Result<Outcome, Error> {
    let Some(Resolved {
        pin,
        update,
        target,
    }) = resolved
    else {
        return Ok(Outcome::NoPolicy);
    };
    let from_rev = pin.rev().unwrap_or_default().to_owned();
    if target.commit == from_rev {
        return Ok(Outcome::UpToDate { rev: from_rev });
    }
    let url = pin.git_url().expect("policy() checked for a git source");
    let tmp = tempfile::Builder::new()
        .prefix("atnix-update-")
        .tempdir()
        .map_err(io(&std::env::temp_dir()))?;
    let mode = GitMode::of_pin(&pin).expect("policy() checked for a git source");
    let sparse = match &mode {
        GitMode::Checkout { sparse, .. } => sparse.clone(),
        GitMode::Archive => Vec::new(),
    };
    let repo = tmp.path().join("repo.git");
    let commit = fetch(&url, &target.refname, &repo, !sparse.is_empty())?;
    let to = Target { commit, ..target };
    // A sparse pin's local copy has no blobs (they may not all be fetchable):
    // its tree is fetched from upstream again, only the cone's blobs.
    let repo_str = if sparse.is_empty() {
        repo.to_string_lossy().into_owned()
    } else {
        url.clone()
    };
    let hash = atnix_prefetch::prefetch_git(&repo_str, &to.commit, mode)?.hash;
    let mut fields: Vec<(&'static str, Value)> = vec![
        ("rev", to.commit.clone().into()),
        ("hash", hash.to_sri().into()),
    ];
    let version = match to.tag.as_deref() {
        Some(tag) => remote::tag_version(tag).unwrap_or(tag).to_owned(),
        None => unstable_version(pin.version(), &commit_date(&repo, &to.commit)?),
    };
    fields.push(("version", version.into()));
    if let (Some(tag), Source::GitHub(_) | Source::Tangled(_)) = (&to.tag, &pin.source) {
        fields.push(("tag", tag.clone().into()));
    }

    let kept_lock = pkg.dir.join("Cargo.lock");
    let needs_tree = pin.dependency_hash().is_some() || kept_lock.is_file() || opts.build;
    let src = tmp.path().join("src");
    if needs_tree {
        atnix_prefetch::checkout(&repo_str, &to.commit, false, &sparse, &src)?;
    }
    if let Some((key, _)) = pin.dependency_hash() {
        let hash = match key {
            "cargoHash" => atnix_vendor::cargo_hash(&src, &opts.cache, &opts.fetch)?,
            "npmDepsHash" => atnix_vendor::npm_hash(&src, &opts.cache, &opts.fetch)?,
            "pnpmCacheHash" => atnix_vendor::pnpm_cache_hash(&src, &opts.cache, &opts.fetch)?,
            "yarnDepsHash" => {
                atnix_vendor::yarn_offline_cache_hash(&src, &opts.cache, &opts.fetch)?
            }
            "vendorHash" => atnix_vendor::go_vendor_hash(
                &src,
                &opts.cache,
                &opts.fetch,
                &atnix_vendor::GoOptions::default(),
            )?,
            other => {
                return Err(Error::Policy {
                    path: pkg.source_json(),
                    message: format!(
                        "`{other}` cannot be recomputed without Nix; use pnpmCacheHash (see `atnix vendor-hash pnpm`)"
                    ),
                });
            }
        };
        fields.push((key, hash.to_sri().into()));
    }
    let cargo_lock = if kept_lock.is_file() {
        Some((kept_lock.clone(), new_cargo_lock(&kept_lock, &src)?))
    } else {
        None
    };

    let built = if opts.build {
        build_help(pkg, &src, &tmp.path().join("target"), update.help())?
    } else {
        Vec::new()
    };
    let (fixtures, gone) = diff_fixtures(root, update.help(), built)?;
    Ok(Outcome::Update(Box::new(Plan {
        from_rev,
        to,
        fields,
        cargo_lock,
        fixtures,
        gone,
    })))
}

/// Fetches `refname` from `url` (shallow) into a new bare repository at
/// `repo` and returns the commit it names.
/// Fetches `refname` of `url` shallowly into a new bare repository at `repo`;
/// `blobless` leaves the blobs out (a partial clone, for sparse pins, whose
/// upstream may lack some), keeping the commit and its trees.
fn fetch(url: &str, refname: &str, repo: &Path, blobless: bool) -> Result<String, Error> {
    git(
        None,
        url,
        "init",
        &["init", "-q", "--bare", &repo.to_string_lossy()],
    )?;
    if blobless {
        // `--filter` needs a named remote, which becomes the promisor.
        git(
            Some(repo),
            url,
            "remote add",
            &["remote", "add", "origin", url],
        )?;
    }
    let mut args = vec!["fetch", "-q", "--depth", "1", "--no-tags"];
    if blobless {
        args.extend(["--filter=blob:none", "origin", refname]);
    } else {
        args.extend(["--", url, refname]);
    }
    git(Some(repo), url, "fetch", &args)?;
    let out = git(
        Some(repo),
        url,
        "rev-parse",
        &["rev-parse", "FETCH_HEAD^{commit}"],
    )?;
    Ok(out.trim().to_owned())
}

fn commit_date(repo: &Path, commit: &str) -> Result<String, Error> {
    let out = git(
        Some(repo),
        &repo.to_string_lossy(),
        "log",
        &["log", "-1", "--format=%cs", commit],
    )?;
    Ok(out.trim().to_owned())
}

pub(crate) fn git(
    dir: Option<&Path>,
    url: &str,
    action: &'static str,
    args: &[&str],
) -> Result<String, Error> {
    let mut cmd = Command::new("git");
    if let Some(dir) = dir {
        cmd.arg("-C").arg(dir);
    }
    let out = cmd
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(Error::GitMissing)?;
    if !out.status.success() {
        return Err(Error::Git {
            url: url.to_owned(),
            action,
            stderr: atnix_diag::stderr_tail(&out.stderr),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// nixpkgs' version of an unreleased commit: `<last>-unstable-<date>`, where
/// `<last>` is what the pin's version had before any `-unstable-` (0 without one).
pub fn unstable_version(old: Option<&str>, date: &str) -> String {
    let base = old
        .map(|v| v.split("-unstable-").next().unwrap_or(v))
        .filter(|v| !v.is_empty())
        .unwrap_or("0");
    format!("{base}-unstable-{date}")
}

/// The `source = "git+…"` lines of a Cargo.lock: importCargoLock needs an
/// exact outputHashes entry for each.
fn git_sources(lock: &str) -> BTreeSet<&str> {
    lock.lines()
        .filter(|l| l.starts_with("source = \"git+"))
        .collect()
}

/// Upstream's Cargo.lock at the new commit, refused when its git
/// dependencies differ from the kept copy's (their hashes need a prefetch each).
fn new_cargo_lock(kept: &Path, src: &Path) -> Result<Vec<u8>, Error> {
    let old = fs::read_to_string(kept).map_err(io(kept))?;
    let path = src.join("Cargo.lock");
    let new = fs::read_to_string(&path).map_err(io(&path))?;
    let (before, after) = (git_sources(&old), git_sources(&new));
    if before != after {
        let changed: Vec<String> = after
            .difference(&before)
            .map(|l| format!("new {}", l.trim_start_matches("source = ")))
            .chain(
                before
                    .difference(&after)
                    .map(|l| format!("dropped {}", l.trim_start_matches("source = "))),
            )
            .collect();
        return Err(Error::Policy {
            path: kept.to_owned(),
            message: format!(
                "the new Cargo.lock has other git dependencies ({}); recompute their outputHashes \
                 with `atnix prefetch <repo> --rev <commit> --checkout`, one per dependency",
                changed.join(", ")
            ),
        });
    }
    Ok(new.into_bytes())
}

/// Builds the checkout natively and runs each help command from its binaries.
fn build_help(
    pkg: &Package,
    src: &Path,
    target: &Path,
    help: &[atnix_pin::HelpCommand],
) -> Result<Vec<(String, String)>, Error> {
    let failed = |message: String| Error::Build {
        package: pkg.name.clone(),
        message,
    };
    if help.is_empty() {
        return Ok(Vec::new());
    }
    if !src.join("Cargo.toml").is_file() {
        return Err(failed(
            "--build builds cargo projects only; this source has no Cargo.toml".to_owned(),
        ));
    }
    let out = Command::new("cargo")
        .args(["build", "--release", "--locked", "--bins", "--target-dir"])
        .arg(target)
        .current_dir(src)
        .env("CARGO_INCREMENTAL", "0")
        .output()
        .map_err(|e| failed(format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(failed(atnix_diag::stderr_tail(&out.stderr)));
    }
    let bin = target.join("release");
    let mut pages = Vec::new();
    for h in help {
        let Some((program, args)) = h.argv.split_first() else {
            return Err(failed(format!("fixture {}: empty argv", h.fixture)));
        };
        let out = Command::new(bin.join(program))
            .args(args)
            .output()
            .map_err(|e| failed(format!("cannot run {program}: {e}")))?;
        if !out.status.success() {
            return Err(failed(format!(
                "`{}` exited with {}: {}",
                h.argv.join(" "),
                out.status,
                atnix_diag::stderr_tail(&out.stderr)
            )));
        }
        pages.push((
            h.fixture.clone(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
    }
    Ok(pages)
}

/// The fixture changes `built` brings, and the flags each affected module
/// passes that its fixtures (new ones in place of old) do not list.
fn diff_fixtures(
    root: &Path,
    help: &[atnix_pin::HelpCommand],
    built: Vec<(String, String)>,
) -> Result<(Vec<FixtureDiff>, Vec<String>), Error> {
    if help.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let help_dir = root.join(flags::HELP_DIR);
    let modules = flags::modules(root).map_err(io(&root.join("modules")))?;
    let mut diffs = Vec::new();
    for (fixture, text) in built {
        let path = help_dir.join(format!("{fixture}.txt"));
        let old = fs::read_to_string(&path).unwrap_or_default();
        let (old_flags, new_flags) = (flags::fixture_flags(&old), flags::fixture_flags(&text));
        diffs.push(FixtureDiff {
            removed: old_flags.difference(&new_flags).cloned().collect(),
            added: new_flags.difference(&old_flags).cloned().collect(),
            fixture,
            path,
            text,
        });
    }
    let mut affected: Vec<&(String, PathBuf)> = help
        .iter()
        .filter_map(|h| flags::module_of(&modules, &h.fixture))
        .collect();
    affected.sort();
    affected.dedup();
    let mut gone = Vec::new();
    for (module, module_path) in affected {
        let nix = fs::read_to_string(module_path).map_err(io(module_path))?;
        let names = if help_dir.is_dir() {
            flags::fixtures_of(&help_dir, module).map_err(io(&help_dir))?
        } else {
            Vec::new()
        };
        let mut pages: Vec<(String, String)> = Vec::new();
        for name in names {
            let stem = name.trim_end_matches(".txt").to_owned();
            let path = help_dir.join(&name);
            pages.push((stem, fs::read_to_string(&path).map_err(io(&path))?));
        }
        for d in diffs
            .iter()
            .filter(|d| flags::fixture_of(module, &d.fixture))
        {
            match pages.iter_mut().find(|(stem, _)| *stem == d.fixture) {
                Some(page) => page.1 = d.text.clone(),
                None => pages.push((d.fixture.clone(), d.text.clone())),
            }
        }
        let texts: Vec<&str> = pages.iter().map(|(_, t)| t.as_str()).collect();
        let rel = module_path.strip_prefix(root).unwrap_or(module_path);
        for flag in flags::missing_flags(&nix, &texts) {
            gone.push(format!(
                "{} passes {flag}, which the new --help of {module} no longer lists",
                rel.display()
            ));
        }
    }
    Ok((diffs, gone))
}

/// Writes a plan: the source.json fields, the kept Cargo.lock and the new
/// fixtures. Refuses a plan whose fixtures drop a flag a module passes.
pub fn write(pkg: &Package, plan: &Plan) -> Result<(), Error> {
    if !plan.gone.is_empty() {
        return Err(Error::Policy {
            path: pkg.source_json(),
            message: format!("not written: {}", plan.gone.join("; ")),
        });
    }
    for d in &plan.fixtures {
        write_file(&d.path, d.text.as_bytes())?;
    }
    if let Some((path, bytes)) = &plan.cargo_lock {
        write_file(path, bytes)?;
    }
    atnix_prefetch::update_source_json(&pkg.source_json(), &plan.fields)?;
    Ok(())
}

/// Replaces `path` atomically (a temporary file beside it, then rename).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    fs::write(tmp.path(), bytes).map_err(io(tmp.path()))?;
    tmp.persist(path).map_err(|e| Error::Io {
        path: path.to_owned(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_versions() {
        assert_eq!(
            unstable_version(None, "2026-01-02"),
            "0-unstable-2026-01-02"
        );
        assert_eq!(
            unstable_version(Some("0-unstable-2025-05-05"), "2026-01-02"),
            "0-unstable-2026-01-02"
        );
        assert_eq!(
            unstable_version(Some("0.3.2"), "2026-01-02"),
            "0.3.2-unstable-2026-01-02"
        );
    }

    #[test]
    fn git_dependency_lines() {
        let lock = "[[package]]\nsource = \"registry+x\"\nsource = \"git+https://a#b\"\n";
        assert_eq!(
            git_sources(lock).into_iter().collect::<Vec<_>>(),
            ["source = \"git+https://a#b\""]
        );
    }
}
