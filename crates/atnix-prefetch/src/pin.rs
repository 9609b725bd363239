//! The `source.json` pin shape and in-place updates that keep a file's other
//! fields and their order.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::{Error, Fetcher};

/// Where a git repository lives, when its URL says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// [`Fetcher::GitHub`] or [`Fetcher::Tangled`].
    pub fetcher: Fetcher,
    pub owner: String,
    pub repo: String,
}

/// Recognises GitHub (`https://github.com/o/r(.git)`, `git@github.com:o/r`)
/// and Tangled (`https://tangled.org/@handle/r` or `…/did:plc:…/r`, also
/// tangled.sh) URLs.
pub fn infer_locator(repo: &str) -> Option<Locator> {
    let rest = repo
        .strip_prefix("git@github.com:")
        .map(|r| (Fetcher::GitHub, r))
        .or_else(|| {
            let no_scheme = repo
                .strip_prefix("https://")
                .or_else(|| repo.strip_prefix("http://"))
                .or_else(|| repo.strip_prefix("ssh://git@"))
                .or_else(|| repo.strip_prefix("git://"))?;
            let (host, path) = no_scheme.split_once('/')?;
            match host {
                "github.com" | "www.github.com" => Some((Fetcher::GitHub, path)),
                "tangled.org" | "tangled.sh" => Some((Fetcher::Tangled, path)),
                _ => None,
            }
        })?;
    let (fetcher, path) = rest;
    let mut parts = path.trim_end_matches('/').split('/');
    let owner = parts.next()?;
    let name = parts.next()?;
    let name = name.strip_suffix(".git").unwrap_or(name);
    if parts.next().is_some() || owner.is_empty() || name.is_empty() {
        return None;
    }
    if fetcher == Fetcher::Tangled && !owner.starts_with('@') && !owner.starts_with("did:") {
        return None;
    }
    Some(Locator {
        fetcher,
        owner: owner.to_owned(),
        repo: name.to_owned(),
    })
}

/// A JSON object that keeps its keys in file order.
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut fields: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    match fields.iter_mut().find(|(key, _)| *key == k) {
                        Some(slot) => slot.1 = v,
                        None => fields.push((k, v)),
                    }
                }
                Ok(Ordered(fields))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `fields` as a pretty-printed JSON object in the given order, newline-terminated.
pub fn pin_json(fields: &[(&str, Value)]) -> String {
    let doc = Ordered(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    );
    let mut out = serde_json::to_string_pretty(&doc).expect("JSON values always serialise");
    out.push('\n');
    out
}

/// Sets `fields` in the existing JSON object at `path`, keeping every other
/// field and the key order (new keys go at the end), and replaces the file
/// atomically (temporary file in the same directory, then rename). On any
/// error the file is left as it was.
pub fn update_source_json(path: &Path, fields: &[(&str, Value)]) -> Result<(), Error> {
    let bad = |message: String| Error::SourceJson {
        path: path.to_owned(),
        message,
    };
    let text = fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut doc: Ordered =
        serde_json::from_slice(&text).map_err(|e| bad(format!("not a JSON object: {e}")))?;
    for (key, value) in fields {
        match doc.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.clone(),
            None => doc.0.push(((*key).to_owned(), value.clone())),
        }
    }
    let mut out = serde_json::to_vec_pretty(&doc).map_err(|e| bad(e.to_string()))?;
    out.push(b'\n');

    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mode = fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions()
        .mode();
    let mut tmp = tempfile::Builder::new()
        .prefix(".source.json.")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(&out).map_err(|e| Error::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), e))?;
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators() {
        let gh = infer_locator("https://github.com/sharkdp/diskus.git").unwrap();
        assert_eq!(
            (gh.fetcher, &*gh.owner, &*gh.repo),
            (Fetcher::GitHub, "sharkdp", "diskus")
        );
        let gh = infer_locator("git@github.com:chmln/sd").unwrap();
        assert_eq!((gh.owner.as_str(), gh.repo.as_str()), ("chmln", "sd"));
        let t = infer_locator("https://tangled.org/@microcosm.blue/microcosm-rs").unwrap();
        assert_eq!(
            (t.fetcher, &*t.owner),
            (Fetcher::Tangled, "@microcosm.blue")
        );
        let t = infer_locator("https://tangled.org/did:plc:wshs7t2adsemcrrd4snkeqli/core").unwrap();
        assert_eq!(
            (&*t.owner, &*t.repo),
            ("did:plc:wshs7t2adsemcrrd4snkeqli", "core")
        );
        assert!(infer_locator("https://tangled.org/tangled.org/core").is_none());
        assert!(infer_locator("/work/.mirror/sharkdp+diskus/repo").is_none());
        assert!(infer_locator("https://example.com/a/b").is_none());
        assert!(infer_locator("https://github.com/a/b/tree/main").is_none());
    }

    #[test]
    fn update_keeps_order_and_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("source.json");
        fs::write(
            &p,
            r#"{"fetcher":"github","owner":"o","repo":"r","rev":"old","hash":"h","cargoHash":"c"}"#,
        )
        .unwrap();
        update_source_json(&p, &[("rev", "new".into()), ("hash", "sha256-x".into())]).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        let keys: Vec<usize> = ["fetcher", "owner", "repo", "rev", "hash", "cargoHash"]
            .iter()
            .map(|k| text.find(&format!("\"{k}\"")).unwrap())
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(text.contains(r#""rev": "new""#) && text.contains(r#""cargoHash": "c""#));
    }

    #[test]
    fn update_refuses_non_object_and_keeps_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("source.json");
        fs::write(&p, "[1,2]").unwrap();
        assert!(update_source_json(&p, &[("rev", "x".into())]).is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "[1,2]");
    }
}
