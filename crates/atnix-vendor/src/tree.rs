use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use atnix_nar::{Contents, Entry};

use crate::{Error, Result};

/// An [`Entry`] mirroring the tree at `path`; files are referenced, not read.
pub fn entry_from_dir(path: &Path) -> Result<Entry> {
    let meta = fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = fs::read_link(path).map_err(|e| Error::io(path, e))?;
        Ok(Entry::Symlink {
            target: target.as_os_str().as_bytes().to_vec(),
        })
    } else if ft.is_dir() {
        let mut dir = Entry::dir();
        let Entry::Directory(children) = &mut dir else {
            unreachable!()
        };
        for child in fs::read_dir(path).map_err(|e| Error::io(path, e))? {
            let child = child.map_err(|e| Error::io(path, e))?;
            let name = child.file_name();
            children.insert(name.as_bytes().to_vec(), entry_from_dir(&path.join(&name))?);
        }
        Ok(dir)
    } else if ft.is_file() {
        Ok(Entry::File {
            executable: meta.permissions().mode() & 0o100 != 0,
            contents: Contents::Path(path.to_owned()),
        })
    } else {
        Err(Error::Unsupported(format!(
            "{}: not a regular file, directory or symlink",
            path.display()
        )))
    }
}

/// A fixed-output tree of a lockfile (its bytes at `lock_path`) and cache
/// files, each at its path: the shape of fetchPnpmCache's and fetchYarnDeps'
/// outputs.
pub(crate) fn lockfile_and_files<'a>(
    cache: &crate::Cache,
    lock_path: &str,
    lock_bytes: &[u8],
    files: impl IntoIterator<Item = (&'a str, &'a crate::Digest)>,
) -> Entry {
    let mut root = Entry::dir();
    root.insert(
        lock_path.as_bytes(),
        Entry::File {
            executable: false,
            contents: Contents::Bytes(lock_bytes.to_vec()),
        },
    );
    for (path, digest) in files {
        root.insert(
            path.as_bytes(),
            Entry::File {
                executable: false,
                contents: Contents::Path(cache.file_path(digest)),
            },
        );
    }
    root
}
