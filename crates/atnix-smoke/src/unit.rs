//! Just enough of the systemd unit file syntax to read what a smoke run needs:
//! the `Exec*=` programs, `Environment=`, users and a few hardening settings.

use std::collections::BTreeMap;

/// A parsed unit file: every `Key=value` assignment per section, in order.
#[derive(Debug, Clone, Default)]
pub struct UnitFile {
    sections: BTreeMap<String, Vec<(String, String)>>,
}

use atnix_eval::render::{EXEC_DIRECTIVES, exec_program};

impl UnitFile {
    pub fn parse(text: &str) -> Self {
        let mut sections: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut current = String::new();
        let mut pending = String::new();
        for raw in text.lines() {
            let line = raw.trim_end();
            if pending.is_empty() {
                let t = line.trim_start();
                if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
                    continue;
                }
                if t.starts_with('[') && t.ends_with(']') {
                    current = t[1..t.len() - 1].to_string();
                    continue;
                }
            }
            // A trailing backslash continues the value on the next line.
            if let Some(head) = line.strip_suffix('\\') {
                pending.push_str(head);
                pending.push(' ');
                continue;
            }
            pending.push_str(line);
            let logical = std::mem::take(&mut pending);
            if let Some((k, v)) = logical.split_once('=') {
                sections
                    .entry(current.clone())
                    .or_default()
                    .push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        Self { sections }
    }

    /// All values of `key` in `section`, in order (an empty assignment resets the list).
    pub fn values(&self, section: &str, key: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for (k, v) in self.sections.get(section).into_iter().flatten() {
            if k == key {
                if v.is_empty() {
                    out.clear();
                } else {
                    out.push(v.as_str());
                }
            }
        }
        out
    }

    /// Every value assigned in `[Service]`.
    pub fn service_values(&self) -> impl Iterator<Item = &str> {
        self.sections
            .get("Service")
            .into_iter()
            .flatten()
            .map(|(_, v)| v.as_str())
    }

    /// The last value of `key` in `section`.
    pub fn last(&self, section: &str, key: &str) -> Option<&str> {
        self.values(section, key).last().copied()
    }

    /// A boolean setting as systemd reads it (`yes`, `true`, `on`, `1`).
    pub fn flag(&self, section: &str, key: &str) -> bool {
        matches!(
            self.last(section, key),
            Some("1" | "yes" | "y" | "true" | "t" | "on")
        )
    }

    /// Every command line of every `Exec*=` key in `[Service]`, split into words,
    /// with the `@-:+!` prefixes removed from the program.
    pub fn exec_lines(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for key in EXEC_DIRECTIVES {
            for value in self.values("Service", key) {
                let Some(program) = exec_program(value) else {
                    continue;
                };
                let mut words = split_words(value);
                words[0] = program;
                out.push(words);
            }
        }
        out
    }

    /// `Environment=` assignments of `[Service]`, later ones winning.
    pub fn environment(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for value in self.values("Service", "Environment") {
            for word in split_words(value) {
                if let Some((k, v)) = word.split_once('=') {
                    env.insert(k.to_string(), v.to_string());
                }
            }
        }
        env
    }
}

/// Splits a value into words the way systemd does for command lines and
/// `Environment=`: whitespace separates, double and single quotes group, and a
/// backslash escapes the next character.
pub fn split_words(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(match n {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exec_lines_environment_and_flags() {
        let unit = UnitFile::parse(
            "[Unit]\nDescription=x\n\n[Service]\n\
             Environment=\"PATH=/nix/store/a-coreutils/bin:/nix/store/b-sed/bin\" \"A=b c\"\n\
             Environment=LANG=C\n\
             ExecStartPre=-/nix/store/c-pre/bin/pre --flag\n\
             ExecStart=@/nix/store/d-node/bin/node node -e \"require('x')\" \\\n  --more\n\
             MemoryDenyWriteExecute=yes\nPrivateUsers=false\n",
        );
        let lines = unit.exec_lines();
        assert_eq!(lines[0], ["/nix/store/c-pre/bin/pre", "--flag"]);
        assert_eq!(
            lines[1],
            [
                "/nix/store/d-node/bin/node",
                "node",
                "-e",
                "require('x')",
                "--more"
            ]
        );
        let env = unit.environment();
        assert_eq!(env["A"], "b c");
        assert_eq!(env["LANG"], "C");
        assert!(env["PATH"].starts_with("/nix/store/a-coreutils/bin:"));
        assert!(unit.flag("Service", "MemoryDenyWriteExecute"));
        assert!(!unit.flag("Service", "PrivateUsers"));
        assert!(!unit.flag("Service", "DynamicUser"));
    }

    #[test]
    fn empty_assignment_resets_a_list() {
        let unit = UnitFile::parse("[Service]\nExecStart=/a\nExecStart=\nExecStart=/b\n");
        assert_eq!(unit.exec_lines(), vec![vec!["/b".to_string()]]);
    }
}
