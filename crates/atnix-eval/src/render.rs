//! Unit files from the evaluated unit definitions, written exactly as NixOS
//! writes them (nixos/lib/systemd-lib.nix: `toOption`, `attrsToSection`,
//! `commonUnitText`, `serviceToUnit`, `socketToUnit`, `timerToUnit`; the
//! commit it was read at was not recorded).
//!
//! The input is the JSON the Nix driver (tests/eval/driver.nix) emits for one
//! unit; directive values there are strings, booleans, integers or lists of
//! them (floats already printed by Nix, derivations and paths as strings).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One unit as the driver exports it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UnitDef {
    /// `service`, `socket` or `timer`.
    pub kind: String,
    #[serde(default)]
    pub unit_config: BTreeMap<String, Value>,
    #[serde(default)]
    pub service_config: BTreeMap<String, Value>,
    #[serde(default)]
    pub socket_config: BTreeMap<String, Value>,
    #[serde(default)]
    pub timer_config: BTreeMap<String, Value>,
    /// Service environment (global environment merged in); null values are dropped.
    #[serde(default)]
    pub environment: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub listen_streams: Vec<String>,
    #[serde(default)]
    pub listen_datagrams: Vec<String>,
    #[serde(default)]
    pub wanted_by: Vec<String>,
    #[serde(default)]
    pub required_by: Vec<String>,
    #[serde(default)]
    pub upheld_by: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default = "yes")]
    pub restart_if_changed: bool,
    #[serde(default)]
    pub reload_if_changed: bool,
    #[serde(default = "yes")]
    pub stop_if_changed: bool,
    #[serde(default)]
    pub not_socket_activated: bool,
    /// Generated job scripts (`script`, `preStart`, ...): executable path -> file text.
    #[serde(default)]
    pub scripts: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

/// Errors in a unit definition that NixOS itself could not render.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("unit {unit}: directive {directive} has a value NixOS cannot render: {value}")]
    BadValue {
        unit: String,
        directive: String,
        value: String,
    },
    #[error("unit {unit}: unknown unit kind `{kind}` (service, socket or timer)")]
    UnknownKind { unit: String, kind: String },
}

/// Nix `toString` of a value inside a list (nested lists are joined by spaces,
/// `true` is "1", `false` and null are empty).
fn nix_to_string(v: &Value) -> Option<String> {
    Some(match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "1".into(),
        Value::Bool(false) | Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(nix_to_string)
            .collect::<Option<Vec<_>>>()?
            .join(" "),
        Value::Object(_) => return None,
    })
}

/// systemd-lib `toOption`: booleans as true/false, everything else `toString`.
fn to_option(v: &Value) -> Option<String> {
    match v {
        Value::Bool(true) => Some("true".into()),
        Value::Bool(false) => Some("false".into()),
        other => nix_to_string(other),
    }
}

/// systemd-lib `attrsToSection`: sorted names, one line per list element.
pub fn attrs_to_section(
    unit: &str,
    attrs: &BTreeMap<String, Value>,
) -> Result<String, RenderError> {
    let mut out = String::new();
    for (name, value) in attrs {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let text = to_option(item).ok_or_else(|| RenderError::BadValue {
                unit: unit.to_string(),
                directive: name.clone(),
                value: item.to_string(),
            })?;
            out.push_str(name);
            out.push('=');
            out.push_str(&text);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Nix `builtins.toJSON` of a string (as used for `Environment=` lines).
fn nix_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn common_unit_text(unit: &str, def: &UnitDef, lines: &str) -> Result<String, RenderError> {
    let mut text = String::from("[Unit]\n");
    text.push_str(&attrs_to_section(unit, &def.unit_config)?);
    text.push('\n');
    text.push_str(lines);
    if !def.wanted_by.is_empty() {
        text.push_str("\n[Install]\nWantedBy=");
        text.push_str(&def.wanted_by.join(" "));
        text.push('\n');
    }
    Ok(text)
}

/// The text of one unit file, as NixOS would write it to `/etc/systemd/system/<unit>`.
pub fn render_unit(unit: &str, def: &UnitDef) -> Result<String, RenderError> {
    match def.kind.as_str() {
        "service" => {
            let mut lines = String::from("[Service]\n");
            for (name, value) in &def.environment {
                if let Some(value) = value {
                    lines.push_str("Environment=");
                    lines.push_str(&nix_json_string(&format!("{name}={value}")));
                    lines.push('\n');
                }
            }
            if def.reload_if_changed {
                lines.push_str("X-ReloadIfChanged=true\n");
            } else if !def.restart_if_changed {
                lines.push_str("X-RestartIfChanged=false\n");
            }
            if !def.stop_if_changed {
                lines.push_str("X-StopIfChanged=false\n");
            }
            if def.not_socket_activated {
                lines.push_str("X-NotSocketActivated=true\n");
            }
            lines.push_str(&attrs_to_section(unit, &def.service_config)?);
            common_unit_text(unit, def, &lines)
        }
        "socket" => {
            let streams: Vec<String> = def
                .listen_streams
                .iter()
                .map(|s| format!("ListenStream={s}"))
                .collect();
            let datagrams: Vec<String> = def
                .listen_datagrams
                .iter()
                .map(|s| format!("ListenDatagram={s}"))
                .collect();
            let lines = format!(
                "[Socket]\n{}\n{}\n{}\n",
                attrs_to_section(unit, &def.socket_config)?,
                streams.join("\n"),
                datagrams.join("\n")
            );
            common_unit_text(unit, def, &lines)
        }
        "timer" => {
            let lines = format!("[Timer]\n{}\n", attrs_to_section(unit, &def.timer_config)?);
            common_unit_text(unit, def, &lines)
        }
        other => Err(RenderError::UnknownKind {
            unit: unit.to_string(),
            kind: other.to_string(),
        }),
    }
}

/// The `[Service]` directives whose value is a command line.
pub const EXEC_DIRECTIVES: &[&str] = &[
    "ExecCondition",
    "ExecStartPre",
    "ExecStart",
    "ExecStartPost",
    "ExecReload",
    "ExecStop",
    "ExecStopPost",
];

/// The executables (absolute paths) named by a unit's Exec* lines, in order,
/// without systemd's command prefixes (`@`, `-`, `:`, `+`, `!`).
pub fn executables(def: &UnitDef) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for directive in EXEC_DIRECTIVES {
        let Some(value) = def.service_config.get(*directive) else {
            continue;
        };
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let Some(line) = to_option(item) else {
                continue;
            };
            if let Some(exe) = exec_path(&line)
                && !out.contains(&exe)
            {
                out.push(exe);
            }
        }
    }
    out
}

/// The absolute executable an Exec* command line runs (see [`exec_program`]).
pub fn exec_path(command: &str) -> Option<String> {
    exec_program(command).filter(|w| w.starts_with('/'))
}

/// The program an Exec* command line runs: the first word after systemd's
/// prefixes (`@`, `-`, `:`, `+`, `!`), unquoted when it is written in double
/// quotes (as `utils.escapeSystemdExecArgs` writes it). The one place atnix
/// reads a program out of a command line (render, harden and smoke).
pub fn exec_program(command: &str) -> Option<String> {
    let command = command
        .trim_start()
        .trim_start_matches(['@', '-', ':', '+', '!']);
    let word = if let Some(rest) = command.strip_prefix('"') {
        let mut word = String::new();
        let mut chars = rest.chars();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => word.push(chars.next()?),
                c => word.push(c),
            }
        }
        word
    } else {
        command.split_whitespace().next()?.to_string()
    };
    (!word.is_empty()).then_some(word)
}

/// Store paths (`/nix/store/` + 32 nix32 characters + `-name`) mentioned in
/// the given texts, sorted and without duplicates.
pub fn store_paths<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    const PREFIX: &str = "/nix/store/";
    let mut out = std::collections::BTreeSet::new();
    for text in texts {
        let mut rest = text;
        while let Some(i) = rest.find(PREFIX) {
            let tail = &rest[i + PREFIX.len()..];
            let name_len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || "+-._?=".contains(c)))
                .unwrap_or(tail.len());
            let candidate = &tail[..name_len];
            if candidate.len() > 33
                && candidate.as_bytes()[32] == b'-'
                && candidate[..32]
                    .bytes()
                    .all(|b| b"0123456789abcdfghijklmnpqrsvwxyz".contains(&b))
            {
                out.insert(format!("{PREFIX}{candidate}"));
            }
            rest = &tail[name_len..];
        }
    }
    out.into_iter().collect()
}
