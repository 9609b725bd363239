//! Places what a rendered unit names under /nix/store inside the container:
//! local builds of the packages at the exact paths `Exec*=` names, files the
//! rendered data carries, and Debian stand-ins for generic tools.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::container::Bind;
use crate::unit::UnitFile;

pub const STORE: &str = "/nix/store/";

/// Where local builds of packages are found.
#[derive(Debug, Clone, Default)]
pub struct Binaries {
    /// Key: a full store path (`/nix/store/…-x/bin/x`), a store object
    /// (`/nix/store/…-x`, mapped to a local directory), or a program name (`x`).
    pub explicit: BTreeMap<String, PathBuf>,
    /// Directories searched for a program by its name (e.g. `target/release`).
    pub dirs: Vec<PathBuf>,
}

/// How a store path was provided, shown beside the results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provided {
    /// A local build, at this host path.
    Local(PathBuf),
    /// Written from the rendered data.
    Rendered,
    /// The root file system's own program of the same name (e.g. bash, node).
    StandIn(String),
}

#[derive(Debug, Default)]
pub struct Placement {
    pub binds: Vec<Bind>,
    pub provided: BTreeMap<String, Provided>,
    /// Store paths a unit executes that nothing provides.
    pub missing: Vec<String>,
}

impl Binaries {
    /// The local file for `store_path`, if a local build provides it.
    pub fn lookup(&self, store_path: &str) -> Option<PathBuf> {
        if let Some(p) = self.explicit.get(store_path) {
            return Some(p.clone());
        }
        if let Some((object, dir)) = self.object_dir(store_path) {
            let rest = store_path[object.len()..].trim_start_matches('/');
            let p = if rest.is_empty() {
                dir.clone()
            } else {
                dir.join(rest)
            };
            return p.exists().then_some(p);
        }
        let name = Path::new(store_path).file_name()?.to_str()?;
        if let Some(p) = self.explicit.get(name).filter(|p| !p.is_dir()) {
            return Some(p.clone());
        }
        self.dirs
            .iter()
            .map(|d| d.join(name))
            .find(|p| p.is_file() && is_executable(p))
    }

    /// A local directory standing for the whole store object of `store_path`:
    /// keyed by the object path, its name without the hash, or that name
    /// without the version (`microcosm-slingshot` for
    /// `…-microcosm-slingshot-0-unstable-2026-05-05`).
    pub fn object_dir<'a>(&self, store_path: &'a str) -> Option<(&'a str, PathBuf)> {
        let object = store_object(store_path)?;
        let name = object[STORE.len()..].split_once('-')?.1;
        self.explicit
            .iter()
            .filter(|(_, dir)| dir.is_dir())
            .find(|(key, _)| {
                key.as_str() == object
                    || key.as_str() == name
                    || name.strip_prefix(key.as_str()).is_some_and(|rest| {
                        rest.strip_prefix('-')
                            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                    })
            })
            .map(|(_, dir)| (object, dir.clone()))
    }
}

/// `/nix/store/<hash>-<name>` of a path below it.
pub fn store_object(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(STORE)?;
    let end = rest.find('/').map_or(path.len(), |i| STORE.len() + i);
    Some(&path[..end])
}

fn is_executable(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// Resolves a path inside `root` the way the container would see it,
/// following symlinks (absolute ones relative to `root`).
pub fn resolve_in_root(root: &Path, path: &str) -> Option<PathBuf> {
    let mut current = PathBuf::from(path.trim_start_matches('/'));
    for _ in 0..40 {
        let mut resolved = PathBuf::new();
        let mut comps = current.components().peekable();
        let mut restarted = false;
        while let Some(c) = comps.next() {
            resolved.push(c);
            let host = root.join(&resolved);
            let meta = fs::symlink_metadata(&host).ok()?;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&host).ok()?;
                let base = if target.is_absolute() {
                    PathBuf::from(target.to_string_lossy().trim_start_matches('/'))
                } else {
                    resolved.parent().unwrap_or(Path::new("")).join(target)
                };
                let rest: PathBuf = comps.collect();
                current = normalize(&base.join(rest));
                restarted = true;
                break;
            }
        }
        if !restarted {
            return Some(root.join(resolved));
        }
    }
    None
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A Debian program standing in for a store program of the same name.
fn stand_in(rootfs: &Path, store_path: &str) -> Option<(PathBuf, String)> {
    let name = Path::new(store_path).file_name()?.to_str()?;
    ["usr/local/bin", "usr/bin", "usr/sbin", "bin", "sbin"]
        .iter()
        .map(|d| format!("/{d}/{name}"))
        .find_map(|p| {
            resolve_in_root(rootfs, &p)
                .filter(|h| h.is_file())
                .map(|h| (h, p))
        })
}

/// Plans every bind the units of one service need. Generated scripts from the
/// rendered data are written under `stage`.
pub fn place(
    units: &[UnitFile],
    extra_executables: &[String],
    scripts: &BTreeMap<String, String>,
    bins: &Binaries,
    rootfs: &Path,
    stage: &Path,
) -> Result<Placement, Error> {
    let mut wanted: BTreeSet<String> = extra_executables
        .iter()
        .filter(|p| p.starts_with(STORE))
        .cloned()
        .collect();
    let mut args: BTreeSet<String> = BTreeSet::new();
    let mut path_dirs: BTreeSet<String> = BTreeSet::new();
    for unit in units {
        for line in unit.exec_lines() {
            let mut words = line.into_iter();
            if let Some(program) = words.next().filter(|p| p.starts_with(STORE)) {
                wanted.insert(program);
            }
            args.extend(words.filter(|w| w.starts_with(STORE)));
        }
        // Other store paths the unit names (WorkingDirectory=, Environment=,
        // ...) are placed when something provides them.
        for value in unit.service_values() {
            for path in store_paths_in(value) {
                if path.ends_with("/bin") || path.ends_with("/sbin") {
                    path_dirs.insert(path);
                } else {
                    args.insert(path);
                }
            }
        }
        if let Some(path) = unit.environment().get("PATH") {
            path_dirs.extend(
                path.split(':')
                    .filter(|d| d.starts_with(STORE))
                    .map(String::from),
            );
        }
    }
    // Programs a generated script runs (`exec /nix/store/…/bin/x`) are needed
    // like `Exec*=` programs; its PATH-style `…/bin` directories like PATH=.
    for text in scripts.values() {
        for path in store_paths_in(text) {
            if path.ends_with("/bin") || path.ends_with("/sbin") {
                path_dirs.insert(path);
            } else if is_program_path(&path) {
                wanted.insert(path);
            } else {
                args.insert(path);
            }
        }
    }
    // Store paths named as arguments are placed when the rendered data or a
    // local build provides them; otherwise the service's own error will say.
    for arg in &args {
        if scripts.contains_key(arg) || bins.lookup(arg).is_some() {
            wanted.insert(arg.clone());
        }
    }

    args.retain(|a| !wanted.contains(a));
    let mut placement = Placement::default();
    let mut objects = BTreeSet::new();
    let mut queue: Vec<String> = wanted.into_iter().collect();
    let mut seen = BTreeSet::new();
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        if let Some(text) = scripts.get(&path) {
            let host = stage.join("store").join(path.trim_start_matches(STORE));
            if let Some(parent) = host.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            fs::write(&host, text).map_err(|e| Error::io(&host, e))?;
            fs::set_permissions(&host, fs::Permissions::from_mode(0o555))
                .map_err(|e| Error::io(&host, e))?;
            // A generated script's interpreter must be there too.
            if let Some(interp) = shebang(text).filter(|i| i.starts_with(STORE)) {
                queue.push(interp);
            }
            placement.binds.push(Bind {
                host,
                target: path.clone(),
            });
            placement.provided.insert(path, Provided::Rendered);
        } else if let Some(host) = bins.lookup(&path) {
            // A whole local store object is bound once, at its root.
            match bins.object_dir(&path) {
                Some((object, dir)) => {
                    if objects.insert(object.to_string()) {
                        placement.binds.push(Bind {
                            host: dir,
                            target: object.to_string(),
                        });
                    }
                }
                None => placement.binds.push(Bind {
                    host: host.clone(),
                    target: path.clone(),
                }),
            }
            placement.provided.insert(path, Provided::Local(host));
        } else if let Some((host, name)) = stand_in(rootfs, &path) {
            placement.binds.push(Bind {
                host,
                target: path.clone(),
            });
            placement.provided.insert(path, Provided::StandIn(name));
        } else if !args.contains(&path) {
            placement.missing.push(path);
        }
    }
    // PATH= entries in store `bin` directories (coreutils, findutils, ...) get
    // Debian's /usr/bin, unless something was placed inside them.
    for dir in path_dirs {
        // A local build of the whole store object (e.g. openssl=DIR) provides
        // its own bin/ directory.
        if let Some((object, local)) = bins.object_dir(&dir) {
            if objects.insert(object.to_string()) {
                placement.binds.push(Bind {
                    host: local.clone(),
                    target: object.to_string(),
                });
            }
            let rest = dir[object.len()..].trim_start_matches('/');
            placement
                .provided
                .insert(dir.clone(), Provided::Local(local.join(rest)));
            continue;
        }
        let prefix = format!("{dir}/");
        if placement
            .binds
            .iter()
            .any(|b| b.target.starts_with(&prefix))
        {
            continue;
        }
        let debian = if dir.ends_with("/bin") {
            "usr/bin"
        } else if dir.ends_with("/sbin") {
            "usr/sbin"
        } else {
            continue;
        };
        let host = rootfs.join(debian);
        placement.binds.push(Bind {
            host,
            target: dir.clone(),
        });
        placement
            .provided
            .insert(dir, Provided::StandIn(format!("/{debian}")));
    }
    placement.binds.sort();
    placement.missing.sort();
    Ok(placement)
}

/// Absolute store paths appearing in a script's text.
fn store_paths_in(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || "\"'`;:=(){}<>|&$,".contains(c))
        .filter(|w| w.starts_with(STORE) && w.len() > STORE.len())
        .map(|w| w.trim_end_matches(['.', '/']).to_string())
        .collect()
}

/// `/nix/store/…/bin/x` or `…/sbin/x`.
fn is_program_path(path: &str) -> bool {
    Path::new(path)
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|d| d == "bin" || d == "sbin")
}

fn shebang(text: &str) -> Option<String> {
    let line = text.lines().next()?.strip_prefix("#!")?;
    line.split_whitespace().next().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_object_of_a_path() {
        assert_eq!(
            store_object("/nix/store/abc-x-1.0/bin/x"),
            Some("/nix/store/abc-x-1.0")
        );
        assert_eq!(store_object("/nix/store/abc-x"), Some("/nix/store/abc-x"));
        assert_eq!(store_object("/usr/bin/x"), None);
    }

    #[test]
    fn binds_a_local_store_object_once_at_its_root() {
        let root = tempfile::tempdir().unwrap();
        let local = tempfile::tempdir().unwrap();
        let pkg = local.path();
        fs::create_dir_all(pkg.join("bin")).unwrap();
        fs::create_dir_all(pkg.join("share/slingshot")).unwrap();
        fs::write(pkg.join("bin/slingshot"), "elf").unwrap();
        let obj = "/nix/store/j-microcosm-slingshot-0-unstable-2026-05-05";
        let unit = UnitFile::parse(&format!(
            "[Service]\nExecStart=\"{obj}/bin/slingshot\" --bind 127.0.0.1:8080\n\
             WorkingDirectory={obj}/share/slingshot\n"
        ));
        let mut explicit = BTreeMap::new();
        explicit.insert("microcosm-slingshot".to_string(), pkg.to_path_buf());
        let bins = Binaries {
            explicit,
            dirs: vec![],
        };
        let p = place(
            &[unit],
            &[],
            &BTreeMap::new(),
            &bins,
            root.path(),
            root.path(),
        )
        .unwrap();
        assert!(p.missing.is_empty(), "{:?}", p.missing);
        assert_eq!(
            p.binds,
            [Bind {
                host: pkg.to_path_buf(),
                target: obj.to_string()
            }]
        );
        assert_eq!(
            p.provided[&format!("{obj}/share/slingshot")],
            Provided::Local(pkg.join("share/slingshot"))
        );
        // `microcosm` alone is not a name-minus-version match.
        let mut explicit = BTreeMap::new();
        explicit.insert("microcosm".to_string(), pkg.to_path_buf());
        let bins = Binaries {
            explicit,
            dirs: vec![],
        };
        assert!(bins.object_dir(&format!("{obj}/bin/slingshot")).is_none());
    }

    #[test]
    fn a_local_object_provides_its_path_directory() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("usr/bin")).unwrap();
        let local = tempfile::tempdir().unwrap();
        fs::create_dir_all(local.path().join("bin")).unwrap();
        let obj = "/nix/store/o-openssl-3.0";
        let unit = UnitFile::parse(&format!(
            "[Service]\nEnvironment=PATH={obj}/bin:/nix/store/c-coreutils/bin\nExecStart=/usr/bin/true\n"
        ));
        let mut explicit = BTreeMap::new();
        explicit.insert("openssl".to_string(), local.path().to_path_buf());
        let bins = Binaries {
            explicit,
            dirs: vec![],
        };
        let p = place(
            &[unit],
            &[],
            &BTreeMap::new(),
            &bins,
            root.path(),
            root.path(),
        )
        .unwrap();
        assert!(p.binds.contains(&Bind {
            host: local.path().to_path_buf(),
            target: obj.to_string()
        }));
        assert_eq!(
            p.provided[&format!("{obj}/bin")],
            Provided::Local(local.path().join("bin"))
        );
        assert_eq!(
            p.provided["/nix/store/c-coreutils/bin"],
            Provided::StandIn("/usr/bin".into())
        );
    }

    #[test]
    fn resolves_absolute_symlinks_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::create_dir_all(r.join("usr/bin")).unwrap();
        fs::create_dir_all(r.join("etc/alternatives")).unwrap();
        fs::write(r.join("usr/bin/real"), "x").unwrap();
        std::os::unix::fs::symlink("/usr/bin/real", r.join("etc/alternatives/tool")).unwrap();
        std::os::unix::fs::symlink("/etc/alternatives/tool", r.join("usr/bin/tool")).unwrap();
        std::os::unix::fs::symlink("usr/bin", r.join("bin")).unwrap();
        assert_eq!(
            resolve_in_root(r, "/usr/bin/tool"),
            Some(r.join("usr/bin/real"))
        );
        assert_eq!(
            resolve_in_root(r, "/bin/tool"),
            Some(r.join("usr/bin/real"))
        );
        assert_eq!(resolve_in_root(r, "/usr/bin/none"), None);
    }

    #[test]
    fn places_local_builds_rendered_scripts_and_stand_ins() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::create_dir_all(r.join("usr/bin")).unwrap();
        fs::write(r.join("usr/bin/bash"), "elf").unwrap();
        let local = tempfile::tempdir().unwrap();
        let exe = local.path().join("exporter");
        fs::write(&exe, "elf").unwrap();
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
        let stage = tempfile::tempdir().unwrap();
        let unit = UnitFile::parse(
            "[Service]\nEnvironment=PATH=/nix/store/c-coreutils/bin\n\
             ExecStartPre=/nix/store/s-unit-script-pre/bin/pre\n\
             ExecStart=/nix/store/e-exporter-0.1/bin/exporter --x /nix/store/q-missing.json\n\
             ExecStop=/nix/store/z-nothing/bin/nothing\n",
        );
        let mut files = BTreeMap::new();
        files.insert(
            "/nix/store/s-unit-script-pre/bin/pre".to_string(),
            "#!/nix/store/b-bash-5/bin/bash\nexport PATH=/nix/store/g-grep/bin:$PATH\n\
             echo hi\nexec /nix/store/e-exporter-0.1/bin/exporter --config=/nix/store/k-cfg.toml\n\
             /nix/store/m-missing/bin/tool\n"
                .to_string(),
        );
        let bins = Binaries {
            explicit: BTreeMap::new(),
            dirs: vec![local.path().into()],
        };
        let p = place(&[unit], &[], &files, &bins, r, stage.path()).unwrap();
        assert_eq!(
            p.provided["/nix/store/e-exporter-0.1/bin/exporter"],
            Provided::Local(exe.clone())
        );
        assert_eq!(
            p.provided["/nix/store/s-unit-script-pre/bin/pre"],
            Provided::Rendered
        );
        assert_eq!(
            p.provided["/nix/store/b-bash-5/bin/bash"],
            Provided::StandIn("/usr/bin/bash".into())
        );
        assert_eq!(
            p.provided["/nix/store/c-coreutils/bin"],
            Provided::StandIn("/usr/bin".into())
        );
        assert_eq!(
            p.provided["/nix/store/g-grep/bin"],
            Provided::StandIn("/usr/bin".into())
        );
        assert_eq!(
            p.missing,
            [
                "/nix/store/m-missing/bin/tool",
                "/nix/store/z-nothing/bin/nothing"
            ]
        );
        assert!(!p.provided.contains_key("/nix/store/k-cfg.toml"));
        assert!(!p.provided.contains_key("/nix/store/q-missing.json"));
        let staged = stage.path().join("store/s-unit-script-pre/bin/pre");
        assert!(fs::read_to_string(staged).unwrap().contains("echo hi"));
    }
}
