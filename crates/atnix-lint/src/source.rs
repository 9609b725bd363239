//! `source.json`: the repository's rules for pins, on top of the typed
//! shape in `atnix-pin` (fetcher, allowed and required fields).

use serde_json::Value;

pub use atnix_pin::SourcePin;

use crate::{Finding, Rule};

const HASH_KEYS: &[&str] = &[
    "hash",
    "cargoHash",
    "vendorHash",
    "npmDepsHash",
    "pnpmDepsHash",
    "pnpmCacheHash",
    "yarnDepsHash",
];

const BRANCH_NAMES: &[&str] = &["main", "master", "HEAD", "trunk", "develop"];

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
    let shape = atnix_pin::parse(text.as_bytes());
    if let Err(found) = &shape {
        for p in found {
            let rule = match p.missing.as_deref() {
                Some("rev") => Rule::PinRev,
                Some("hash") => Rule::PinHash,
                _ => Rule::SourceJson,
            };
            problems.push(Problem {
                key: p.field.clone(),
                line: p.line,
                rule,
                message: match p.missing.as_deref() {
                    Some("rev") => format!("{}; pin the full 40-hex commit", p.message),
                    Some("hash") => {
                        format!("{}; compute it with `atnix prefetch --write`", p.message)
                    }
                    _ => p.message.clone(),
                },
            });
        }
    }

    // The rules below look at the values as written, so a file with a bad
    // shape still gets every other finding.
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
        for (key, v) in &map {
            if matches!(v, Value::String(s) if s.is_empty()) {
                problems.push(Problem::at(
                    key,
                    Rule::SourceJson,
                    format!("`{key}` must not be empty"),
                ));
            }
        }
        let get = |k: &str| map.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        if let Some(rev) = get("rev")
            && let Some(p) = check_rev(rev)
        {
            problems.push(p);
        }
        // nixpkgs' fetchFromTangled asserts this when it is called.
        if map.get("fetcher").and_then(Value::as_str) == Some("tangled")
            && let Some(did) = get("did")
            && !did.starts_with("did:")
        {
            problems.push(Problem::at(
                "did",
                Rule::SourceJson,
                format!(
                    "`did` `{did}` must start with `did:` (fetchFromTangled fetches https://<domain>/<did>/archive/<rev>); \
                     use the repository's DID or `did:plc:<owner>/<name>`"
                ),
            ));
        }
        for key in HASH_KEYS {
            if let Some(v) = get(key)
                && let Some(p) = check_sri(key, v)
            {
                problems.push(p);
            }
        }
    }

    match shape {
        Ok(pin) if problems.is_empty() => (Some(pin), problems),
        _ => (None, problems),
    }
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
        let knot = format!(
            "{{\"fetcher\":\"tangled\",\"did\":\"did:plc:o\",\"domain\":\"knot.example\",\"rev\":\"{REV}\",\"hash\":\"{HASH}\"}}"
        );
        assert!(findings(&knot).is_empty());
        let pin = parse_source_pin(knot.as_bytes()).unwrap();
        assert_eq!(
            pin.git_url().as_deref(),
            Some("https://knot.example/did:plc:o")
        );
        let owner = format!(
            "{{\"fetcher\":\"tangled\",\"did\":\"did:plc:m/m\",\"owner\":\"@microcosm.blue\",\"repo\":\"m\",\"rev\":\"{REV}\",\"hash\":\"{HASH}\"}}"
        );
        assert!(findings(&owner).is_empty());
        let handle = format!(
            "{{\"fetcher\":\"tangled\",\"did\":\"@microcosm.blue/m\",\"rev\":\"{REV}\",\"hash\":\"{HASH}\"}}"
        );
        assert_eq!(findings(&handle), ["1:source-json"]);
        let err = parse_source_pin(handle.as_bytes()).unwrap_err();
        assert!(err.contains("must start with `did:`"), "{err}");
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
    fn empty_values_and_misspelled_keys() {
        let text = format!(
            "{{\"fetcher\":\"github\",\n\"owner\":\"\",\"repo\":\"r\",\"rev\":\"{REV}\",\"hash\":\"{HASH}\",\n\"cargohash\":\"{HASH}\"}}"
        );
        assert_eq!(findings(&text), ["2:source-json", "3:source-json"]);
        let missing_rev = format!("{{\"fetcher\":\"git\",\"url\":\"u\",\"hash\":\"{HASH}\"}}");
        assert_eq!(findings(&missing_rev), ["1:pin-rev"]);
    }

    #[test]
    fn url_fetcher_needs_no_rev() {
        let text =
            format!("{{\"fetcher\":\"url\",\"url\":\"https://x/a.tar.gz\",\"hash\":\"{HASH}\"}}");
        assert!(findings(&text).is_empty());
    }
}
