use std::fs;
use std::io::Write;
use std::path::Path;

use indexmap::IndexMap;
use serde_json::Value;

use crate::{Error, Result};

/// Sets `key` to `value` in a `source.json`, keeping the other fields and their
/// order. The file is replaced atomically (temp file + rename); on any error it
/// is left untouched.
pub fn set_source_field(path: &Path, key: &str, value: &str) -> Result<()> {
    let text = fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut fields: IndexMap<String, Value> =
        serde_json::from_slice(&text).map_err(|e| Error::Lockfile {
            path: path.to_owned(),
            message: format!("not a JSON object: {e}"),
        })?;
    fields.insert(key.to_owned(), Value::String(value.to_owned()));
    let mut out = serde_json::to_string_pretty(&fields).expect("serialising JSON values");
    out.push('\n');

    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    let perms = fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions();
    tmp.write_all(out.as_bytes())
        .and_then(|()| tmp.as_file().sync_data())
        .and_then(|()| tmp.as_file().set_permissions(perms))
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
