//! Git dependencies through the git CLI, so the user's `url.*.insteadOf`,
//! credentials and mirrors apply. The result follows fetchgit's checkout
//! semantics: the tree at the locked commit, submodules checked out
//! recursively, every `.git` removed.

use std::fs;
use std::path::Path;
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
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .rev()
            .take(6)
            .collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "`git {what}` failed ({}): {}",
            out.status,
            tail.join(" / ")
        ))
    }
}

/// Checks out `url` at `rev` into `cache.git_path(rev)`.
pub(crate) async fn fetch_checkout(url: &str, rev: &str, cache: &Cache) -> Result<()> {
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

    let mut c = git();
    c.arg("init").arg("-q").arg(&work);
    run(c, "init").await.map_err(fail)?;
    let in_work = |args: &[&str]| {
        let mut c = git();
        c.arg("-C").arg(&work).args(args);
        c
    };
    run(in_work(&["remote", "add", "origin", url]), "remote add")
        .await
        .map_err(fail)?;
    // Fetch just the commit; servers that refuse unadvertised commits get a full fetch.
    if run(
        in_work(&["fetch", "-q", "--depth", "1", "origin", rev]),
        "fetch",
    )
    .await
    .is_err()
    {
        run(
            in_work(&[
                "fetch",
                "-q",
                "--tags",
                "origin",
                "+refs/heads/*:refs/remotes/origin/*",
            ]),
            "fetch",
        )
        .await
        .map_err(fail)?;
    }
    run(
        in_work(&["-c", "advice.detachedHead=false", "checkout", "-q", rev]),
        "checkout",
    )
    .await
    .map_err(fail)?;
    let head = run(in_work(&["rev-parse", "HEAD"]), "rev-parse")
        .await
        .map_err(fail)?;
    if head.trim() != rev {
        return Err(fail(format!("checked out {} instead", head.trim())));
    }
    run(
        in_work(&["submodule", "update", "--init", "--recursive", "-q"]),
        "submodule update",
    )
    .await
    .map_err(fail)?;
    remove_dot_git(&work)?;

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

/// Removes every entry named `.git` (directories and gitlink files), as nix-prefetch-git does.
fn remove_dot_git(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if entry.file_name() == ".git" {
            if ft.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            }
            .map_err(|e| Error::io(&path, e))?;
        } else if ft.is_dir() {
            remove_dot_git(&path)?;
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
