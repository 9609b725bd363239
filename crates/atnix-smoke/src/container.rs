//! One systemd-nspawn container booting the cached root file system, with
//! guaranteed teardown: `Drop`, and an interrupt handler that tears down every
//! live container before the process exits.

use std::ffi::CString;
use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::stat::Mode;
use nix::unistd::Pid;

use crate::Error;

const CGROUP_ROOTS: [&str; 2] = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"];
const CONTAINER_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A host path made visible read-only at `target` inside the container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bind {
    pub host: PathBuf,
    pub target: String,
}

#[derive(Debug, Clone)]
pub struct ContainerConfig {
    /// Machine name; also the name of its cgroup directories.
    pub name: String,
    pub rootfs: PathBuf,
    pub binds: Vec<Bind>,
    /// Receives nspawn's stdout and stderr (the read-only console).
    pub console_log: PathBuf,
    /// Removed on teardown (staged unit files and store files).
    pub scratch: Option<PathBuf>,
}

struct Inner {
    name: String,
    cgroups: Vec<PathBuf>,
    scratch: Option<PathBuf>,
    console_log: PathBuf,
    nspawn_pid: i32,
    leader: AtomicI32,
    child: Mutex<Option<Child>>,
}

/// A booted (or booting) container. Dropping it powers it off and removes its
/// cgroups and scratch directory.
pub struct Container {
    inner: Arc<Inner>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn live() -> &'static Mutex<Vec<Arc<Inner>>> {
    static LIVE: OnceLock<Mutex<Vec<Arc<Inner>>>> = OnceLock::new();
    LIVE.get_or_init(|| Mutex::new(Vec::new()))
}

fn extra_paths() -> &'static Mutex<Vec<PathBuf>> {
    static PATHS: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    PATHS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Removes `path` (recursively) if the run is interrupted; the normal path
/// removes it itself (e.g. a `TempDir`).
pub fn remove_on_interrupt(path: &Path) {
    if let Ok(mut paths) = extra_paths().lock() {
        paths.push(path.to_path_buf());
    }
}

fn builds() -> &'static Mutex<Vec<(i32, PathBuf)>> {
    static BUILDS: OnceLock<Mutex<Vec<(i32, PathBuf)>>> = OnceLock::new();
    BUILDS.get_or_init(|| Mutex::new(Vec::new()))
}

/// A running root file system build (its process group and directory): killed
/// and unmounted on interrupt. The next build removes the directory.
pub(crate) fn register_build(pgid: i32, dir: &Path) {
    if let Ok(mut b) = builds().lock() {
        b.push((pgid, dir.to_path_buf()));
    }
}

pub(crate) fn unregister_build(pgid: i32) {
    if let Ok(mut b) = builds().lock() {
        b.retain(|(p, _)| *p != pgid);
    }
}

/// Detaches every mount at or below `dir` (debootstrap mounts /proc and /sys
/// inside its target), deepest first, so the tree can be removed safely.
pub(crate) fn unmount_under(dir: &Path) {
    let Ok(info) = fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for p in points {
        let _ = nix::mount::umount2(&p, nix::mount::MntFlags::MNT_DETACH);
    }
}

/// Installs a SIGINT/SIGTERM/SIGHUP handler that tears down every live container
/// and exits with status 130. Call once, before booting anything.
pub fn install_interrupt_handler() -> Result<(), Error> {
    ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let all: Vec<Arc<Inner>> = live().lock().map(|l| l.clone()).unwrap_or_default();
        eprintln!("interrupted: tearing down {} container(s)", all.len());
        let handles: Vec<_> = all
            .into_iter()
            .map(|c| std::thread::spawn(move || c.teardown()))
            .collect();
        for h in handles {
            let _ = h.join();
        }
        for (pgid, dir) in builds().lock().map(|b| b.clone()).unwrap_or_default() {
            // A process group we started.
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            std::thread::sleep(Duration::from_millis(200));
            unmount_under(&dir);
        }
        for path in extra_paths().lock().map(|p| p.clone()).unwrap_or_default() {
            let _ = fs::remove_dir_all(path);
        }
        std::process::exit(130);
    })
    .map_err(|e| Error::Command {
        command: "install signal handler".into(),
        message: e.to_string(),
    })
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// After an interrupt, the handler cleans up and exits the process with 130;
/// a caller that notices the interrupt waits here instead of racing it to exit.
pub fn await_interrupt_exit() {
    if interrupted() {
        loop {
            std::thread::park();
        }
    }
}

impl Container {
    /// Launches systemd-nspawn exactly as the recipe says and returns once the
    /// process is registered for cleanup (not yet booted: see [`Self::wait_running`]).
    pub fn launch(config: &ContainerConfig) -> Result<Self, Error> {
        let mut registry = live().lock().expect("container registry poisoned");
        if interrupted() {
            return Err(Error::Interrupted);
        }
        let cgroups: Vec<PathBuf> = CGROUP_ROOTS
            .iter()
            .map(|root| Path::new(root).join(&config.name))
            .collect();
        for dir in &cgroups {
            fs::create_dir(dir).map_err(|e| Error::io(dir, e))?;
        }
        let cleanup_cgroups = |e: Error| {
            for dir in &cgroups {
                remove_cgroup(dir);
            }
            e
        };
        let log = File::create(&config.console_log)
            .map_err(|e| cleanup_cgroups(Error::io(&config.console_log, e)))?;
        let log_err = log
            .try_clone()
            .map_err(|e| cleanup_cgroups(Error::io(&config.console_log, e)))?;

        let mut cmd = Command::new("systemd-nspawn");
        // A pure cgroup2 inside; with the host's hybrid layout IPAddressDeny= is
        // silently not enforced.
        cmd.env("SYSTEMD_NSPAWN_UNIFIED_HIERARCHY", "1")
            .arg("-D")
            .arg(&config.rootfs)
            .arg("-M")
            .arg(&config.name)
            .arg("-b")
            // No host systemd or D-Bus to register with.
            .arg("--register=no")
            .arg("--keep-unit")
            // Every boot starts clean; several containers share one root fs.
            .arg("--volatile=overlay")
            // The root fs itself is never written (the overlay's upper layer is a
            // tmpfs), and without this nspawn locks it exclusively: a second
            // container booting at the same time fails "currently busy".
            .arg("--read-only")
            // Only loopback inside: ports never clash.
            .arg("--private-network")
            // With `passive`, nothing drains the console and PID 1 can block on it.
            .arg("--console=read-only")
            // nspawn's own filter blocks bpf(), needed for IPAddressDeny= and DevicePolicy=.
            .arg("--system-call-filter=bpf");
        for bind in &config.binds {
            cmd.arg(format!(
                "--bind-ro={}:{}",
                escape_bind(&bind.host.to_string_lossy()),
                escape_bind(&bind.target)
            ));
        }
        cmd.stdin(Stdio::null()).stdout(log).stderr(log_err);
        // Own process group: a terminal's ctrl-c reaches us, and we power the
        // container off in order.
        cmd.process_group(0);
        let procs: Vec<CString> = cgroups
            .iter()
            .map(|d| CString::new(d.join("cgroup.procs").as_os_str().as_encoded_bytes()))
            .collect::<Result<_, _>>()
            .map_err(|e| {
                cleanup_cgroups(Error::Command {
                    command: "systemd-nspawn".into(),
                    message: e.to_string(),
                })
            })?;
        // SAFETY: `pre_exec` has no safe counterpart. The closure runs
        // between fork and exec and only makes async-signal-safe system calls
        // (getpid, open, write, close, prctl) on buffers prepared before the
        // fork; nix's wrappers around them do not allocate for a `CStr` path.
        unsafe {
            cmd.pre_exec(move || {
                // Own cgroup first; otherwise nspawn creates /payload and
                // /supervisor in the host's root cgroup.
                let mut buf = [0u8; 24];
                let digits = format_pid(nix::unistd::getpid().as_raw(), &mut buf);
                for path in &procs {
                    let fd = nix::fcntl::open(
                        path.as_c_str(),
                        OFlag::O_WRONLY | OFlag::O_CLOEXEC,
                        Mode::empty(),
                    )?;
                    let written = nix::unistd::write(&fd, digits);
                    drop(fd);
                    written?;
                }
                // If we die without cleaning up, the container still powers off.
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
                Ok(())
            });
        }
        tracing::info!("$ SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 {:?}", cmd);
        let child = cmd.spawn().map_err(|e| {
            cleanup_cgroups(Error::Command {
                command: "systemd-nspawn".into(),
                message: e.to_string(),
            })
        })?;
        let inner = Arc::new(Inner {
            name: config.name.clone(),
            cgroups,
            scratch: config.scratch.clone(),
            console_log: config.console_log.clone(),
            nspawn_pid: child.id() as i32,
            leader: AtomicI32::new(0),
            child: Mutex::new(Some(child)),
        });
        registry.push(inner.clone());
        Ok(Self { inner })
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Waits until systemd inside reports `running` (or `degraded`).
    pub fn wait_running(&self, timeout: Duration) -> Result<String, Error> {
        let deadline = Instant::now() + timeout;
        let leader = loop {
            self.check_alive()?;
            if let Some(pid) = self.find_leader() {
                break pid;
            }
            if Instant::now() > deadline {
                return Err(self.boot_error("no container PID 1 appeared"));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.inner.leader.store(leader, Ordering::SeqCst);
        loop {
            self.check_alive()?;
            if self
                .exec(&["test", "-S", "/run/systemd/private"])?
                .status
                .success()
            {
                break;
            }
            if Instant::now() > deadline {
                return Err(self.boot_error("systemd's private socket never appeared"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let secs = deadline
            .saturating_duration_since(Instant::now())
            .as_secs()
            .max(1)
            .to_string();
        let out = self.exec(&["timeout", &secs, "systemctl", "is-system-running", "--wait"])?;
        let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
        match state.as_str() {
            "running" | "degraded" => Ok(state),
            _ => Err(self.boot_error(&format!("system state `{state}`"))),
        }
    }

    /// Runs a command inside the container (all its namespaces) and returns its output.
    pub fn exec(&self, argv: &[&str]) -> Result<Output, Error> {
        let leader = self.inner.leader.load(Ordering::SeqCst);
        if leader == 0 {
            return Err(self.boot_error("not booted"));
        }
        if interrupted() {
            return Err(Error::Interrupted);
        }
        Command::new("nsenter")
            .arg("-t")
            .arg(leader.to_string())
            .arg("-a")
            .arg("--")
            .args(argv)
            .env_clear()
            .env("PATH", CONTAINER_PATH)
            .env("SYSTEMD_PAGER", "")
            .env("SYSTEMD_COLORS", "0")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Command {
                command: format!("nsenter -t {leader} -a -- {}", argv.join(" ")),
                message: e.to_string(),
            })
    }

    /// Runs `sh -c script` inside the container.
    pub fn sh(&self, script: &str) -> Result<Output, Error> {
        self.exec(&["sh", "-c", script])
    }

    fn check_alive(&self) -> Result<(), Error> {
        let mut guard = self.inner.child.lock().expect("container state poisoned");
        match guard.as_mut().map(|c| c.try_wait()) {
            Some(Ok(None)) => Ok(()),
            Some(Ok(Some(status))) => {
                drop(guard);
                Err(self.boot_error(&format!("systemd-nspawn exited: {status}")))
            }
            Some(Err(e)) => Err(Error::io(Path::new("systemd-nspawn"), e)),
            None => Err(Error::Interrupted),
        }
    }

    fn find_leader(&self) -> Option<i32> {
        let pid = self.inner.nspawn_pid;
        // nspawn's outer child clones the container's PID 1 with CLONE_PARENT,
        // so PID 1 is a direct child of nspawn once the outer child has exited.
        let children = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
        children
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
            .find(|child| {
                fs::read_to_string(format!("/proc/{child}/status"))
                    .ok()
                    .and_then(|s| {
                        s.lines()
                            .find(|l| l.starts_with("NSpid:"))
                            .map(|l| l.split_whitespace().last() == Some("1"))
                    })
                    .unwrap_or(false)
            })
    }

    fn boot_error(&self, what: &str) -> Error {
        let console = fs::read_to_string(&self.inner.console_log).unwrap_or_default();
        let tail: Vec<&str> = console.lines().rev().take(10).collect();
        Error::Boot {
            name: self.inner.name.clone(),
            message: format!(
                "{what}; console ({}):\n{}",
                self.inner.console_log.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ),
        }
    }

    /// Powers off and removes everything the container left on the host.
    pub fn teardown(&self) {
        self.inner.teardown();
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        self.inner.teardown();
    }
}

impl Inner {
    fn teardown(&self) {
        let child = self.child.lock().map(|mut c| c.take()).unwrap_or(None);
        if let Some(mut child) = child {
            let pid = self.nspawn_pid;
            // The first SIGTERM powers off cleanly, the second kills at once.
            let steps = [
                (Signal::SIGTERM, Duration::from_secs(5)),
                (Signal::SIGTERM, Duration::from_secs(3)),
                (Signal::SIGKILL, Duration::from_secs(5)),
            ];
            for (signal, wait) in steps {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                // Our own child, not yet reaped, so the pid is still its.
                let _ = kill(Pid::from_raw(pid), signal);
                let deadline = Instant::now() + wait;
                while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            let _ = child.wait();
            for dir in &self.cgroups {
                remove_cgroup(dir);
            }
            let propagate = Path::new("/run/systemd/nspawn/propagate").join(&self.name);
            let _ = fs::remove_dir(propagate);
            if let Some(scratch) = &self.scratch {
                let _ = fs::remove_dir_all(scratch);
            }
        }
        if let Ok(mut registry) = live().lock() {
            registry.retain(|c| !std::ptr::eq(c.as_ref(), self));
        }
    }
}

/// Kills whatever is left in a cgroup tree and removes it, deepest first.
fn remove_cgroup(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut dirs = Vec::new();
        collect_dirs(dir, &mut dirs);
        if dirs.is_empty() {
            return;
        }
        for d in dirs.iter().rev() {
            if fs::remove_dir(d).is_err() {
                kill_procs(d);
            }
        }
        if Instant::now() > deadline {
            tracing::warn!("could not remove cgroup {}", dir.display());
            return;
        }
        if dir.exists() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    if !dir.is_dir() {
        return;
    }
    out.push(dir.to_path_buf());
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                collect_dirs(&e.path(), out);
            }
        }
    }
}

fn kill_procs(dir: &Path) {
    if fs::write(dir.join("cgroup.kill"), "1").is_ok() {
        return;
    }
    if let Ok(procs) = fs::read_to_string(dir.join("cgroup.procs")) {
        for pid in procs.lines().filter_map(|p| p.trim().parse::<i32>().ok()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// nspawn splits `--bind` at colons; a literal colon is written `\:`.
fn escape_bind(s: &str) -> String {
    s.replace('\\', "\\\\").replace(':', "\\:")
}

fn format_pid(pid: i32, buf: &mut [u8; 24]) -> &[u8] {
    let mut n = pid as u32;
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_pids_without_allocating() {
        let mut buf = [0u8; 24];
        assert_eq!(format_pid(0, &mut buf), b"0");
        assert_eq!(format_pid(4194304, &mut buf), b"4194304");
    }

    #[test]
    fn escapes_colons_in_bind_paths() {
        assert_eq!(escape_bind("/a:b"), "/a\\:b");
    }
}
