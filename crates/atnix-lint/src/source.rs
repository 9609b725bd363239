//! `source.json`: the pin of one fetched source.

use serde_json::{Map, Value};

use crate::{Finding, Rule};

/// Fetchers a source.json may name (`github` and `tangled` are fetched as
/// archives; `git` as a checkout; `url` as a file or archive).
pub const FETCHERS: &[&str] = &["github", "tangled", "git", "url"];

const KEYS: &[&str] = &[
    "fetcher",
    "owner",
    "repo",
    "did",
    "domain",
    "url",
    "rev",
    "hash",
    "version",
    "tag",
    "cargoHash",
    "npmDepsHash",
    "vendorHash",
    "pnpmCacheHash",
];

const DEPENDENCY_HASH_KEYS: &[&str] = &["cargoHash", "npmDepsHash", "vendorHash", "pnpmCacheHash"];

const BRANCH_NAMES: &[&str] = &["main", "master", "HEAD", "trunk", "develop"];

/// A valid source.json.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourcePin {
    pub fetcher: String,
    pub owner: Option<String>,
    pub repo: Option<String>,
    /// fetchFromTangled's repository DID (`did:...`).
    pub did: Option<String>,
    /// fetchFromTangled's host; `tangled.org` when absent.
    pub domain: Option<String>,
    pub url: Option<String>,
    pub rev: Option<String>,
    pub hash: String,
    pub version: Option<String>,
    pub tag: Option<String>,
    pub cargo_hash: Option<String>,
    pub npm_deps_hash: Option<String>,
    pub vendor_hash: Option<String>,
}

impl SourcePin {
    /// `github:owner/repo`, `tangled:did:plc:...`, `git:URL`, `url:URL`.
    pub fn locator(&self) -> String {
        let place = match (&self.did, &self.owner, &self.repo, &self.url) {
            (Some(did), _, _, _) => did.clone(),
            (None, Some(owner), Some(repo), _) => format!("{owner}/{repo}"),
            (_, _, _, Some(url)) => url.clone(),
            _ => String::new(),
        };
        format!("{}:{place}", self.fetcher)
    }

    /// The first dependency hash present, with its key.
    pub fn dependency_hash(&self) -> Option<(&'static str, &str)> {
        [
            ("cargoHash", &self.cargo_hash),
            ("npmDepsHash", &self.npm_deps_hash),
            ("vendorHash", &self.vendor_hash),
        ]
        .into_iter()
        .find_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    }

    /// The git URL the source is fetched from (github, tangled, git).
    pub fn git_url(&self) -> Option<String> {
        let domain = self.domain.as_deref().unwrap_or("tangled.org");
        match self.fetcher.as_str() {
            "github" => Some(format!(
                "https://github.com/{}/{}.git",
                self.owner.as_deref()?,
                self.repo.as_deref()?
            )),
            "tangled" => match &self.did {
                Some(did) => Some(format!("https://{domain}/{did}")),
                None => Some(format!(
                    "https://{domain}/{}/{}",
                    self.owner.as_deref()?,
                    self.repo.as_deref()?
                )),
            },
            "git" => self.url.clone(),
            _ => None,
        }
    }
}

/// One problem with a source.json, at a key (or the whole file).
struct Problem {
    key: Option<String>,
    line: Option<usize>,
    rule: Rule,
    message: String,
}

impl Problem {
    fn at(key: &str, rule: Rule, message: String) -> Self {
        Problem {
            key: Some(key.to_owned()),
            line: None,
            rule,
            message,
        }
    }
    fn file(rule: Rule, message: String) -> Self {
        Problem {
            key: None,
            line: None,
            rule,
            message,
        }
    }
}

/// The 1-based line of the first `"key":` in a JSON text.
fn key_line(text: &str, key: &str) -> usize {
    let needle = format!("\"{key}\"");
    for (at, _) in text.match_indices(&needle) {
        let rest = text[at + needle.len()..].trim_start();
        if rest.starts_with(':') {
            return text[..at].matches('\n').count() + 1;
        }
    }
    1
}

/// Problem with an SRI sha256 value, if any.
fn check_sri(key: &str, value: &str) -> Option<Problem> {
    let fix = "compute it with `atnix prefetch --write` (or `atnix vendor-hash`)";
    if !value.starts_with("sha256-") {
        return Some(Problem::at(
            key,
            Rule::PinHash,
            format!("`{key}` must be an SRI sha256 hash (sha256-<base64>), got `{value}`; {fix}"),
        ));
    }
    match atnix_nar::Hash::parse(value) {
        Err(_) => Some(Problem::at(
            key,
            Rule::PinHash,
            format!("`{key}` `{value}` does not decode to a 32-byte sha256 digest; {fix}"),
        )),
        Ok(h) if h.0 == [0u8; 32] => Some(Problem::at(
            key,
            Rule::FakeHash,
            format!("`{key}` is a placeholder (all-zero) hash; {fix}"),
        )),
        Ok(_) => None,
    }
}

fn check_rev(rev: &str) -> Option<Problem> {
    if BRANCH_NAMES.contains(&rev) || rev.starts_with("refs/") {
        return Some(Problem::at(
            "rev",
            Rule::PinRev,
            format!("rev `{rev}` names a branch, which moves; pin the full 40-hex commit"),
        ));
    }
    if rev.len() != 40 || !rev.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        return Some(Problem::at(
            "rev",
            Rule::PinRev,
            format!("rev `{rev}` is not a full 40-hex commit (lowercase); pin the full commit id"),
        ));
    }
    None
}

fn validate(text: &str) -> (Option<SourcePin>, Vec<Problem>) {
    let mut problems = Vec::new();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(Problem {
                key: None,
                line: Some(e.line().max(1)),
                rule: Rule::SourceJson,
                message: format!("not valid JSON ({e}); fix the syntax"),
            });
            return (None, problems);
        }
    };
    let Value::Object(map) = value else {
        problems.push(Problem::file(
            Rule::SourceJson,
            "must be a JSON object with fetcher, locator, rev and hash".to_owned(),
        ));
        return (None, problems);
    };

    let mut strings = Map::new();
    for (key, v) in &map {
        if !KEYS.contains(&key.as_str()) {
            problems.push(Problem::at(
                key,
                Rule::SourceJson,
                format!("unknown key `{key}`; allowed keys: {}", KEYS.join(", ")),
            ));
            continue;
        }
        match v {
            Value::String(s) if !s.is_empty() => {
                strings.insert(key.clone(), v.clone());
                let _ = s;
            }
            _ => problems.push(Problem::at(
                key,
                Rule::SourceJson,
                format!("`{key}` must be a non-empty string"),
            )),
        }
    }
    let get = |k: &str| strings.get(k).and_then(Value::as_str).map(str::to_owned);
    let present = |k: &str| map.contains_key(k);

    let fetcher = get("fetcher");
    match fetcher.as_deref() {
        None if !present("fetcher") => problems.push(Problem::file(
            Rule::SourceJson,
            format!("missing `fetcher`; one of {}", FETCHERS.join(", ")),
        )),
        None => {}
        Some(f) if !FETCHERS.contains(&f) => problems.push(Problem::at(
            "fetcher",
            Rule::SourceJson,
            format!("unknown fetcher `{f}`; one of {}", FETCHERS.join(", ")),
        )),
        Some(_) => {}
    }

    // Locator keys each fetcher takes.
    if let Some(f) = fetcher.as_deref().filter(|f| FETCHERS.contains(f)) {
        let allowed: &[&str] = match f {
            "github" => &["owner", "repo"],
            "tangled" => &["owner", "repo", "did", "domain"],
            _ => &["url"],
        };
        for key in ["owner", "repo", "did", "domain", "url"] {
            if present(key) && !allowed.contains(&key) {
                problems.push(Problem::at(
                    key,
                    Rule::SourceJson,
                    format!("`{key}` does not apply to the {f} fetcher"),
                ));
            }
        }
        let missing = |k: &str| !present(k);
        match f {
            "github" => {
                for k in ["owner", "repo"] {
                    if missing(k) {
                        problems.push(Problem::file(
                            Rule::SourceJson,
                            format!("missing `{k}` (the github fetcher needs owner and repo)"),
                        ));
                    }
                }
            }
            "tangled" => {
                if let Some(did) = get("did") {
                    if !did.starts_with("did:") {
                        problems.push(Problem::at(
                            "did",
                            Rule::SourceJson,
                            format!(
                                "`did` `{did}` must start with `did:` (fetchFromTangled asserts it)"
                            ),
                        ));
                    }
                    if present("owner") || present("repo") {
                        problems.push(Problem::at(
                            "did",
                            Rule::SourceJson,
                            "give either `did` or `owner` and `repo`, not both".to_owned(),
                        ));
                    }
                } else if missing("did") && (missing("owner") || missing("repo")) {
                    problems.push(Problem::file(
                        Rule::SourceJson,
                        "missing locator: the tangled fetcher needs `did` (nixpkgs fetchFromTangled) or `owner` and `repo`".to_owned(),
                    ));
                }
            }
            _ => {
                if missing("url") {
                    problems.push(Problem::file(
                        Rule::SourceJson,
                        format!("missing `url` (the {f} fetcher needs it)"),
                    ));
                }
            }
        }
        if f != "url" && missing("rev") {
            problems.push(Problem::file(
                Rule::PinRev,
                "missing `rev`; pin the full 40-hex commit".to_owned(),
            ));
        }
    }

    if let Some(rev) = get("rev")
        && let Some(p) = check_rev(&rev)
    {
        problems.push(p);
    }

    if !present("hash") {
        problems.push(Problem::file(
            Rule::PinHash,
            "missing `hash`; compute it with `atnix prefetch --write`".to_owned(),
        ));
    }
    for key in std::iter::once("hash").chain(DEPENDENCY_HASH_KEYS.iter().copied()) {
        if let Some(v) = get(key)
            && let Some(p) = check_sri(key, &v)
        {
            problems.push(p);
        }
    }

    if !problems.is_empty() {
        return (None, problems);
    }
    let pin = SourcePin {
        fetcher: get("fetcher").unwrap_or_default(),
        owner: get("owner"),
        repo: get("repo"),
        did: get("did"),
        domain: get("domain"),
        url: get("url"),
        rev: get("rev"),
        hash: get("hash").unwrap_or_default(),
        version: get("version"),
        tag: get("tag"),
        cargo_hash: get("cargoHash"),
        npm_deps_hash: get("npmDepsHash"),
        vendor_hash: get("vendorHash"),
    };
    (Some(pin), problems)
}

/// Parses a source.json; the error lists every problem, one per line.
pub fn parse_source_pin(bytes: &[u8]) -> Result<SourcePin, String> {
    let text = String::from_utf8_lossy(bytes);
    let (pin, problems) = validate(&text);
    match pin {
        Some(pin) => Ok(pin),
        None => Err(problems
            .iter()
            .map(|p| format!("{}: {}", p.rule, p.message))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

pub(crate) fn check_source(rel: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            out.push(Finding {
                file: rel.to_owned(),
                line: 1,
                rule: Rule::SourceJson,
                message: "not UTF-8; source.json must be UTF-8 JSON".to_owned(),
            });
            return;
        }
    };
    let (_, problems) = validate(text);
    for p in problems {
        let line = p
            .line
            .or_else(|| p.key.as_deref().map(|k| key_line(text, k)))
            .unwrap_or(1);
        out.push(Finding {
            file: rel.to_owned(),
            line,
            rule: p.rule,
            message: p.message,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REV: &str = "0123456789abcdef0123456789abcdef01234567";
    const HASH: &str = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    fn findings(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        check_source("s.json", text.as_bytes(), &mut out);
        out.sort();
        out.iter()
            .map(|f| format!("{}:{}", f.line, f.rule))
            .collect()
    }

    #[test]
    fn valid_github_pin() {
        let text = format!(
            "{{\"fetcher\":\"github\",\"owner\":\"o\",\"repo\":\"r\",\"rev\":\"{REV}\",\"hash\":\"{HASH}\",\"cargoHash\":\"{HASH}\",\"version\":\"1.0\"}}"
        );
        let pin = parse_source_pin(text.as_bytes()).unwrap();
        assert_eq!(pin.locator(), "github:o/r");
        assert_eq!(pin.dependency_hash(), Some(("cargoHash", HASH)));
        assert_eq!(pin.git_url().as_deref(), Some("https://github.com/o/r.git"));
        assert!(findings(&text).is_empty());
    }

    #[test]
    fn valid_tangled_pins() {
        let did = format!(
            "{{\"fetcher\":\"tangled\",\"did\":\"did:plc:abc\",\"rev\":\"{REV}\",\"hash\":\"{HASH}\"}}"
        );
        assert!(findings(&did).is_empty());
        let pin = parse_source_pin(did.as_bytes()).unwrap();
        assert_eq!(
            pin.git_url().as_deref(),
            Some("https://tangled.org/did:plc:abc")
        );
        let owner = format!(
            "{{\"fetcher\":\"tangled\",\"owner\":\"@microcosm.blue\",\"repo\":\"m\",\"rev\":\"{REV}\",\"hash\":\"{HASH}\"}}"
        );
        assert!(findings(&owner).is_empty());
    }

    #[test]
    fn every_problem_at_its_line() {
        let text = format!(
            "{{\n  \"fetcher\": \"github\",\n  \"owner\": \"o\",\n  \"rev\": \"main\",\n  \"hash\": \"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\n  \"vendorHash\": \"abc\",\n  \"extra\": \"x\",\n  \"url\": \"{REV}\"\n}}\n"
        );
        assert_eq!(
            findings(&text),
            [
                "1:source-json",
                "4:pin-rev",
                "5:fake-hash",
                "6:pin-hash",
                "7:source-json",
                "8:source-json"
            ]
        );
    }

    #[test]
    fn short_rev_and_wrong_length_hash() {
        let text = "{\"fetcher\":\"git\",\"url\":\"https://x\",\"rev\":\"abc123\",\"hash\":\"sha256-AAAA\"}";
        assert_eq!(findings(text), ["1:pin-rev", "1:pin-hash"]);
    }

    #[test]
    fn invalid_json_reports_its_line() {
        assert_eq!(findings("{\n\"a\": 1,\n}"), ["3:source-json"]);
    }

    #[test]
    fn url_fetcher_needs_no_rev() {
        let text =
            format!("{{\"fetcher\":\"url\",\"url\":\"https://x/a.tar.gz\",\"hash\":\"{HASH}\"}}");
        assert!(findings(&text).is_empty());
    }
}
