//! How a snapshot is taken: a read-only btrfs snapshot when the state
//! directory is a btrfs subvolume, a ZFS snapshot when it is the mountpoint of
//! a ZFS dataset, else `cp -a --reflink=auto` (a reflink on btrfs and XFS, a
//! plain copy elsewhere).
//!
//! The file system comes from `stat -f -c %T` (statfs' f_type by name). A
//! btrfs subvolume is a directory whose inode is 256. A ZFS dataset is found
//! with `zfs list -H -o name,mountpoint PATH`; only a dataset mounted exactly
//! at the state directory is snapshotted, so a snapshot holds that state and
//! nothing else. `btrfs` and `zfs` come from PATH, else from
//! /run/current-system/sw/bin (NixOS installs them there for a file system
//! that needs them). When the command fails, the snapshot falls back to the
//! copy.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Error, io};

/// The btrfs inode number of a subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID).
const BTRFS_SUBVOLUME_INODE: u64 = 256;

/// A file system type as `stat -f -c %T` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsKind {
    Btrfs,
    Zfs,
    Other(String),
}

impl FsKind {
    pub fn from_stat_name(name: &str) -> FsKind {
        match name.trim() {
            "btrfs" => FsKind::Btrfs,
            "zfs" => FsKind::Zfs,
            other => FsKind::Other(other.to_owned()),
        }
    }
}

/// How a state directory is snapshotted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The state directory is a btrfs subvolume.
    BtrfsSubvolume,
    /// The state directory is the mountpoint of this ZFS dataset.
    Zfs {
        dataset: String,
        mountpoint: PathBuf,
    },
    /// `cp -a --reflink=auto`.
    Copy,
}

/// Where NixOS installs btrfs-progs and zfs when a file system needs them;
/// a unit's PATH does not have it.
const SYSTEM_BIN: &str = "/run/current-system/sw/bin";

/// `program` from PATH, else from the NixOS system profile.
pub fn resolve(program: &str, path_var: Option<&std::ffi::OsStr>) -> PathBuf {
    let dirs = path_var
        .map(|p| std::env::split_paths(p).collect::<Vec<_>>())
        .unwrap_or_default();
    dirs.into_iter()
        .chain([PathBuf::from(SYSTEM_BIN)])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(program))
}

fn run(argv: &[String]) -> Result<String, Error> {
    let program = resolve(&argv[0], std::env::var_os("PATH").as_deref());
    let out = Command::new(&program)
        .args(&argv[1..])
        .output()
        .map_err(io(&program))?;
    if !out.status.success() {
        return Err(Error::Command {
            command: argv.join(" "),
            stderr: atnix_diag::stderr_tail(&out.stderr),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A command line: fixed words, then paths.
fn argv(words: &[&str], paths: &[&Path]) -> Vec<String> {
    words
        .iter()
        .map(|w| (*w).to_owned())
        .chain(paths.iter().map(|p| path_arg(p)))
        .collect()
}

/// `stat -f -c %T PATH`.
pub fn stat_command(path: &Path) -> Vec<String> {
    argv(&["stat", "-f", "-c", "%T", "--"], &[path])
}

/// `zfs list -H -o name,mountpoint PATH`: the dataset holding PATH.
pub fn zfs_list_command(path: &Path) -> Vec<String> {
    argv(&["zfs", "list", "-H", "-o", "name,mountpoint"], &[path])
}

/// The dataset of `zfs list -H -o name,mountpoint` output when it is mounted at `path`.
pub fn zfs_dataset_at(list_output: &str, path: &Path) -> Option<String> {
    let line = list_output.lines().next()?;
    let (name, mountpoint) = line.split_once('\t')?;
    (Path::new(mountpoint.trim_end()) == path && !name.is_empty()).then(|| name.to_owned())
}

/// `btrfs subvolume snapshot -r SRC DEST`: a read-only snapshot at DEST.
pub fn btrfs_snapshot_command(src: &Path, dest: &Path) -> Vec<String> {
    argv(&["btrfs", "subvolume", "snapshot", "-r"], &[src, dest])
}

/// `btrfs subvolume delete PATH`.
pub fn btrfs_delete_command(path: &Path) -> Vec<String> {
    argv(&["btrfs", "subvolume", "delete"], &[path])
}

/// The ZFS snapshot name of snapshot `seq` of `unit`: `DATASET@atnix-UNIT-SEQ`.
pub fn zfs_snapshot_name(dataset: &str, unit: &str, seq: u64) -> String {
    format!("{dataset}@atnix-{unit}-{seq}")
}

/// Where ZFS shows a snapshot's files: `MOUNTPOINT/.zfs/snapshot/NAME`.
pub fn zfs_snapshot_dir(mountpoint: &Path, snapshot: &str) -> PathBuf {
    let short = snapshot.split_once('@').map_or(snapshot, |(_, s)| s);
    mountpoint.join(".zfs/snapshot").join(short)
}

/// `zfs snapshot DATASET@NAME`.
pub fn zfs_snapshot_command(snapshot: &str) -> Vec<String> {
    vec!["zfs".into(), "snapshot".into(), snapshot.into()]
}

/// `zfs destroy DATASET@NAME`; refuses anything but a snapshot name.
pub fn zfs_destroy_command(snapshot: &str) -> Option<Vec<String>> {
    snapshot
        .contains('@')
        .then(|| vec!["zfs".into(), "destroy".into(), snapshot.into()])
}

/// Whether `path` is the root of a btrfs subvolume, given its file system.
pub fn is_btrfs_subvolume(kind: &FsKind, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    *kind == FsKind::Btrfs
        && std::fs::symlink_metadata(path)
            .is_ok_and(|m| m.is_dir() && m.ino() == BTRFS_SUBVOLUME_INODE)
}

/// The backend for the state directory `state` (symlinks resolved).
pub fn detect(state: &Path) -> Backend {
    let Ok(state) = std::fs::canonicalize(state) else {
        return Backend::Copy;
    };
    let kind = match run(&stat_command(&state)) {
        Ok(name) => FsKind::from_stat_name(&name),
        Err(_) => return Backend::Copy,
    };
    match kind {
        FsKind::Btrfs if is_btrfs_subvolume(&kind, &state) => Backend::BtrfsSubvolume,
        FsKind::Zfs => run(&zfs_list_command(&state))
            .ok()
            .and_then(|out| zfs_dataset_at(&out, &state))
            .map_or(Backend::Copy, |dataset| Backend::Zfs {
                dataset,
                mountpoint: state,
            }),
        _ => Backend::Copy,
    }
}

/// Takes the snapshot of `state` at `dest` (a path that must not exist) with
/// `backend`, falling back to a copy. A ZFS snapshot is linked from `dest`
/// (a symlink into `.zfs/snapshot`) and its name written to `zfs_name_file`.
/// Returns the backend that took it.
pub(crate) fn snapshot(
    backend: &Backend,
    state: &Path,
    dest: &Path,
    (unit, seq): (&str, u64),
    zfs_name_file: &Path,
) -> Result<Backend, Error> {
    match backend {
        Backend::BtrfsSubvolume => {
            if run(&btrfs_snapshot_command(state, dest)).is_ok() {
                return Ok(Backend::BtrfsSubvolume);
            }
        }
        Backend::Zfs {
            dataset,
            mountpoint,
        } => {
            let name = zfs_snapshot_name(dataset, unit, seq);
            if run(&zfs_snapshot_command(&name)).is_ok() {
                std::fs::write(zfs_name_file, &name).map_err(io(zfs_name_file))?;
                let target = zfs_snapshot_dir(mountpoint, &name);
                std::os::unix::fs::symlink(&target, dest).map_err(io(dest))?;
                return Ok(Backend::Zfs {
                    dataset: dataset.clone(),
                    mountpoint: mountpoint.clone(),
                });
            }
        }
        Backend::Copy => {}
    }
    crate::copy_tree(state, dest)?;
    Ok(Backend::Copy)
}

/// Removes what [`snapshot`] made outside plain files: the btrfs subvolume at
/// `state` or the ZFS snapshot named in `zfs_name_file`. Plain copies are left
/// to the caller's `remove_dir_all`.
pub(crate) fn release(state: &Path, zfs_name_file: &Path) -> Result<(), Error> {
    if let Ok(name) = std::fs::read_to_string(zfs_name_file) {
        if let Some(argv) = zfs_destroy_command(name.trim()) {
            run(&argv)?;
        }
        return Ok(());
    }
    let kind = run(&stat_command(state))
        .map(|n| FsKind::from_stat_name(&n))
        .unwrap_or(FsKind::Other(String::new()));
    if is_btrfs_subvolume(&kind, state) {
        run(&btrfs_delete_command(state))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_system_names_of_stat() {
        assert_eq!(FsKind::from_stat_name("btrfs\n"), FsKind::Btrfs);
        assert_eq!(FsKind::from_stat_name("zfs\n"), FsKind::Zfs);
        assert_eq!(
            FsKind::from_stat_name("ext2/ext3\n"),
            FsKind::Other("ext2/ext3".into())
        );
        assert_eq!(
            stat_command(Path::new("/var/lib/x")),
            ["stat", "-f", "-c", "%T", "--", "/var/lib/x"]
        );
    }

    #[test]
    fn zfs_dataset_only_when_mounted_at_the_state() {
        let state = Path::new("/var/lib/private/pds");
        assert_eq!(
            zfs_dataset_at("tank/pds\t/var/lib/private/pds\n", state),
            Some("tank/pds".into())
        );
        // The state is a directory inside a larger dataset: copy instead.
        assert_eq!(zfs_dataset_at("tank/var\t/var\n", state), None);
        assert_eq!(zfs_dataset_at("", state), None);
        assert_eq!(
            zfs_list_command(state),
            [
                "zfs",
                "list",
                "-H",
                "-o",
                "name,mountpoint",
                "/var/lib/private/pds"
            ]
        );
    }

    #[test]
    fn snapshot_commands() {
        assert_eq!(
            btrfs_snapshot_command(
                Path::new("/var/lib/private/pds"),
                Path::new("/s/pds/3/state")
            ),
            [
                "btrfs",
                "subvolume",
                "snapshot",
                "-r",
                "/var/lib/private/pds",
                "/s/pds/3/state"
            ]
        );
        assert_eq!(
            btrfs_delete_command(Path::new("/s/pds/1/state")),
            ["btrfs", "subvolume", "delete", "/s/pds/1/state"]
        );
        let name = zfs_snapshot_name("tank/pds", "pds", 3);
        assert_eq!(name, "tank/pds@atnix-pds-3");
        assert_eq!(
            zfs_snapshot_command(&name),
            ["zfs", "snapshot", "tank/pds@atnix-pds-3"]
        );
        assert_eq!(
            zfs_destroy_command(&name).unwrap(),
            ["zfs", "destroy", "tank/pds@atnix-pds-3"]
        );
        // Never a whole dataset.
        assert_eq!(zfs_destroy_command("tank/pds"), None);
        assert_eq!(
            zfs_snapshot_dir(Path::new("/var/lib/private/pds"), &name),
            Path::new("/var/lib/private/pds/.zfs/snapshot/atnix-pds-3")
        );
    }

    #[test]
    fn tools_come_from_path_then_the_system_profile() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("btrfs"), "").unwrap();
        let path = std::env::join_paths([tmp.path()]).unwrap();
        assert_eq!(resolve("btrfs", Some(&path)), tmp.path().join("btrfs"));
        // Nowhere: the bare name, so the error names it.
        let empty = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([empty.path()]).unwrap();
        assert_eq!(
            resolve("no-such-tool-atnix", Some(&path)),
            PathBuf::from("no-such-tool-atnix")
        );
    }

    #[test]
    fn a_plain_directory_is_copied() {
        let tmp = tempfile::tempdir().unwrap();
        // This machine has neither btrfs nor ZFS; a directory that is not a
        // subvolume root is copied on any file system.
        let sub = tmp.path().join("state");
        std::fs::create_dir(&sub).unwrap();
        assert_eq!(detect(&sub), Backend::Copy);
        assert_eq!(detect(&tmp.path().join("missing")), Backend::Copy);
        assert!(!is_btrfs_subvolume(
            &FsKind::Other("ext2/ext3".into()),
            &sub
        ));
    }
}
