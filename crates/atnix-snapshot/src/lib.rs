//! Upgrade snapshots of a service's state directory: taken when the unit is
//! about to run a package other than the one it last ran, kept N deep, and
//! restored byte for byte by `atnix rollback`.
//!
//! Layout, under a snapshot root (`/var/lib/atnix-snapshots` on a host):
//! `<unit>/<seq>/state/` is the snapshot and `<unit>/<seq>/meta.json` says
//! which package had written it. [`backend`] picks how it is taken: a
//! read-only btrfs snapshot when the state directory is a btrfs subvolume
//! (and the snapshot root on the same file system), a ZFS snapshot when it
//! is a dataset's mountpoint (`state` is then a symlink into its
//! `.zfs/snapshot`, and `zfs-snapshot` holds its name), else
//! `cp -a --reflink=auto`: a reflink on btrfs and XFS, a plain copy
//! elsewhere, owners, modes, times, links and extended attributes kept.
//! A restore copies back from the snapshot in every case: the state
//! directory itself stays in place.
//!
//! [`guard`] is the unit side (snapshot before an upgrade, health gate,
//! restore on failure), run by the `atnix-upgrade-guard` binary.
//!
pub mod backend;
pub mod guard;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed: {stderr}")]
    Command { command: String, stderr: String },
    #[error("{}: {message}", path.display())]
    Meta { path: PathBuf, message: String },
    #[error("no snapshot of {unit} under {}", root.display())]
    NoSnapshot { unit: String, root: PathBuf },
    #[error(
        "{unit}: the upgrade to {package} failed its health check and the state was restored; \
         switch back to the previous generation (atnix rollback prints it), or remove {} to try it again",
        mark.display()
    )]
    Refused {
        unit: String,
        package: String,
        mark: PathBuf,
    },
    #[error("{unit} did not pass its health check within {seconds} s: {last}")]
    Unhealthy {
        unit: String,
        seconds: u64,
        last: String,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a snapshot was taken of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub unit: String,
    /// The package (store path) that last ran on this state.
    pub package: String,
    /// The package about to run, whose start caused the snapshot.
    pub next: String,
}

/// One snapshot on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub seq: u64,
    pub dir: PathBuf,
    pub meta: Meta,
}

impl Snapshot {
    pub fn state(&self) -> PathBuf {
        self.dir.join("state")
    }
}

/// The snapshots of `unit` under `root`, oldest first.
pub fn list(root: &Path, unit: &str) -> Result<Vec<Snapshot>, Error> {
    let dir = root.join(unit);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(&dir))?.path();
        let Some(seq) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let meta_path = path.join("meta.json");
        let Ok(bytes) = fs::read(&meta_path) else {
            // An interrupted snapshot has no meta.json: not a snapshot.
            continue;
        };
        let meta = serde_json::from_slice(&bytes).map_err(|e| Error::Meta {
            path: meta_path,
            message: e.to_string(),
        })?;
        found.push(Snapshot {
            seq,
            dir: path,
            meta,
        });
    }
    found.sort_by_key(|s| s.seq);
    Ok(found)
}

/// Copies `state` to a new snapshot of `meta.unit`, then keeps only the newest `keep`.
/// meta.json is written last, so an interrupted copy is never taken for a snapshot.
pub fn take(root: &Path, state: &Path, meta: &Meta, keep: usize) -> Result<Snapshot, Error> {
    let existing = list(root, &meta.unit)?;
    let seq = existing.last().map_or(1, |s| s.seq + 1);
    let dir = root.join(&meta.unit).join(seq.to_string());
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    backend::snapshot(
        &backend::detect(state),
        state,
        &dir.join("state"),
        (&meta.unit, seq),
        &dir.join(ZFS_NAME_FILE),
    )?;
    let meta_path = dir.join("meta.json");
    let text = serde_json::to_vec_pretty(meta).expect("Meta serialises");
    fs::write(&meta_path, text).map_err(io(&meta_path))?;
    let snap = Snapshot {
        seq,
        dir,
        meta: meta.clone(),
    };
    let all = list(root, &meta.unit)?;
    let drop = all.len().saturating_sub(keep.max(1));
    for old in &all[..drop] {
        backend::release(&old.state(), &old.dir.join(ZFS_NAME_FILE))?;
        fs::remove_dir_all(&old.dir).map_err(io(&old.dir))?;
    }
    Ok(snap)
}

/// Puts `snap` back at `state`: the current contents move into the
/// snapshot's `failed/` (kept for the bug report), then the copy comes back.
/// The directory itself stays in place and nothing is created beside it:
/// under systemd, `/var/lib/private` is read-only even to a `+` command.
/// Returns where the failed state went.
pub fn restore(snap: &Snapshot, state: &Path) -> Result<PathBuf, Error> {
    let aside = snap.dir.join("failed");
    if aside.exists() {
        fs::remove_dir_all(&aside).map_err(io(&aside))?;
    }
    fs::create_dir(&aside).map_err(io(&aside))?;
    fs::create_dir_all(state).map_err(io(state))?;
    for entry in fs::read_dir(state).map_err(io(state))? {
        let from = entry.map_err(io(state))?.path();
        let to = aside.join(from.file_name().expect("a directory entry has a name"));
        move_entry(&from, &to)?;
    }
    // A ZFS snapshot's `state` is a symlink into `.zfs/snapshot`: copy what it names.
    let from = fs::canonicalize(snap.state()).map_err(io(&snap.state()))?;
    copy_tree(&from, state)?;
    Ok(aside)
}

/// Renames, or copies and removes when `to` is on another file system.
fn move_entry(from: &Path, to: &Path) -> Result<(), Error> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(18) => {
            // EXDEV: the snapshots live on another file system.
            copy_tree(from, to)?;
            let meta = fs::symlink_metadata(from).map_err(io(from))?;
            if meta.is_dir() {
                fs::remove_dir_all(from).map_err(io(from))
            } else {
                fs::remove_file(from).map_err(io(from))
            }
        }
        Err(e) => Err(io(from)(e)),
    }
}

/// Beside a ZFS-backed snapshot: the name of its ZFS snapshot, for pruning.
const ZFS_NAME_FILE: &str = "zfs-snapshot";

/// `cp -a --reflink=auto SRC DEST`: DEST must be missing or an empty directory.
pub(crate) fn copy_tree(src: &Path, dest: &Path) -> Result<(), Error> {
    let out = Command::new("cp")
        .args(["-a", "--reflink=auto", "--no-target-directory", "--"])
        .arg(src)
        .arg(dest)
        .output()
        .map_err(io(Path::new("cp")))?;
    if !out.status.success() {
        return Err(Error::Command {
            command: format!("cp -a --reflink=auto {} {}", src.display(), dest.display()),
            stderr: atnix_diag::stderr_tail(&out.stderr),
        });
    }
    Ok(())
}

/// The system generations (`<profiles>/system-<N>-link`) whose unit file for
/// `unit` names `package`, newest first: where to switch back to.
pub fn generations_with(profiles: &Path, unit: &str, package: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(profiles) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let n = name
                .strip_prefix("system-")?
                .strip_suffix("-link")?
                .parse()
                .ok()?;
            let unit_file = p.join("etc/systemd/system").join(format!("{unit}.service"));
            let text = fs::read_to_string(unit_file).ok()?;
            text.contains(package).then_some((n, p))
        })
        .collect();
    found.sort_by_key(|b| std::cmp::Reverse(b.0));
    found.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    /// Every path with its type, mode, target and bytes.
    fn fingerprint(root: &Path) -> Vec<(PathBuf, u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_owned()];
        while let Some(dir) = stack.pop() {
            for e in fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                let m = fs::symlink_metadata(&p).unwrap();
                let rel = p.strip_prefix(root).unwrap().to_owned();
                let body = if m.file_type().is_symlink() {
                    fs::read_link(&p)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes()
                } else if m.is_dir() {
                    stack.push(p.clone());
                    Vec::new()
                } else {
                    fs::read(&p).unwrap()
                };
                out.push((rel, m.permissions().mode(), body));
            }
        }
        out.sort();
        out
    }

    fn meta(package: &str, next: &str) -> Meta {
        Meta {
            unit: "demo".into(),
            package: package.into(),
            next: next.into(),
        }
    }

    #[test]
    fn restore_is_byte_for_byte_and_keeps_the_failed_state() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, state) = (tmp.path().join("snaps"), tmp.path().join("state"));
        fs::create_dir_all(state.join("db")).unwrap();
        fs::write(state.join("db/data"), b"v1 schema\0\x01\x02").unwrap();
        fs::write(state.join("secret"), b"k").unwrap();
        fs::set_permissions(state.join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
        symlink("db/data", state.join("current")).unwrap();
        let before = fingerprint(&state);

        let snap = take(
            &root,
            &state,
            &meta("/nix/store/a-v1", "/nix/store/b-v2"),
            3,
        )
        .unwrap();
        // v2 migrates.
        fs::write(state.join("db/data"), b"v2 schema").unwrap();
        fs::write(state.join("db/new-index"), b"x").unwrap();
        fs::remove_file(state.join("current")).unwrap();
        assert_ne!(fingerprint(&state), before);

        let aside = restore(&snap, &state).unwrap();
        assert_eq!(fingerprint(&state), before);
        assert_eq!(fs::read(aside.join("db/data")).unwrap(), b"v2 schema");
    }

    #[test]
    fn restores_through_a_zfs_style_link() {
        // A ZFS-backed snapshot's `state` links to `.zfs/snapshot/<name>`;
        // no ZFS here, so a directory stands in for it.
        let tmp = tempfile::tempdir().unwrap();
        let (root, state, zfs) = (
            tmp.path().join("snaps"),
            tmp.path().join("state"),
            tmp.path().join("zfs-snapshot-dir"),
        );
        fs::create_dir_all(&zfs).unwrap();
        fs::write(zfs.join("data"), b"v1").unwrap();
        let dir = root.join("demo/1");
        fs::create_dir_all(&dir).unwrap();
        symlink(&zfs, dir.join("state")).unwrap();
        fs::write(
            dir.join("meta.json"),
            serde_json::to_vec(&meta("/nix/store/a-v1", "/nix/store/b-v2")).unwrap(),
        )
        .unwrap();
        fs::create_dir_all(&state).unwrap();
        fs::write(state.join("data"), b"v2").unwrap();

        let snap = list(&root, "demo").unwrap().pop().unwrap();
        restore(&snap, &state).unwrap();
        assert_eq!(fs::read(state.join("data")).unwrap(), b"v1");
        assert!(fs::symlink_metadata(&state).unwrap().is_dir());
    }

    #[test]
    fn keeps_the_newest_n_and_skips_interrupted_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, state) = (tmp.path().join("snaps"), tmp.path().join("state"));
        fs::create_dir_all(&state).unwrap();
        for i in 0..4 {
            fs::write(state.join("n"), i.to_string()).unwrap();
            take(
                &root,
                &state,
                &meta(&format!("p{i}"), &format!("p{}", i + 1)),
                2,
            )
            .unwrap();
        }
        fs::create_dir_all(root.join("demo/99/state")).unwrap(); // no meta.json
        let kept = list(&root, "demo").unwrap();
        assert_eq!(kept.iter().map(|s| s.seq).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(fs::read(kept[1].state().join("n")).unwrap(), b"3");
        assert_eq!(kept[1].meta.package, "p3");
        assert!(list(&root, "other").unwrap().is_empty());
    }

    #[test]
    fn finds_the_generation_that_ran_a_package() {
        let tmp = tempfile::tempdir().unwrap();
        for (n, pkg) in [
            (1, "/nix/store/a-v1"),
            (2, "/nix/store/a-v1"),
            (3, "/nix/store/b-v2"),
        ] {
            let units = tmp
                .path()
                .join(format!("system-{n}-link/etc/systemd/system"));
            fs::create_dir_all(&units).unwrap();
            fs::write(
                units.join("demo.service"),
                format!("ExecStart={pkg}/bin/demo\n"),
            )
            .unwrap();
        }
        let found = generations_with(tmp.path(), "demo", "/nix/store/a-v1");
        let names: Vec<_> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["system-2-link", "system-1-link"]);
        assert!(generations_with(tmp.path(), "other", "/nix/store/a-v1").is_empty());
    }
}
