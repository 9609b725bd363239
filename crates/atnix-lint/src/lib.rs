//! The repository's own lint: parsing, pins, package meta, module options.
//!
//! [`check`] walks a repository, parses every `.nix` file with rnix and every
//! `source.json` with serde_json, reads the CI workflows (`.github/workflows`,
//! `.tangled/workflows`), and returns [`Finding`]s that print as
//! `file:line rule: what to do`. [`inventory`] lists the packages and modules
//! (with their pins and systemd units) for `atnix report`.
//!
//! Directories named `.git`, `target`, `node_modules` or `result*`, hidden
//! directories, and any directory holding a `.atnix-lint-skip` file (test
//! fixtures of this crate) are not walked.

mod inventory;
mod layout;
mod nixrules;
mod source;
mod syntax;
mod workflows;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

pub use inventory::{Inventory, Module, Package, inventory};
pub use layout::discovered_modules;
pub use source::{SourcePin, parse_source_pin};

/// Name of the file that keeps a directory (and everything below it) out of the walk.
pub const SKIP_MARKER: &str = ".atnix-lint-skip";

/// Where the committed list of nixpkgs attribute names our modules use lives.
pub const NIXPKGS_ATTRS_FILE: &str = "tests/eval/nixpkgs-attrs.txt";

/// One lint rule; its [`Rule::name`] is what a finding prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A `.nix` file does not parse.
    Parse,
    /// A `source.json` is not valid JSON or not of the documented shape.
    SourceJson,
    /// A `source.json` rev is not a full 40-hex commit.
    PinRev,
    /// A `source.json` hash is not an SRI sha256 hash.
    PinHash,
    /// A fake or all-zero hash, or `lib.fakeHash`.
    FakeHash,
    /// A rev, tag or hash written inline under `pkgs/` instead of read from source.json.
    InlinePin,
    /// A rev that names a branch (`main`, `master`, `HEAD`).
    BranchRev,
    /// A package without meta.description, meta.homepage or meta.license.
    PackageMeta,
    /// A package installing binaries without meta.mainProgram.
    MainProgram,
    /// `mkPackageOption` naming a package that is neither ours nor a known nixpkgs attribute.
    PackageOption,
    /// `mkOption` without a description.
    OptionDescription,
    /// A service module without its evaluation cases, VM test or help fixture.
    ServiceLayout,
    /// A CI workflow calling a script or flake output the repository does not have.
    WorkflowRef,
}

impl Rule {
    pub const ALL: [Rule; 13] = [
        Rule::Parse,
        Rule::SourceJson,
        Rule::PinRev,
        Rule::PinHash,
        Rule::FakeHash,
        Rule::InlinePin,
        Rule::BranchRev,
        Rule::PackageMeta,
        Rule::MainProgram,
        Rule::PackageOption,
        Rule::OptionDescription,
        Rule::ServiceLayout,
        Rule::WorkflowRef,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Parse => "parse",
            Rule::SourceJson => "source-json",
            Rule::PinRev => "pin-rev",
            Rule::PinHash => "pin-hash",
            Rule::FakeHash => "fake-hash",
            Rule::InlinePin => "inline-pin",
            Rule::BranchRev => "branch-rev",
            Rule::PackageMeta => "package-meta",
            Rule::MainProgram => "main-program",
            Rule::PackageOption => "package-option",
            Rule::OptionDescription => "option-description",
            Rule::ServiceLayout => "service-layout",
            Rule::WorkflowRef => "workflow-ref",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One problem: `file:line rule: message`. `file` is relative to the checked
/// directory, with `/` separators.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} {}: {}",
            self.file, self.line, self.rule, self.message
        )
    }
}

/// What a check found and how much it looked at.
#[derive(Debug, Default)]
pub struct Checked {
    /// Sorted by file, line, rule, message; no duplicates.
    pub findings: Vec<Finding>,
    pub nix_files: usize,
    pub source_files: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// Files the lint looks at, relative paths with `/` separators, sorted.
#[derive(Debug, Default)]
pub(crate) struct RepoFiles {
    pub nix: Vec<String>,
    pub sources: Vec<String>,
}

pub(crate) fn walk(root: &Path) -> Result<RepoFiles, Error> {
    let meta = std::fs::metadata(root).map_err(io_err(root))?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(root.to_owned()));
    }
    let mut files = RepoFiles::default();
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(io_err(&dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err(&dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let file_type = entry.file_type().map_err(io_err(&entry.path()))?;
            let child_rel = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            if file_type.is_dir() {
                let skipped = name.starts_with('.')
                    || name == "target"
                    || name == "node_modules"
                    || name.starts_with("result")
                    || entry.path().join(SKIP_MARKER).exists();
                if !skipped {
                    stack.push((entry.path(), child_rel));
                }
            } else if file_type.is_file() {
                if name.ends_with(".nix") {
                    files.nix.push(child_rel);
                } else if name == "source.json" {
                    files.sources.push(child_rel);
                }
            }
        }
    }
    files.nix.sort();
    files.sources.sort();
    Ok(files)
}

/// What the rules need to know about the repository as a whole.
#[derive(Debug, Default)]
pub(crate) struct RepoContext {
    /// Attribute names `pkgs/default.nix` defines; `None` when it is absent or unreadable.
    pub our_attrs: Option<BTreeSet<String>>,
    /// Attribute paths listed in tests/eval/nixpkgs-attrs.txt; `None` when absent.
    pub nixpkgs_attrs: Option<BTreeSet<String>>,
}

fn read_nixpkgs_attrs(root: &Path) -> Result<Option<BTreeSet<String>>, Error> {
    let path = root.join(NIXPKGS_ATTRS_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(&path)(e)),
    }
}

/// Runs every rule over the repository at `root`.
pub fn check(root: &Path) -> Result<Checked, Error> {
    let files = walk(root)?;
    let mut findings = Vec::new();

    let mut parsed = Vec::with_capacity(files.nix.len());
    for rel in &files.nix {
        let path = root.join(rel);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        match String::from_utf8(bytes) {
            Ok(text) => parsed.push(nixrules::NixFile::parse(rel.clone(), text)),
            Err(_) => findings.push(Finding {
                file: rel.clone(),
                line: 1,
                rule: Rule::Parse,
                message: "the file is not UTF-8; Nix files must be UTF-8 text".into(),
            }),
        }
    }

    let ctx = RepoContext {
        our_attrs: parsed
            .iter()
            .find(|f| f.rel == "pkgs/default.nix" && f.errors.is_empty())
            .map(nixrules::package_set_attrs),
        nixpkgs_attrs: read_nixpkgs_attrs(root)?,
    };

    for file in &parsed {
        nixrules::check_file(file, &ctx, &mut findings);
    }

    for rel in &files.sources {
        let path = root.join(rel);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        source::check_source(rel, &bytes, &mut findings);
    }

    layout::check_layout(root, &mut findings)?;
    workflows::check_workflows(root, &mut findings)?;

    findings.sort();
    findings.dedup();
    Ok(Checked {
        findings,
        nix_files: files.nix.len(),
        source_files: files.sources.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_skips_marked_build_and_hidden_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for rel in [
            "a.nix",
            "pkgs/x/source.json",
            "fixtures/bad.nix",
            "target/t.nix",
            "node_modules/n.nix",
            ".git/g.nix",
            "result/r.nix",
        ] {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{ }").unwrap();
        }
        std::fs::write(root.join("fixtures").join(SKIP_MARKER), "").unwrap();
        let files = walk(root).unwrap();
        assert_eq!(files.nix, ["a.nix"]);
        assert_eq!(files.sources, ["pkgs/x/source.json"]);
    }

    #[test]
    fn non_utf8_nix_file_is_a_finding() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.nix"), b"{ a = \"\xff\"; }").unwrap();
        let checked = check(dir.path()).unwrap();
        assert_eq!(checked.findings.len(), 1);
        assert_eq!(checked.findings[0].rule, Rule::Parse);
        assert_eq!(
            checked.findings[0].to_string().split(':').next(),
            Some("a.nix")
        );
    }

    #[test]
    fn not_a_directory_is_an_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        assert!(matches!(check(file.path()), Err(Error::NotADirectory(_))));
    }
}
