//! The CI workflow rule: a workflow of GitHub Actions (`.github/workflows/`)
//! or of tangled's spindle (`.tangled/workflows/`) may only call what the
//! repository has. It reports
//!
//! - a repository script (`scripts/…`, `.ci/…`, `./…`) that is not a file;
//! - a flake output of this flake (`.#packages.<system>.<name>`,
//!   `.#checks.<system>.<name>`, `.#nixosModules.<name>`, `.#<package>`, …)
//!   that the repository does not define by its conventions: packages from
//!   pkgs/, `nixos-<name>` checks from tests/nixos/<name>.nix for a module or
//!   profile, modules from modules/, templates from templates/, the systems
//!   flake.nix names.
//!
//! The files are read line by line, so a finding has its line; comment lines
//! (`#` first, in YAML or in a script) and trailing ` # ` comments are not
//! read. A reference whose next part is computed (`.#packages.$SYSTEM`)
//! is checked up to that part. A package family (`pkgs/<family>/default.nix`)
//! names its members in Nix, so any `<family>-<member>` is accepted.

use std::collections::BTreeSet;
use std::path::Path;

use crate::{Error, Finding, Rule, io_err};

/// Where the forges look for workflows, relative to the repository root.
const WORKFLOW_DIRS: &[&str] = &[".github/workflows", ".tangled/workflows"];

/// Path prefixes that name a repository script.
const SCRIPT_PREFIXES: &[&str] = &["scripts/", ".ci/", "./"];

/// Flake output names the rule knows; a binding of flake.nix with another
/// name (`systems`, `forAllSystems`) is not an output.
const OUTPUT_NAMES: &[&str] = &[
    "apps",
    "checks",
    "devShells",
    "formatter",
    "hydraJobs",
    "legacyPackages",
    "lib",
    "nixosConfigurations",
    "nixosModules",
    "overlays",
    "packages",
    "templates",
];

/// Flake outputs defined per system (`<output>.<system>.<name>`).
const PER_SYSTEM: &[&str] = &["packages", "checks", "devShells", "formatter", "apps"];

/// What the repository defines, as far as the workflows can name it.
#[derive(Debug, Default)]
pub(crate) struct FlakeOutputs {
    /// Top-level output names flake.nix binds (`packages`, `checks`, ...).
    outputs: BTreeSet<String>,
    systems: BTreeSet<String>,
    packages: BTreeSet<String>,
    /// Package families whose members are `<family>-<member>`.
    families: BTreeSet<String>,
    /// `nixos-<name>` VM-test checks.
    vm_checks: BTreeSet<String>,
    modules: BTreeSet<String>,
    templates: BTreeSet<String>,
    dev_shells: BTreeSet<String>,
}

impl FlakeOutputs {
    fn read(root: &Path) -> Result<Option<Self>, Error> {
        let flake = root.join("flake.nix");
        let text = match std::fs::read_to_string(&flake) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&flake)(e)),
        };
        let mut out = FlakeOutputs::default();
        for line in text.lines().map(str::trim) {
            // Outputs are bound at the start of a line: `packages = ...`,
            // `overlays.default = ...`.
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let rest = line[name.len()..].trim_start();
            if OUTPUT_NAMES.contains(&name.as_str())
                && (rest.starts_with('=') || rest.starts_with('.'))
            {
                out.outputs.insert(name);
            }
            for quoted in line.split('"').skip(1).step_by(2) {
                if quoted.ends_with("-linux") || quoted.ends_with("-darwin") {
                    out.systems.insert(quoted.to_owned());
                }
            }
        }
        if out.outputs.contains("devShells") {
            out.dev_shells.insert("default".into());
        }
        for package in crate::inventory(root)?.packages {
            match package.attr.strip_suffix(".*") {
                Some(family) => out.families.insert(family.to_owned()),
                None => out.packages.insert(package.attr),
            };
        }
        out.packages.insert("default".into());
        let profiles = names_in(&root.join("profiles"), ".nix")?;
        for (name, _) in crate::layout::discovered_modules(root)? {
            out.modules.insert(name);
        }
        for test in names_in(&root.join("tests/nixos"), ".nix")? {
            if out.modules.contains(&test) || profiles.contains(&test) {
                out.vm_checks.insert(format!("nixos-{test}"));
            }
        }
        out.modules.insert("default".into());
        out.templates = dirs_in(&root.join("templates"))?;
        out.templates.insert("default".into());
        Ok(Some(out))
    }

    fn is_package(&self, name: &str) -> bool {
        self.packages.contains(name)
            || self.families.iter().any(|f| {
                name.strip_prefix(f.as_str())
                    .is_some_and(|m| m.len() > 1 && m.starts_with('-'))
            })
    }

    /// Why `parts` (the known parts of `.#a.b.c`) names nothing, if it doesn't.
    fn missing(&self, parts: &[&str]) -> Option<String> {
        let (first, rest) = parts.split_first()?;
        if PER_SYSTEM.contains(first) {
            if !self.outputs.contains(*first) {
                return Some(format!("flake.nix defines no `{first}` output"));
            }
            let (system, names) = rest.split_first()?;
            if !self.systems.contains(*system) {
                return Some(format!(
                    "`{system}` is not a system of flake.nix ({})",
                    join(&self.systems)
                ));
            }
            let name = names.join(".");
            if name.is_empty() || *first == "formatter" {
                return None;
            }
            let known = match *first {
                "packages" => self.is_package(&name),
                "checks" => self.is_package(&name) || self.vm_checks.contains(&name),
                "devShells" => self.dev_shells.contains(&name),
                _ => false,
            };
            return (!known).then(|| match *first {
                "packages" => format!("no package `{name}` in pkgs/"),
                "checks" => format!(
                    "no check `{name}`: checks are the packages of pkgs/ and nixos-<name> for each tests/nixos/<name>.nix of a module or profile"
                ),
                other => format!("no `{other}.<system>.{name}` in flake.nix"),
            });
        }
        match *first {
            "nixosModules" => {
                let name = rest.first()?;
                (!self.modules.contains(*name)).then(|| format!("no module `{name}` in modules/"))
            }
            "templates" => {
                let name = rest.first()?;
                (!self.templates.contains(*name))
                    .then(|| format!("no template `{name}` in templates/"))
            }
            output if self.outputs.contains(output) => None,
            // `.#name` is nix's shorthand for packages.<system>.name.
            name if rest.is_empty() && self.is_package(name) => None,
            name => Some(format!(
                "`{name}` is neither an output of flake.nix nor a package in pkgs/"
            )),
        }
    }
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// File stems with `ext` in `dir`, without `default` and `_`-prefixed helpers.
fn names_in(dir: &Path, ext: &str) -> Result<BTreeSet<String>, Error> {
    let mut out = BTreeSet::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        if let Some(stem) = entry.file_name().to_str().and_then(|n| n.strip_suffix(ext))
            && stem != "default"
            && !stem.starts_with('_')
        {
            out.insert(stem.to_owned());
        }
    }
    Ok(out)
}

fn dirs_in(dir: &Path) -> Result<BTreeSet<String>, Error> {
    let mut out = BTreeSet::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        if entry.path().is_dir()
            && let Some(name) = entry.file_name().to_str()
        {
            out.insert(name.to_owned());
        }
    }
    Ok(out)
}

/// Workflow files, relative to `root`, sorted.
fn workflow_files(root: &Path) -> Result<Vec<String>, Error> {
    let mut files = Vec::new();
    for dir in WORKFLOW_DIRS {
        let path = root.join(dir);
        if !path.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&path).map_err(io_err(&path))? {
            let entry = entry.map_err(io_err(&path))?;
            if let Some(name) = entry.file_name().to_str()
                && (name.ends_with(".yml") || name.ends_with(".yaml"))
                && entry.path().is_file()
            {
                files.push(format!("{dir}/{name}"));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The line without a trailing ` # comment`; `None` for a comment line.
fn code(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return None;
    }
    Some(match line.find(" # ") {
        Some(at) => &line[..at],
        None => line,
    })
}

/// Characters that end a word of a command.
fn ends_word(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '`' | ';' | ')' | '(' | '|' | '&' | '<' | '>'
        )
}

/// Repository scripts the line calls: words starting with a script prefix.
pub(crate) fn script_refs(line: &str) -> Vec<&str> {
    let mut refs = Vec::new();
    let mut start = 0;
    for (i, c) in line.char_indices().chain([(line.len(), ' ')]) {
        if !ends_word(c) {
            continue;
        }
        let word = &line[start..i];
        start = i + c.len_utf8();
        let word = word.trim_start_matches(['=', ':']);
        if SCRIPT_PREFIXES.iter().any(|p| word.starts_with(p))
            && !word.contains(['$', '*', '{', '?'])
        {
            let path = word.trim_start_matches("./").trim_end_matches('/');
            if !path.is_empty() && path != "." {
                refs.push(word);
            }
        }
    }
    refs
}

fn is_attr_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\'')
}

/// This flake's outputs the line names (`.#a.b.c`), each as the parts that
/// are written out; a part followed by a computed one is left out.
pub(crate) fn flake_refs(line: &str) -> Vec<Vec<&str>> {
    let mut refs = Vec::new();
    for (at, _) in line.match_indices(".#") {
        // `.#` alone, not `nixpkgs#` or `path/.#`.
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| !(ends_word(c) || c == '/' || c == '=')) {
            continue;
        }
        let mut parts = Vec::new();
        let mut rest = &line[at + 2..];
        loop {
            let len = rest.find(|c| !is_attr_char(c)).unwrap_or(rest.len());
            let (part, after) = rest.split_at(len);
            let next = after.chars().next();
            if part.is_empty() || next.is_some_and(|c| !(c == '.' || ends_word(c) || c == '}')) {
                break;
            }
            parts.push(part);
            if next != Some('.') {
                break;
            }
            rest = &after[1..];
        }
        if !parts.is_empty() {
            refs.push(parts);
        }
    }
    refs
}

pub(crate) fn check_workflows(root: &Path, out: &mut Vec<Finding>) -> Result<(), Error> {
    let files = workflow_files(root)?;
    if files.is_empty() {
        return Ok(());
    }
    let flake = FlakeOutputs::read(root)?;
    for rel in files {
        let path = root.join(&rel);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        for (n, line) in text.lines().enumerate() {
            let Some(line) = code(line) else { continue };
            for script in script_refs(line) {
                if !root.join(script).is_file() {
                    out.push(Finding {
                        file: rel.clone(),
                        line: n + 1,
                        rule: Rule::WorkflowRef,
                        message: format!(
                            "the workflow calls `{script}`, which is not a file of the repository"
                        ),
                    });
                }
            }
            for parts in flake_refs(line) {
                let why = match &flake {
                    Some(flake) => flake.missing(&parts),
                    None => Some("the repository has no flake.nix".into()),
                };
                if let Some(why) = why {
                    out.push(Finding {
                        file: rel.clone(),
                        line: n + 1,
                        rule: Rule::WorkflowRef,
                        message: format!("the workflow names `.#{}`: {why}", parts.join(".")),
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_words_with_a_script_prefix() {
        assert_eq!(
            script_refs("run: scripts/test && ./x.sh; bash .ci/run"),
            ["scripts/test", "./x.sh", ".ci/run"]
        );
        assert_eq!(
            script_refs("cd ./ && ls ./$dir ./*.nix -I ./ ."),
            [] as [&str; 0]
        );
        assert_eq!(script_refs("  command: \"scripts/test\""), ["scripts/test"]);
    }

    #[test]
    fn flake_refs_stop_at_computed_parts() {
        assert_eq!(
            flake_refs("nix build .#packages.x86_64-linux.atnix .#checks.$S.x"),
            [vec!["packages", "x86_64-linux", "atnix"], vec!["checks"]]
        );
        assert_eq!(
            flake_refs(r#"nix build "${names[@]/#/.#packages.$SYSTEM.}" nixpkgs#vulnix"#),
            [vec!["packages"]]
        );
        assert_eq!(flake_refs("nix run .#atnix -- update"), [vec!["atnix"]]);
        assert_eq!(
            flake_refs("nix build .#packages.x86_64-linux.${n}"),
            [vec!["packages", "x86_64-linux"]]
        );
        assert!(flake_refs("nix flake check .").is_empty());
    }

    #[test]
    fn family_members_and_vm_checks() {
        let flake = FlakeOutputs {
            outputs: ["packages", "checks"].map(String::from).into(),
            systems: ["x86_64-linux"].map(String::from).into(),
            packages: ["atnix"].map(String::from).into(),
            families: ["indigo"].map(String::from).into(),
            vm_checks: ["nixos-allegedly"].map(String::from).into(),
            ..FlakeOutputs::default()
        };
        let missing = |r: &str| flake.missing(&r.split('.').collect::<Vec<_>>());
        assert_eq!(missing("packages.x86_64-linux.indigo-relay"), None);
        assert_eq!(missing("checks.x86_64-linux.nixos-allegedly"), None);
        assert_eq!(missing("indigo-relay"), None);
        assert!(missing("packages.x86_64-linux.indigo").is_some());
        assert!(missing("packages.x86_64-linux.indigo-").is_some());
        assert!(missing("checks.x86_64-linux.nixos-indigo").is_some());
        assert!(missing("lib").is_some(), "flake.nix binds no lib here");
    }

    #[test]
    fn comments_are_not_read() {
        assert_eq!(code("  # scripts/missing"), None);
        assert_eq!(code("run: x # scripts/missing"), Some("run: x"));
    }
}
