//! Nix archive (NAR) serialisation and the hash encodings Nix prints.
//!
//! `nar_hash(path)` is byte for byte what `nix-hash --type sha256 PATH` computes;
//! [`Entry`] lets callers hash a tree that only exists in memory or is spread
//! over several places on disk (a vendor staging directory, for example)
//! without copying it first.

mod encoding;
mod nar;
mod parallel;

pub use encoding::{Hash, ParseHashError};
pub use nar::{
    Contents, Entry, NarWriter, flat_hash, flat_hash_reader, nar_hash, nar_hash_entry, write_nar,
};

use std::path::PathBuf;

/// Why a path could not be archived.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The I/O error is part of the message (not a separate `source`), so a
    /// printed error chain names it once.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "{path}: unsupported file type ({kind}); a NAR holds only regular files, directories and symlinks"
    )]
    UnsupportedType { path: PathBuf, kind: &'static str },
    #[error("{path}: --flat needs a regular file")]
    NotAFile { path: PathBuf },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}
