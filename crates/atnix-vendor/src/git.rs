//! Git dependencies through the git CLI, so the user's `url.*.insteadOf`,
//! credentials and mirrors apply. Checkouts are [`atnix_prefetch::checkout`]'s
//! (fetchgit's semantics: the tree at the locked commit, submodules checked
//! out recursively, every `.git` removed), placed in the cache here.

use std::fs;
use std::process::Stdio;

use tokio::process::Command;

use crate::{Cache, Error, Result};

fn git() -> Command {
    let mut c = Command::new("git");
    // Match Nix's sandbox: no CRLF conversion, no LFS smudging, never prompt.
    c.args(["-c", "core.autocrlf=false", "-c", "core.symlinks=true"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_LFS_SKIP_SMUDGE", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}

async fn run(mut cmd: Command, what: &str) -> std::result::Result<String, String> {
    let out = cmd
        .output()
        .await
        .map_err(|e| format!("cannot run git ({what}): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`git {what}` failed ({}): {}",
            out.status,
            atnix_diag::stderr_tail(&out.stderr)
        ))
    }
}

/// Checks out `url` at `rev` into `cache.git_path(rev)`, through
/// [`atnix_prefetch::checkout`] (submodules included, every `.git` removed).
pub(crate) async fn fetch_checkout(url: &str, rev: &str, cache: &Cache) -> Result<()> {
    let (url, rev, cache) = (url.to_owned(), rev.to_owned(), cache.clone());
    let (u, r) = (url.clone(), rev.clone());
    // git runs to completion (or failure) even when the fetch is cancelled;
    // only a checked and complete tree is ever renamed into the cache.
    tokio::task::spawn_blocking(move || checkout_into_cache(&url, &rev, &cache))
        .await
        .map_err(|e| Error::Git {
            url: u,
            rev: r,
            message: format!("checkout task failed: {e}"),
        })?
}

fn checkout_into_cache(url: &str, rev: &str, cache: &Cache) -> Result<()> {
    let fail = |message: String| Error::Git {
        url: url.to_owned(),
        rev: rev.to_owned(),
        message,
    };
    let tmp_root = cache.tmp_dir()?;
    let tmp = tempfile::Builder::new()
        .prefix("git-")
        .tempdir_in(&tmp_root)
        .map_err(|e| Error::io(&tmp_root, e))?;
    let work = tmp.path().join("checkout");

    let head =
        atnix_prefetch::checkout(url, rev, true, &[], &work).map_err(|e| fail(e.to_string()))?;
    if head != rev {
        return Err(fail(format!("checked out {head} instead")));
    }

    let dest = cache.git_path(rev);
    let parent = dest.parent().expect("cache paths have a parent");
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    if let Err(e) = fs::rename(&work, &dest) {
        // Another run may have stored the same commit meanwhile.
        if !dest.is_dir() {
            return Err(Error::io(&dest, e));
        }
    }
    Ok(())
}

/// One file from the default branch of a git repository (a registry's git index).
pub(crate) async fn read_file(url: &str, file: &str, cache: &Cache) -> Result<Vec<u8>> {
    let fail = |message: String| Error::Git {
        url: url.to_owned(),
        rev: "HEAD".to_owned(),
        message,
    };
    let tmp_root = cache.tmp_dir()?;
    let tmp = tempfile::Builder::new()
        .prefix("index-")
        .tempdir_in(&tmp_root)
        .map_err(|e| Error::io(&tmp_root, e))?;
    let mut c = git();
    c.args(["clone", "-q", "--depth", "1", url])
        .arg(tmp.path().join("index"));
    run(c, "clone").await.map_err(fail)?;
    let path = tmp.path().join("index").join(file);
    fs::read(&path).map_err(|e| Error::io(&path, e))
}
