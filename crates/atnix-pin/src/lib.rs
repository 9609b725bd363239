//! `source.json`: the typed pin of one fetched source, shared by the lint,
//! prefetch, vendor-hash and report.
//!
//! The `fetcher` field is the tag and picks which fields the rest of the file
//! may have; any fetcher may also carry the dependency hashes of [`Common`].
//! Unknown fields are rejected by name. A field is added by adding it to the
//! fetcher's struct (or to [`Common`] for every fetcher): the allowed keys are
//! read from the serde derive itself, so there is no second list to keep.
//!
//! This crate checks the shape only. Policy (full 40-hex revs, SRI hashes,
//! placeholder hashes) is the lint's job (`atnix check`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeOwned, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};
use serde_json::{Map, Value};

/// Which nixpkgs fetcher a pin is for: the `fetcher` tag of a source.json.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fetcher {
    /// `fetchFromGitHub` (a `git archive` tree).
    GitHub,
    /// `fetchFromTangled` (a `git archive` tree).
    Tangled,
    /// `fetchgit` (a checkout without `.git`).
    Git,
    /// `fetchurl`, or `fetchzip` with `"unpack": true`.
    Url,
    /// `fetchCrate` (the unpacked `.crate` from crates.io).
    CratesIo,
}

impl Fetcher {
    pub const ALL: [Fetcher; 5] = [
        Fetcher::GitHub,
        Fetcher::Tangled,
        Fetcher::Git,
        Fetcher::Url,
        Fetcher::CratesIo,
    ];

    /// The tag as source.json spells it.
    pub fn name(self) -> &'static str {
        match self {
            Fetcher::GitHub => "github",
            Fetcher::Tangled => "tangled",
            Fetcher::Git => "git",
            Fetcher::Url => "url",
            Fetcher::CratesIo => "crates-io",
        }
    }

    pub fn from_name(name: &str) -> Option<Fetcher> {
        Fetcher::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `github, tangled, git, url, crates-io`.
    pub fn names() -> String {
        Fetcher::ALL.map(Fetcher::name).join(", ")
    }

    /// Whether the pin is a git tree (and so has a `rev`).
    pub fn is_git(self) -> bool {
        matches!(self, Fetcher::GitHub | Fetcher::Tangled | Fetcher::Git)
    }

    /// The keys this fetcher's pin may have besides `fetcher` and [`Common`]'s.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Fetcher::GitHub => struct_fields::<GitHub>(),
            Fetcher::Tangled => struct_fields::<Tangled>(),
            Fetcher::Git => struct_fields::<Git>(),
            Fetcher::Url => struct_fields::<Url>(),
            Fetcher::CratesIo => struct_fields::<CratesIo>(),
        }
    }
}

impl fmt::Display for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Fetcher {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Fetcher::from_name(s).ok_or_else(|| unknown_fetcher(s))
    }
}

fn unknown_fetcher(name: &str) -> String {
    format!("unknown fetcher `{name}`; one of {}", Fetcher::names())
}

/// `fetchFromGitHub`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitHub {
    pub owner: String,
    pub repo: String,
    pub rev: String,
    pub hash: String,
    pub tag: Option<String>,
    pub version: Option<String>,
}

/// `fetchFromTangled`. nixpkgs' fetcher takes the repository as `did` and
/// fetches `https://<domain>/<did>/archive/<rev>`; since `did` may also be
/// `did:plc:…/<name>` (the owner's DID and the repository's name, a path the
/// appview serves). `owner` (the handle with its `@`) and `repo` are what
/// people know the repository by: informational, never passed to nixpkgs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tangled {
    pub did: String,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub rev: String,
    pub hash: String,
    /// The knot's host; `tangled.org` when absent.
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub version: Option<String>,
}

/// `fetchgit`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Git {
    pub url: String,
    pub rev: String,
    pub hash: String,
    pub fetch_submodules: Option<bool>,
    /// fetchgit's `sparseCheckout`: the directories a cone-mode sparse
    /// checkout keeps (besides every file at the top level). The hash is of
    /// that tree, so a pin can leave out files it cannot fetch.
    pub sparse_checkout: Option<Vec<String>>,
    pub version: Option<String>,
}

/// `fetchurl`, or `fetchzip` when `unpack` is true.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Url {
    pub url: String,
    pub hash: String,
    pub unpack: Option<bool>,
    pub version: Option<String>,
}

/// `fetchCrate`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CratesIo {
    pub pname: String,
    pub version: String,
    pub hash: String,
}

/// Fields any fetcher's pin may carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Common {
    pub cargo_hash: Option<String>,
    pub vendor_hash: Option<String>,
    pub npm_deps_hash: Option<String>,
    pub pnpm_deps_hash: Option<String>,
    /// `fetchPnpmCache`'s hash (lockfile tarballs as downloaded).
    pub pnpm_cache_hash: Option<String>,
    /// `fetchYarnDeps`' hash (a yarn v1 lockfile's tarballs as downloaded).
    pub yarn_deps_hash: Option<String>,
    /// How `atnix update` finds a newer upstream commit.
    pub update: Option<Update>,
}

/// A pin's update policy (`"update"` in source.json): which upstream commit
/// `atnix update` moves the pin to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Update {
    /// The newest release tag: `{"policy": "tags", "tagPattern": "v*"}`.
    /// Tags are compared as dotted numbers after the text before the first
    /// digit; tags with anything else (pre-releases) are skipped.
    #[serde(rename_all = "camelCase")]
    Tags {
        /// A glob (`*` matches any run of characters) a release tag matches;
        /// every tag when absent.
        tag_pattern: Option<String>,
        /// `tests/fixtures/help/<name>.txt` and the argv that prints it, for
        /// `atnix update --build`.
        #[serde(default)]
        help: Vec<HelpCommand>,
    },
    /// The newest commit of a branch: `{"policy": "branch-head", "branch": "main"}`.
    #[serde(rename_all = "camelCase")]
    BranchHead {
        /// The remote's default branch (its `HEAD`) when absent.
        branch: Option<String>,
        #[serde(default)]
        help: Vec<HelpCommand>,
    },
}

impl Update {
    /// The help fixtures `--build` refreshes.
    pub fn help(&self) -> &[HelpCommand] {
        match self {
            Update::Tags { help, .. } | Update::BranchHead { help, .. } => help,
        }
    }
}

/// One `--help` fixture and the command, run from the built package's
/// binaries, that prints it: `{"fixture": "allegedly-wrap", "argv": ["allegedly", "wrap", "--help"]}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpCommand {
    pub fixture: String,
    pub argv: Vec<String>,
}

impl Common {
    /// The dependency hashes present, with their keys.
    pub fn dependency_hashes(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("cargoHash", &self.cargo_hash),
            ("vendorHash", &self.vendor_hash),
            ("npmDepsHash", &self.npm_deps_hash),
            ("pnpmDepsHash", &self.pnpm_deps_hash),
            ("pnpmCacheHash", &self.pnpm_cache_hash),
            ("yarnDepsHash", &self.yarn_deps_hash),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }
}

/// The fetcher-specific part of a pin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    GitHub(GitHub),
    Tangled(Tangled),
    Git(Git),
    Url(Url),
    CratesIo(CratesIo),
}

/// A source.json with a valid shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePin {
    pub source: Source,
    pub common: Common,
}

impl SourcePin {
    pub fn fetcher(&self) -> Fetcher {
        match self.source {
            Source::GitHub(_) => Fetcher::GitHub,
            Source::Tangled(_) => Fetcher::Tangled,
            Source::Git(_) => Fetcher::Git,
            Source::Url(_) => Fetcher::Url,
            Source::CratesIo(_) => Fetcher::CratesIo,
        }
    }

    /// The source hash.
    pub fn hash(&self) -> &str {
        match &self.source {
            Source::GitHub(s) => &s.hash,
            Source::Tangled(s) => &s.hash,
            Source::Git(s) => &s.hash,
            Source::Url(s) => &s.hash,
            Source::CratesIo(s) => &s.hash,
        }
    }

    /// The pinned commit of a git source.
    pub fn rev(&self) -> Option<&str> {
        match &self.source {
            Source::GitHub(s) => Some(&s.rev),
            Source::Tangled(s) => Some(&s.rev),
            Source::Git(s) => Some(&s.rev),
            Source::Url(_) | Source::CratesIo(_) => None,
        }
    }

    pub fn version(&self) -> Option<&str> {
        match &self.source {
            Source::GitHub(s) => s.version.as_deref(),
            Source::Tangled(s) => s.version.as_deref(),
            Source::Git(s) => s.version.as_deref(),
            Source::Url(s) => s.version.as_deref(),
            Source::CratesIo(s) => Some(&s.version),
        }
    }

    /// `github:owner/repo`, `tangled:did:plc:…`, `git:URL`, `url:URL`, `crates-io:pname`.
    pub fn locator(&self) -> String {
        let place = match &self.source {
            Source::GitHub(s) => format!("{}/{}", s.owner, s.repo),
            Source::Tangled(s) => match &s.domain {
                Some(d) if d != DEFAULT_TANGLED_DOMAIN => format!("{d}/{}", s.did),
                _ => s.did.clone(),
            },
            Source::Git(s) => s.url.clone(),
            Source::Url(s) => s.url.clone(),
            Source::CratesIo(s) => s.pname.clone(),
        };
        format!("{}:{place}", self.fetcher())
    }

    /// The first dependency hash present, with its key.
    pub fn dependency_hash(&self) -> Option<(&'static str, &str)> {
        self.common.dependency_hashes().next()
    }

    /// The git URL a git source is fetched from.
    pub fn git_url(&self) -> Option<String> {
        match &self.source {
            Source::GitHub(s) => Some(format!("https://github.com/{}/{}.git", s.owner, s.repo)),
            Source::Tangled(s) => Some(format!(
                "https://{}/{}",
                s.domain.as_deref().unwrap_or(DEFAULT_TANGLED_DOMAIN),
                s.did
            )),
            Source::Git(s) => Some(s.url.clone()),
            Source::Url(_) | Source::CratesIo(_) => None,
        }
    }

    /// The URL a download is fetched from and whether Nix unpacks it
    /// (`url` and `crates-io` pins).
    pub fn download(&self) -> Option<(String, bool)> {
        match &self.source {
            Source::Url(s) => Some((s.url.clone(), s.unpack.unwrap_or(false))),
            // nixpkgs' fetchCrate: fetchzip of the crates.io download URL.
            Source::CratesIo(s) => Some((
                format!(
                    "https://crates.io/api/v1/crates/{}/{}/download",
                    s.pname, s.version
                ),
                true,
            )),
            _ => None,
        }
    }
}

/// fetchFromTangled's default host.
pub const DEFAULT_TANGLED_DOMAIN: &str = "tangled.org";

/// One thing wrong with a source.json's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The key it is about, when there is one.
    pub field: Option<String>,
    /// The line, when the JSON itself is broken.
    pub line: Option<usize>,
    /// The required key that is missing, for a missing one.
    pub missing: Option<String>,
    pub message: String,
}

impl Problem {
    fn at(field: &str, message: String) -> Self {
        Problem {
            field: Some(field.to_owned()),
            line: None,
            missing: None,
            message,
        }
    }
    fn file(message: String) -> Self {
        Problem {
            field: None,
            line: None,
            missing: None,
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Every problem of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Why a source.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {problems}", path.display())]
    Invalid { path: PathBuf, problems: Problems },
}

/// Reads and parses the source.json at `path`.
pub fn read(path: &Path) -> Result<SourcePin, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(&bytes).map_err(|problems| Error::Invalid {
        path: path.to_owned(),
        problems: Problems(problems),
    })
}

/// The `fetcher` of a source.json that may not be complete yet (a pin being
/// written by hand before `atnix prefetch --write` fills in `rev` and `hash`).
pub fn read_fetcher(path: &Path) -> Result<Fetcher, Error> {
    let invalid = |message: String| Error::Invalid {
        path: path.to_owned(),
        problems: Problems(vec![Problem::file(message)]),
    };
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let map = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(invalid(NOT_OBJECT.to_owned())),
        Err(e) => return Err(invalid(format!("not valid JSON ({e})"))),
    };
    fetcher_of(&map).map_err(|p| invalid(p.message))
}

const NOT_OBJECT: &str = "must be a JSON object with `fetcher` and its fields";

fn fetcher_of(map: &Map<String, Value>) -> Result<Fetcher, Problem> {
    match map.get("fetcher") {
        None => Err(Problem {
            missing: Some("fetcher".to_owned()),
            ..Problem::file(format!("missing `fetcher`; one of {}", Fetcher::names()))
        }),
        Some(Value::String(name)) => {
            Fetcher::from_name(name).ok_or_else(|| Problem::at("fetcher", unknown_fetcher(name)))
        }
        Some(other) => Err(Problem::at(
            "fetcher",
            format!(
                "`fetcher` must be a string, one of {}; got {other}",
                Fetcher::names()
            ),
        )),
    }
}

/// Parses a source.json; the error lists every problem found.
pub fn parse(bytes: &[u8]) -> Result<SourcePin, Vec<Problem>> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![Problem {
            field: None,
            line: Some(e.line().max(1)),
            missing: None,
            message: format!("not valid JSON ({e})"),
        }]
    })?;
    let Value::Object(map) = value else {
        return Err(vec![Problem::file(NOT_OBJECT.to_owned())]);
    };
    let fetcher = fetcher_of(&map).map_err(|p| vec![p])?;

    let own = fetcher.fields();
    let common = struct_fields::<Common>();
    let mut problems = Vec::new();
    let mut own_map = Map::new();
    let mut common_map = Map::new();
    for (key, value) in map {
        if key == "fetcher" {
        } else if own.contains(&key.as_str()) {
            own_map.insert(key, value);
        } else if common.contains(&key.as_str()) {
            common_map.insert(key, value);
        } else {
            problems.push(unknown_field(fetcher, &key, own, common));
        }
    }

    let source = match fetcher {
        Fetcher::GitHub => typed(fetcher, own_map).map(Source::GitHub),
        Fetcher::Tangled => typed(fetcher, own_map).map(Source::Tangled),
        Fetcher::Git => typed(fetcher, own_map).map(Source::Git),
        Fetcher::Url => typed(fetcher, own_map).map(Source::Url),
        Fetcher::CratesIo => typed(fetcher, own_map).map(Source::CratesIo),
    };
    let common = typed(fetcher, common_map);
    match (source, common) {
        (Ok(source), Ok(common)) if problems.is_empty() => Ok(SourcePin { source, common }),
        (source, common) => {
            problems.extend(source.err());
            problems.extend(common.err());
            Err(problems)
        }
    }
}

fn unknown_field(fetcher: Fetcher, key: &str, own: &[&str], common: &[&str]) -> Problem {
    let allowed: Vec<&str> = std::iter::once("fetcher")
        .chain(own.iter().copied())
        .chain(common.iter().copied())
        .collect();
    // A key another fetcher takes is misplaced, not misspelled.
    let misplaced = Fetcher::ALL.iter().any(|f| f.fields().contains(&key));
    let hint = allowed
        .iter()
        .filter(|_| !misplaced)
        .map(|k| {
            (
                edit_distance(&k.to_ascii_lowercase(), &key.to_ascii_lowercase()),
                k,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!("did you mean `{k}`? "))
        .unwrap_or_default();
    let elsewhere: Vec<&str> = Fetcher::ALL
        .into_iter()
        .filter(|f| *f != fetcher && f.fields().contains(&key))
        .map(Fetcher::name)
        .collect();
    let other = if elsewhere.is_empty() {
        String::new()
    } else {
        let s = if elsewhere.len() > 1 { "s" } else { "" };
        format!(
            " (it belongs to the {} fetcher{s})",
            elsewhere.join(" and ")
        )
    };
    Problem::at(
        key,
        format!(
            "unknown field `{key}` for the {fetcher} fetcher{other}; {hint}allowed: {}",
            allowed.join(", ")
        ),
    )
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn typed<T: DeserializeOwned>(fetcher: Fetcher, map: Map<String, Value>) -> Result<T, Problem> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let field = e.path().iter().find_map(|s| match s {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        let inner = e.into_inner().to_string();
        match field {
            Some(field) => Problem::at(&field.clone(), format!("`{field}`: {inner}")),
            None => Problem {
                missing: inner
                    .strip_prefix("missing field `")
                    .and_then(|r| r.strip_suffix('`'))
                    .map(str::to_owned),
                ..Problem::file(format!("{inner} (the {fetcher} fetcher needs it)"))
            },
        }
    })
}

/// The JSON keys of a struct deriving `Deserialize`, as the derive names them
/// (after `rename_all`). Asks the derive itself, so the struct is the only list.
fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Fields(&'static [&'static str]);
    impl fmt::Display for Fields {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("field probe")
        }
    }
    impl std::error::Error for Fields {}
    impl de::Error for Fields {
        fn custom<M: fmt::Display>(_: M) -> Self {
            Fields(&[])
        }
    }
    struct Probe;
    impl<'de> de::Deserializer<'de> for Probe {
        type Error = Fields;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Fields> {
            Err(Fields(&[]))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Fields> {
            Err(Fields(fields))
        }
        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Fields(fields)) => fields,
        Ok(_) => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REV: &str = "0123456789abcdef0123456789abcdef01234567";
    const HASH: &str = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    fn messages(text: &str) -> Vec<String> {
        parse(text.as_bytes())
            .unwrap_err()
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn fields_come_from_the_derive() {
        assert_eq!(
            struct_fields::<Common>(),
            [
                "cargoHash",
                "vendorHash",
                "npmDepsHash",
                "pnpmDepsHash",
                "pnpmCacheHash",
                "yarnDepsHash",
                "update"
            ]
        );
        assert!(Fetcher::Git.fields().contains(&"fetchSubmodules"));
        assert!(Fetcher::Git.fields().contains(&"sparseCheckout"));
        assert_eq!(Fetcher::CratesIo.fields(), ["pname", "version", "hash"]);
    }

    #[test]
    fn every_fetcher_parses() {
        let cases = [
            (
                format!(
                    r#"{{"fetcher":"github","owner":"o","repo":"r","rev":"{REV}","hash":"{HASH}","tag":"v1","version":"1","cargoHash":"{HASH}"}}"#
                ),
                "github:o/r",
                Some("https://github.com/o/r.git"),
            ),
            (
                format!(
                    r#"{{"fetcher":"tangled","did":"did:plc:abc/m","owner":"@microcosm.blue","repo":"m","rev":"{REV}","hash":"{HASH}"}}"#
                ),
                "tangled:did:plc:abc/m",
                Some("https://tangled.org/did:plc:abc/m"),
            ),
            (
                format!(
                    r#"{{"fetcher":"git","url":"https://x/r.git","rev":"{REV}","hash":"{HASH}","fetchSubmodules":true,"sparseCheckout":["packages-rs"],"npmDepsHash":"{HASH}"}}"#
                ),
                "git:https://x/r.git",
                Some("https://x/r.git"),
            ),
            (
                format!(
                    r#"{{"fetcher":"url","url":"https://x/a.tgz","hash":"{HASH}","unpack":true}}"#
                ),
                "url:https://x/a.tgz",
                None,
            ),
            (
                format!(
                    r#"{{"fetcher":"crates-io","pname":"ripgrep","version":"14.1.1","hash":"{HASH}","cargoHash":"{HASH}","pnpmDepsHash":"{HASH}","vendorHash":"{HASH}"}}"#
                ),
                "crates-io:ripgrep",
                None,
            ),
        ];
        for (text, locator, git) in cases {
            let pin = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(pin.locator(), locator);
            assert_eq!(pin.git_url().as_deref(), git);
            assert_eq!(pin.hash(), HASH);
        }
        let crate_pin = parse(cases_crate().as_bytes()).unwrap();
        assert_eq!(
            crate_pin.download(),
            Some((
                "https://crates.io/api/v1/crates/ripgrep/14.1.1/download".to_owned(),
                true
            ))
        );
        assert_eq!(crate_pin.dependency_hash(), Some(("cargoHash", HASH)));
    }

    fn cases_crate() -> String {
        format!(
            r#"{{"fetcher":"crates-io","pname":"ripgrep","version":"14.1.1","hash":"{HASH}","cargoHash":"{HASH}"}}"#
        )
    }

    #[test]
    fn unknown_fetcher_names_the_choices() {
        assert_eq!(
            messages(r#"{"fetcher":"svn","url":"x","hash":"h"}"#),
            ["unknown fetcher `svn`; one of github, tangled, git, url, crates-io"]
        );
        assert_eq!(
            messages(r#"{"url":"x"}"#),
            ["missing `fetcher`; one of github, tangled, git, url, crates-io"]
        );
    }

    #[test]
    fn misspelled_and_misplaced_fields_are_named() {
        let text = format!(
            r#"{{"fetcher":"github","owner":"o","repo":"r","rev":"{REV}","hash":"{HASH}","cargohash":"x","url":"u"}}"#
        );
        let problems = parse(text.as_bytes()).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_deref()).collect();
        assert_eq!(fields, [Some("cargohash"), Some("url")]);
        assert!(
            problems[0]
                .message
                .starts_with("unknown field `cargohash` for the github fetcher; did you mean `cargoHash`? allowed: fetcher, owner, repo, rev, hash, tag, version, cargoHash"),
            "{}",
            problems[0].message
        );
        assert!(
            problems[1]
                .message
                .starts_with("unknown field `url` for the github fetcher (it belongs to the git and url fetchers);"),
            "{}",
            problems[1].message
        );
    }

    #[test]
    fn missing_and_mistyped_fields() {
        assert_eq!(
            messages(&format!(
                r#"{{"fetcher":"github","owner":"o","rev":"{REV}","hash":"{HASH}"}}"#
            )),
            ["missing field `repo` (the github fetcher needs it)"]
        );
        // nixpkgs' fetchFromTangled requires `did`; owner/repo alone no longer fetch.
        assert_eq!(
            messages(&format!(
                r#"{{"fetcher":"tangled","owner":"@o","repo":"r","rev":"{REV}","hash":"{HASH}"}}"#
            )),
            ["missing field `did` (the tangled fetcher needs it)"]
        );
        let p = &parse(br#"{"fetcher":"url","url":"u"}"#).unwrap_err()[0];
        assert_eq!(p.missing.as_deref(), Some("hash"));
        let problems = parse(
            format!(r#"{{"fetcher":"git","url":"u","rev":"{REV}","hash":"{HASH}","fetchSubmodules":"yes","cargoHash":1}}"#)
                .as_bytes(),
        )
        .unwrap_err();
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.field.as_deref().unwrap(), p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "fetchSubmodules",
                    "`fetchSubmodules`: invalid type: string \"yes\", expected a boolean"
                ),
                (
                    "cargoHash",
                    "`cargoHash`: invalid type: integer `1`, expected a string"
                ),
            ]
        );
    }

    #[test]
    fn update_policies_are_typed() {
        let pin = |update: &str| {
            parse(
                format!(
                    r#"{{"fetcher":"github","owner":"o","repo":"r","rev":"{REV}","hash":"{HASH}","update":{update}}}"#
                )
                .as_bytes(),
            )
        };
        assert_eq!(
            pin(r#"{"policy":"tags","tagPattern":"v*"}"#)
                .unwrap()
                .common
                .update,
            Some(Update::Tags {
                tag_pattern: Some("v*".to_owned()),
                help: vec![]
            })
        );
        let head =
            pin(r#"{"policy":"branch-head","help":[{"fixture":"x","argv":["x","--help"]}]}"#)
                .unwrap()
                .common
                .update
                .unwrap();
        assert_eq!(head.help()[0].argv, ["x", "--help"]);
        let bad = pin(r#"{"policy":"newest"}"#).unwrap_err();
        assert_eq!(bad[0].field.as_deref(), Some("update"), "{bad:?}");
        assert!(
            bad[0].message.contains("unknown variant `newest`"),
            "{bad:?}"
        );
        let typo = pin(r#"{"policy":"tags","tag_pattern":"v*"}"#).unwrap_err();
        assert!(
            typo[0].message.contains("unknown field `tag_pattern`"),
            "{typo:?}"
        );
    }

    #[test]
    fn broken_json_has_a_line() {
        let problems = parse(b"{\n\"a\": 1,\n}").unwrap_err();
        assert_eq!(problems[0].line, Some(3));
        assert_eq!(parse(b"[1]").unwrap_err()[0].message, NOT_OBJECT);
    }

    #[test]
    fn read_names_the_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("source.json");
        std::fs::write(&p, r#"{"fetcher":"svn"}"#).unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: unknown fetcher `svn`; one of github, tangled, git, url, crates-io",
                p.display()
            )
        );
        let missing = dir.path().join("nope.json");
        let e = read(&missing).unwrap_err().to_string();
        assert_eq!(e.matches(&*missing.to_string_lossy()).count(), 1, "{e}");
        // A pin written by hand before prefetch fills in rev and hash.
        std::fs::write(&p, r#"{"fetcher":"github","owner":"o","repo":"r"}"#).unwrap();
        assert_eq!(read_fetcher(&p).unwrap(), Fetcher::GitHub);
    }
}
