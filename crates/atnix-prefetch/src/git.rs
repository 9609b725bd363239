use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use atnix_nar::Hash;

use crate::Error;

/// Which tree of the commit is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitMode {
    /// `git archive` of the commit, as GitHub and Tangled serve it to
    /// fetchFromGitHub/fetchFromTangled (via fetchzip): export-ignore and
    /// export-subst applied, eol/ident converted, submodules empty directories.
    Archive,
    /// fetchgit's tree: a checkout (eol/ident/filters applied, no export-*)
    /// with every `.git` removed; `submodules` checks them out recursively.
    /// A non-empty `sparse` is fetchgit's `sparseCheckout`: only these
    /// directories (cone mode, so with every top-level file) are checked out,
    /// and only their blobs are fetched.
    Checkout {
        submodules: bool,
        sparse: Vec<String>,
    },
}

impl GitMode {
    /// The tree a git pin's hash covers (`fetchgit`'s checkout, or the
    /// `git archive` fetchFromGitHub and fetchFromTangled download); `None`
    /// for downloads.
    pub fn of_pin(pin: &atnix_pin::SourcePin) -> Option<GitMode> {
        use atnix_pin::Source;
        match &pin.source {
            Source::Git(g) => Some(GitMode::Checkout {
                submodules: g.fetch_submodules.unwrap_or(false),
                sparse: g.sparse_checkout.clone().unwrap_or_default(),
            }),
            Source::GitHub(_) | Source::Tangled(_) => Some(GitMode::Archive),
            Source::Url(_) | Source::CratesIo(_) => None,
        }
    }
}

/// A resolved commit and the NAR hash of its tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitPin {
    /// Full 40-hex commit id.
    pub rev: String,
    pub hash: Hash,
}

/// Fetches `rev` (a commit id, possibly abbreviated, or a ref name) from `repo`
/// (a local repository path, bare or not, or any URL git understands) into a
/// temporary repository and hashes the tree `mode` selects.
pub fn prefetch_git(repo: &str, rev: &str, mode: GitMode) -> Result<GitPin, Error> {
    prefetch_git_until(repo, rev, mode, None)
}

/// [`prefetch_git`] where every git process still running at `deadline` is
/// killed with its children, and the prefetch fails with [`Error::TimedOut`].
pub(crate) fn prefetch_git_until(
    repo: &str,
    rev: &str,
    mode: GitMode,
    deadline: Option<Instant>,
) -> Result<GitPin, Error> {
    let tmp = tempfile::Builder::new()
        .prefix("atnix-prefetch-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let dir = tmp.path().join("repo");
    let (commit, hash) = match mode {
        GitMode::Archive => {
            let (ctx, _) = Git::init(repo, &dir, true, deadline)?;
            let commit = ctx.fetch(rev)?;
            tracing::debug!(%commit, "fetched");
            let hash = ctx.archive_hash(&commit)?;
            (commit, hash)
        }
        GitMode::Checkout { submodules, sparse } => {
            let commit = checkout_until(repo, rev, submodules, &sparse, &dir, deadline)?;
            (commit, atnix_nar::nar_hash(&dir)?)
        }
    };
    Ok(GitPin { rev: commit, hash })
}

/// fetchgit's checkout: fetches `rev` (as in [`prefetch_git`]) from `repo`
/// and leaves at `dest` (which must not exist or be empty) its tree checked
/// out, with submodules checked out recursively when `submodules` is set,
/// only the `sparse` directories when it is not empty (see
/// [`GitMode::Checkout`]), and every `.git` removed. Returns the full commit id.
///
/// The checkout sees no line-ending conversion beyond the repository's own
/// attributes, none of the user's global attributes, no LFS smudging and
/// never prompts; `url.*.insteadOf` and credentials still come from the user.
pub fn checkout(
    repo: &str,
    rev: &str,
    submodules: bool,
    sparse: &[String],
    dest: &Path,
) -> Result<String, Error> {
    checkout_until(repo, rev, submodules, sparse, dest, None)
}

fn checkout_until(
    repo: &str,
    rev: &str,
    submodules: bool,
    sparse: &[String],
    dest: &Path,
    deadline: Option<Instant>,
) -> Result<String, Error> {
    if let Some(bad) = sparse.iter().find(|d| d.is_empty() || d.starts_with('-')) {
        return Err(Error::SparsePath(bad.clone()));
    }
    let dest = std::path::absolute(dest).map_err(|e| Error::io(dest, e))?;
    let (ctx, local) = Git::init(repo, &dest, false, deadline)?;
    if !sparse.is_empty() {
        // What nix-prefetch-git does for sparseCheckout: a partial clone (the
        // checkout fetches the blobs it keeps) and a cone-mode sparse checkout,
        // the default of the git in nixpkgs, named here for older gits.
        ctx.run_str(
            "config",
            &["config", "remote.origin.partialclonefilter", "blob:none"],
        )?;
        let mut args = vec!["sparse-checkout", "set", "--cone"];
        args.extend(sparse.iter().map(String::as_str));
        ctx.run_str("sparse-checkout", &args)?;
    }
    let commit = ctx.fetch(rev)?;
    tracing::debug!(%commit, "fetched");
    ctx.run(
        "checkout",
        &[
            "checkout".as_ref(),
            "-q".as_ref(),
            "--detach".as_ref(),
            commit.as_ref(),
        ],
    )?;
    if submodules {
        // Submodule repositories have their own config: the sandbox settings
        // reach them as command-line config, which git passes on.
        let attributes = ctx.attributes_file();
        let mut settings: Vec<OsString> = SANDBOX_CONFIG
            .iter()
            .map(|(k, v)| format!("{k}={v}").into())
            .collect();
        let mut attr = OsString::from("core.attributesFile=");
        attr.push(&attributes);
        settings.push(attr);
        if local {
            // Local submodule URLs (relative to a local superproject) need the
            // file transport, which git disables for submodules by default.
            settings.push("protocol.file.allow=always".into());
        }
        let mut args: Vec<&OsStr> = Vec::new();
        for s in &settings {
            args.extend([OsStr::new("-c"), s.as_os_str()]);
        }
        args.extend(
            ["submodule", "update", "--init", "--recursive", "-q"]
                .iter()
                .map(OsStr::new),
        );
        ctx.run("submodule update", &args)?;
    }
    remove_dot_git(&dest)?;
    Ok(commit)
}

/// What GitHub's servers and Nix's sandboxed git see: no line-ending
/// conversion beyond the repository's own attributes. `core.attributesFile`
/// (an empty file, so none of the user's global attributes) is set beside them.
const SANDBOX_CONFIG: [(&str, &str); 3] = [
    ("core.autocrlf", "false"),
    ("core.eol", "lf"),
    ("core.symlinks", "true"),
];

struct Git<'a> {
    dir: &'a Path,
    repo: &'a str,
    bare: bool,
    deadline: Option<Instant>,
}

impl<'a> Git<'a> {
    /// A new repository at `dir` (created if missing, must be empty) with the
    /// sandbox config and `repo` as its `origin`. Also says whether `repo` is
    /// local (a path or a file:// URL).
    fn init(
        repo: &'a str,
        dir: &'a Path,
        bare: bool,
        deadline: Option<Instant>,
    ) -> Result<(Git<'a>, bool), Error> {
        let (remote, local) = match Path::new(repo).exists() {
            true => {
                let abs = fs::canonicalize(repo).map_err(|e| Error::io(repo, e))?;
                (abs.into_os_string(), true)
            }
            false => (repo.into(), repo.starts_with("file://")),
        };
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::io(
                dir,
                std::io::Error::new(std::io::ErrorKind::AlreadyExists, "not an empty directory"),
            ));
        }
        let ctx = Git {
            dir,
            repo,
            bare,
            deadline,
        };
        let mut init: Vec<&OsStr> = vec!["init".as_ref(), "-q".as_ref()];
        if bare {
            init.push("--bare".as_ref());
        }
        ctx.run("init", &init)?;
        let attributes = ctx.attributes_file();
        fs::write(&attributes, b"").map_err(|e| Error::io(&attributes, e))?;
        // Repository-local config beats global config.
        for (key, value) in SANDBOX_CONFIG
            .iter()
            .map(|(k, v)| (*k, OsStr::new(v)))
            .chain([("core.attributesFile", attributes.as_os_str())])
        {
            ctx.run("config", &[OsStr::new("config"), key.as_ref(), value])?;
        }
        ctx.run(
            "remote add",
            &[
                "remote".as_ref(),
                "add".as_ref(),
                "origin".as_ref(),
                &remote,
            ],
        )?;
        Ok((ctx, local))
    }

    /// An empty attributes file inside the git directory, so removing `.git`
    /// removes it too.
    fn attributes_file(&self) -> PathBuf {
        match self.bare {
            true => self.dir.join("atnix-no-attributes"),
            false => self.dir.join(".git").join("atnix-no-attributes"),
        }
    }

    fn command(&self, cwd: &Path) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(cwd)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_LFS_SKIP_SMUDGE", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, action: &'static str, args: &[&OsStr]) -> Result<String, Error> {
        let mut cmd = self.command(self.dir);
        cmd.args(args);
        let out = match self.deadline {
            None => cmd.output().map_err(Error::GitMissing)?,
            Some(deadline) => {
                crate::deadline::output_until(cmd, deadline).map_err(|e| match e {
                    crate::deadline::Failed::Spawn(e) => Error::GitMissing(e),
                    crate::deadline::Failed::TimedOut => Error::TimedOut {
                        what: format!("git {action} of {}", self.repo),
                    },
                })?
            }
        };
        if !out.status.success() {
            return Err(Error::Git {
                action,
                repo: self.repo.to_owned(),
                stderr: crate::stderr_tail(&out.stderr),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn run_str(&self, action: &'static str, args: &[&str]) -> Result<String, Error> {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        self.run(action, &args)
    }

    /// Fetches `rev` shallowly when the server allows it, else everything, and
    /// returns the full commit id.
    fn fetch(&self, rev: &str) -> Result<String, Error> {
        if rev.is_empty() || rev.starts_with('-') {
            return Err(Error::UnknownRev {
                rev: rev.to_owned(),
                repo: self.repo.to_owned(),
            });
        }
        let shallow = self.run_str(
            "fetch",
            &["fetch", "-q", "--no-tags", "--depth", "1", "origin", rev],
        );
        match shallow {
            Ok(_) => {
                return self.run_str(
                    "rev-parse",
                    &["rev-parse", "--verify", "FETCH_HEAD^{commit}"],
                );
            }
            Err(e @ Error::TimedOut { .. }) => return Err(e),
            Err(e) => tracing::debug!("shallow fetch failed, fetching everything: {e}"),
        }
        // A full fetch reports an unreachable or invalid repository; after it
        // succeeds, a rev that does not resolve is unknown.
        self.run_str(
            "fetch",
            &[
                "fetch",
                "-q",
                "--tags",
                "origin",
                "+refs/heads/*:refs/remotes/origin/*",
            ],
        )?;
        let candidates = [
            format!("{rev}^{{commit}}"),
            format!("refs/remotes/origin/{rev}^{{commit}}"),
        ];
        for c in &candidates {
            if let Ok(commit) = self.run_str("rev-parse", &["rev-parse", "-q", "--verify", c]) {
                return Ok(commit);
            }
        }
        Err(Error::UnknownRev {
            rev: rev.to_owned(),
            repo: self.repo.to_owned(),
        })
    }

    /// Streams `git archive` of `commit` into an in-memory tree and hashes it.
    fn archive_hash(&self, commit: &str) -> Result<Hash, Error> {
        let stderr_path = self.dir.join("archive.stderr");
        let stderr = fs::File::create(&stderr_path).map_err(|e| Error::io(&stderr_path, e))?;
        let mut child = self
            .command(self.dir)
            .args(["archive", "--format=tar", commit])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(Error::GitMissing)?;
        let stdout = child.stdout.take().expect("piped stdout");
        let tree = crate::unpack::tar_tree(stdout, "git archive");
        let status = child.wait().map_err(Error::GitMissing)?;
        let stderr = fs::read(&stderr_path).unwrap_or_default();
        // A tar error makes git die of a broken pipe with nothing to say; then
        // the tar error is the one to report.
        if !status.success() && (tree.is_ok() || !stderr.is_empty()) {
            return Err(Error::Git {
                action: "archive",
                repo: self.repo.to_owned(),
                stderr: crate::stderr_tail(&stderr),
            });
        }
        Ok(atnix_nar::nar_hash_entry(&tree?)?)
    }
}

/// Removes every `.git` file or directory below `dir`, as nix-prefetch-git does.
fn remove_dot_git(dir: &Path) -> Result<(), Error> {
    let mut stack: Vec<PathBuf> = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if entry.file_name() == ".git" {
                let removed = if ft.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(|e| Error::io(&path, e))?;
            } else if ft.is_dir() {
                stack.push(path);
            }
        }
    }
    Ok(())
}
