//! Source pins computed without Nix: the NAR hash that fetchFromGitHub,
//! fetchFromTangled, fetchgit, fetchzip or fetchurl would record.
//!
//! Git sources are always read through the git CLI, so the user's git
//! configuration (`url.<base>.insteadOf`, credentials, proxies) applies to the
//! fetch. The tree is then produced by git itself: `git archive` for the
//! fetchFromGitHub/fetchFromTangled semantics (export-ignore, export-subst, eol,
//! ident applied; submodules empty) or a checkout without `.git` for fetchgit.

mod deadline;
mod git;
mod pin;
mod unpack;
mod url_fetch;
mod verify;

use std::path::PathBuf;

pub use git::{GitMode, GitPin, checkout, prefetch_git};
pub use pin::{Locator, infer_locator, pin_json, update_source_json};
pub use unpack::{tar_tree, unpack_tree};
pub use url_fetch::{DEFAULT_DOWNLOAD_TIMEOUT, prefetch_url, prefetch_url_within};
pub use verify::{Verdict, verify_pin};

pub(crate) use atnix_diag::stderr_tail;
/// The typed source.json (re-exported so users of the pins need one crate).
pub use atnix_pin::{Fetcher, SourcePin};

/// Why a pin could not be computed or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot run git: {0}")]
    GitMissing(std::io::Error),
    #[error("git {action} failed for {repo}: {stderr}")]
    Git {
        action: &'static str,
        repo: String,
        stderr: String,
    },
    #[error("{what} timed out and was stopped")]
    TimedOut { what: String },
    #[error(
        "sparse checkout directory {0:?} is empty or starts with '-'; name a directory of the repository"
    )]
    SparsePath(String),
    #[error("revision {rev:?} not found in {repo}")]
    UnknownRev { rev: String, repo: String },
    #[error(transparent)]
    Nar(#[from] atnix_nar::Error),
    #[error("{what}: {message}")]
    Archive { what: String, message: String },
    #[error("cannot download {url}: {message}")]
    Download { url: String, message: String },
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    SourceJson { path: PathBuf, message: String },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    pub(crate) fn archive(what: impl Into<String>, message: impl ToString) -> Self {
        Error::Archive {
            what: what.into(),
            message: message.to_string(),
        }
    }
}
