//! Content-addressed download cache: `<root>/<algo>/<hex>` for files and
//! `<root>/git/<rev>/` for fetchgit-style checkouts. Entries appear only by
//! rename from `<root>/tmp/`, so an interrupted run never leaves a partial entry.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Digest, Error, Result};

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The user's cache directory for atnix (`$XDG_CACHE_HOME/atnix` on Linux).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("atnix"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn file_path(&self, digest: &Digest) -> PathBuf {
        self.root.join(digest.algo.name()).join(digest.hex())
    }

    pub fn git_path(&self, rev: &str) -> PathBuf {
        self.root.join("git").join(rev)
    }

    pub fn has_file(&self, digest: &Digest) -> bool {
        self.file_path(digest).is_file()
    }

    pub fn has_git(&self, rev: &str) -> bool {
        self.git_path(rev).is_dir()
    }

    /// Directory for in-progress writes, on the same filesystem as the entries.
    pub(crate) fn tmp_dir(&self) -> Result<PathBuf> {
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(tmp)
    }

    /// Stores `data`, which the caller has verified against `digest`.
    pub(crate) fn put_file(&self, digest: &Digest, data: &[u8]) -> Result<PathBuf> {
        let dest = self.file_path(digest);
        let parent = dest.parent().expect("cache paths have a parent");
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let tmp = self.tmp_dir()?;
        let mut file = tempfile::NamedTempFile::new_in(&tmp).map_err(|e| Error::io(&tmp, e))?;
        file.write_all(data)
            .and_then(|()| file.as_file().sync_data())
            .map_err(|e| Error::io(file.path(), e))?;
        file.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
        Ok(dest)
    }
}
