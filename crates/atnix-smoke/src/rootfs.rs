//! The Debian 12 root file system every container boots from, built once with
//! debootstrap and cached.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::Error;

/// Packages on top of `minbase`: systemd as PID 1, curl for HTTP checks,
/// nodejs and python3 for test services, iproute2 and procps for diagnosis,
/// ca-certificates because every NixOS host has a CA bundle in /etc/ssl/certs
/// and some services refuse to start without one (rsky-pds: the AWS SDK's
/// rustls connector panics when no native root parses), postgresql for the
/// `postgresql` need (crate::postgres).
pub const INCLUDE: &str =
    "systemd,systemd-sysv,dbus,python3,curl,nodejs,iproute2,procps,ca-certificates,postgresql";
pub const SUITE: &str = "bookworm";
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// Units that only make noise or block a clean `running` state in a container.
pub const MASKED: &[&str] = &[
    "console-getty.service",
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "dpkg-db-backup.timer",
    "e2scrub_all.timer",
    "fstrim.timer",
    "systemd-tmpfiles-clean.timer",
];

fn recipe() -> String {
    format!(
        "debootstrap --variant=minbase --include={INCLUDE} {SUITE}\nmasked: {}\n",
        MASKED.join(" ")
    )
}

/// The tools a smoke run calls on the host.
pub const HOST_TOOLS: &[&str] = &[
    "systemd-nspawn",
    "nsenter",
    "systemd-analyze",
    "debootstrap",
];

/// Fails with a message saying exactly what is missing.
pub fn check_prerequisites() -> Result<(), Error> {
    let mut missing = Vec::new();
    if !nix::unistd::geteuid().is_root() {
        missing.push("root (systemd-nspawn and cgroup setup need uid 0)".to_string());
    }
    for tool in HOST_TOOLS {
        if find_in_path(tool).is_none() {
            missing.push(format!("`{tool}` in PATH"));
        }
    }
    for dir in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"] {
        if !Path::new(dir).join("cgroup.procs").exists() {
            missing.push(format!("cgroup hierarchy {dir}"));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Prerequisite(format!(
            "atnix smoke needs {}; on Debian: `apt-get install -y systemd-container debootstrap` and run as root",
            missing.join(", ")
        )))
    }
}

pub(crate) fn find_in_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// Returns the cached root file system under `cache`, building it first if it
/// is missing or was built by another recipe. Concurrent callers wait on a lock.
/// The second value is how long the build took, if one ran.
pub fn ensure(cache: &Path, mirror: &str) -> Result<(PathBuf, Option<Duration>), Error> {
    fs::create_dir_all(cache).map_err(|e| Error::io(cache, e))?;
    let lock_path = cache.join("lock");
    let lock = File::create(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
    // Held until this function returns (the lock is released on drop).
    let _lock = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, errno)| Error::io(&lock_path, errno.into()))?;
    let rootfs = cache.join(format!("{SUITE}-rootfs"));
    let stamp = cache.join(format!("{SUITE}-rootfs.recipe"));
    if rootfs.join("sbin/init").exists() && fs::read_to_string(&stamp).is_ok_and(|r| r == recipe())
    {
        return Ok((rootfs, None));
    }
    let started = Instant::now();
    let _ = fs::remove_file(&stamp);
    let build = cache.join(format!(".{SUITE}-build"));
    for stale in [&build, &rootfs] {
        if stale.exists() {
            crate::container::unmount_under(stale);
            fs::remove_dir_all(stale).map_err(|e| Error::io(stale, e))?;
        }
    }
    let log_path = cache.join("debootstrap.log");
    let log = File::create(&log_path).map_err(|e| Error::io(&log_path, e))?;
    let log_err = log.try_clone().map_err(|e| Error::io(&log_path, e))?;
    let spinner = crate::spinner(format!(
        "building the {SUITE} root file system with debootstrap (log: {})",
        log_path.display()
    ));
    tracing::info!(
        "$ debootstrap --variant=minbase --include={INCLUDE} {SUITE} {} {mirror}",
        build.display()
    );
    let mut child = Command::new("debootstrap")
        .arg("--variant=minbase")
        .arg(format!("--include={INCLUDE}"))
        .arg(SUITE)
        .arg(&build)
        .arg(mirror)
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| Error::Command {
            command: "debootstrap".into(),
            message: e.to_string(),
        })?;
    let pgid = child.id() as i32;
    crate::container::register_build(pgid, &build);
    let status = child.wait();
    crate::container::unregister_build(pgid);
    if crate::container::interrupted() {
        return Err(Error::Interrupted);
    }
    let status = status.map_err(|e| Error::Command {
        command: "debootstrap".into(),
        message: e.to_string(),
    })?;
    spinner.finish_and_clear();
    if !status.success() {
        let tail = fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(8).collect();
        return Err(Error::Command {
            command: format!("debootstrap {SUITE} {mirror}"),
            message: format!(
                "{status}; last lines of {}:\n{}",
                log_path.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ),
        });
    }
    let etc = build.join("etc/systemd/system");
    for unit in MASKED {
        let link = etc.join(unit);
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink("/dev/null", &link).map_err(|e| Error::io(&link, e))?;
    }
    fs::rename(&build, &rootfs).map_err(|e| Error::io(&rootfs, e))?;
    fs::write(&stamp, recipe()).map_err(|e| Error::io(&stamp, e))?;
    Ok((rootfs, Some(started.elapsed())))
}
