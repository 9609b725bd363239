//! Stub conformance: the option declarations in tests/eval/stubs/ against the
//! real NixOS declarations recorded in tests/eval/nixos-facts/*.json.
//!
//! For every facts file, each recorded option must be declared by the stubs
//! with the same type (as lib describes it) and the same default (as the
//! NixOS manual renders it, or none); every stub option under the file's
//! prefixes must have a fact (or be listed as unverified); and every assertion
//! fact that names a case must name an existing bad case of a fixture, which
//! `atnix eval` then runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::harness::{CaseReport, Error, Harness, Outcome};

/// Where the facts live, relative to the repository root.
pub const FACTS_DIR: &str = "tests/eval/nixos-facts";

/// One option as the driver (mode `stub-options`) or a facts file lists it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct OptionFact {
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    /// The rendered default; `None` when the option has none.
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct AssertionFact {
    message: String,
    case: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct FactsFile {
    prefixes: Vec<String>,
    options: Vec<OptionFact>,
    #[serde(default)]
    unverified: Vec<String>,
    #[serde(default)]
    assertions: Vec<AssertionFact>,
}

/// Compares one facts file with the stub declarations; the problems found.
pub fn compare(
    facts: &[OptionFact],
    prefixes: &[String],
    unverified: &[String],
    stubs: &[OptionFact],
) -> Vec<String> {
    let by_name: BTreeMap<&str, &OptionFact> = stubs.iter().map(|o| (o.name.as_str(), o)).collect();
    let mut problems = Vec::new();
    for fact in facts {
        match by_name.get(fact.name.as_str()) {
            None => problems.push(format!(
                "{}: NixOS declares it ({}), the stubs do not",
                fact.name, fact.type_
            )),
            Some(stub) => {
                if stub.type_ != fact.type_ {
                    problems.push(format!(
                        "{}: the stub's type is `{}`, NixOS's is `{}`",
                        fact.name, stub.type_, fact.type_
                    ));
                }
                if stub.default != fact.default {
                    problems.push(format!(
                        "{}: the stub's default is {}, NixOS's is {}",
                        fact.name,
                        show_default(&stub.default),
                        show_default(&fact.default)
                    ));
                }
            }
        }
    }
    let recorded: Vec<&str> = facts
        .iter()
        .map(|f| f.name.as_str())
        .chain(unverified.iter().map(String::as_str))
        .collect();
    for stub in stubs {
        let covered = prefixes.iter().any(|p| stub.name.starts_with(p.as_str()));
        if covered && !recorded.contains(&stub.name.as_str()) {
            problems.push(format!(
                "{}: the stubs declare it, but no fact records NixOS's declaration",
                stub.name
            ));
        }
    }
    problems
}

fn show_default(d: &Option<String>) -> String {
    match d {
        Some(text) => format!("`{text}`"),
        None => "none".into(),
    }
}

impl Harness {
    /// The stub options as the driver lists them.
    pub fn stub_options(&self) -> Result<Vec<OptionFact>, Error> {
        Ok(serde_json::from_value(
            self.driver(&[("mode", "stub-options")])?,
        )?)
    }

    /// One report per facts file.
    pub fn stub_conformance(&self) -> Result<Vec<CaseReport>, Error> {
        let dir = self.root().join(FACTS_DIR);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        let stubs = self.stub_options()?;
        let mut reports = Vec::new();
        if files.is_empty() {
            reports.push(report(
                &dir,
                "(facts)",
                Outcome::Fail {
                    reason: format!("no facts in {FACTS_DIR}"),
                },
            ));
        }
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
                path: file.clone(),
                source,
            })?;
            let facts: FactsFile = match serde_json::from_str(&text) {
                Ok(f) => f,
                Err(e) => {
                    reports.push(report(
                        &file,
                        &name,
                        Outcome::Fail {
                            reason: format!("not a facts file: {e}"),
                        },
                    ));
                    continue;
                }
            };
            let mut problems = compare(&facts.options, &facts.prefixes, &facts.unverified, &stubs);
            problems.extend(self.check_assertion_cases(&facts.assertions)?);
            let outcome = if problems.is_empty() {
                Outcome::Pass {
                    detail: format!(
                        "{} option(s) and {} assertion(s) as in NixOS{}",
                        facts.options.len(),
                        facts.assertions.len(),
                        if facts.unverified.is_empty() {
                            String::new()
                        } else {
                            format!("; unverified: {}", facts.unverified.join(", "))
                        }
                    ),
                }
            } else {
                Outcome::Fail {
                    reason: problems.join("\n"),
                }
            };
            reports.push(report(&file, &name, outcome));
        }
        Ok(reports)
    }

    fn check_assertion_cases(&self, assertions: &[AssertionFact]) -> Result<Vec<String>, Error> {
        let mut problems = Vec::new();
        let mut described = BTreeMap::new();
        for a in assertions {
            let Some(case) = &a.case else { continue };
            let Some((module, case_name)) = case.split_once('/') else {
                problems.push(format!(
                    "assertion `{}`: case `{case}` is not MODULE/CASE",
                    a.message
                ));
                continue;
            };
            let file = self
                .root()
                .join(crate::harness::EVAL_DIR)
                .join("fixtures/cases")
                .join(format!("{module}.nix"));
            if !described.contains_key(module) {
                let spec = if file.is_file() {
                    self.describe(&file).ok()
                } else {
                    None
                };
                described.insert(module.to_owned(), spec);
            }
            let expects = described[module]
                .as_ref()
                .and_then(|s| s.cases.get(case_name))
                .and_then(|c| c.expect_assertion.as_ref());
            if expects.is_none() {
                problems.push(format!(
                    "assertion `{}`: no bad case `{case_name}` in {}",
                    a.message,
                    file.display()
                ));
            }
        }
        Ok(problems)
    }
}

fn report(file: &Path, case: &str, outcome: Outcome) -> CaseReport {
    CaseReport {
        module: "(stubs)".into(),
        case: case.into(),
        file: Some(file.to_path_buf()),
        outcome,
        warnings: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(name: &str, type_: &str, default: Option<&str>) -> OptionFact {
        OptionFact {
            name: name.into(),
            type_: type_.into(),
            default: default.map(Into::into),
        }
    }

    #[test]
    fn identical_declarations_conform() {
        let facts = [opt("a.b", "boolean", Some("false"))];
        assert!(compare(&facts, &["a.".into()], &[], &facts).is_empty());
    }

    #[test]
    fn a_looser_type_is_reported() {
        let facts = [opt("a.cert", "absolute path", None)];
        let stubs = [opt("a.cert", "anything", None)];
        let p = compare(&facts, &["a.".into()], &[], &stubs);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("`anything`") && p[0].contains("`absolute path`"),
            "{p:?}"
        );
    }

    #[test]
    fn an_added_default_is_reported() {
        let facts = [opt("a.cert", "absolute path", None)];
        let stubs = [opt("a.cert", "absolute path", Some("\"/dev/null\""))];
        let p = compare(&facts, &["a.".into()], &[], &stubs);
        assert!(p[0].contains("default"), "{p:?}");
    }

    #[test]
    fn missing_and_unrecorded_options_are_reported() {
        let facts = [opt("a.x", "string", None)];
        let stubs = [opt("a.y", "string", None), opt("b.z", "string", None)];
        let p = compare(&facts, &["a.".into()], &[], &stubs);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("a.x: NixOS declares it"));
        assert!(p[1].starts_with("a.y: the stubs declare it"));
        // Listed as unverified: no longer a problem.
        assert_eq!(
            compare(&facts, &["a.".into()], &["a.y".into()], &stubs).len(),
            1
        );
    }
}
