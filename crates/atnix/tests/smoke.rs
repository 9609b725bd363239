//! `atnix smoke` under a real systemd in systemd-nspawn. Needs root,
//! systemd-nspawn, nsenter and debootstrap (CI runs as root); without them these
//! tests FAIL, saying what is missing. The root file system is built once into
//! ATNIX_SMOKE_CACHE (default /var/cache/atnix/smoke).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn prerequisites() {
    if let Err(e) = atnix_smoke::rootfs::check_prerequisites() {
        panic!("smoke tests cannot run here: {e}");
    }
}

fn smoke(extra: &[&str]) -> Command {
    let r = repo();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atnix"));
    cmd.current_dir(&r)
        .arg("smoke")
        .arg("--rendered")
        .arg(r.join("tests/smoke/rendered"))
        .args(extra);
    cmd
}

fn row<'a>(table: &'a str, unit: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{unit} ")))
        .unwrap_or_else(|| panic!("no row for {unit} in:\n{table}"))
}

#[test]
fn systemd_node_under_mdwe_fails_naming_it_and_node_without_passes() {
    prerequisites();
    let out = smoke(&["--jobs", "2"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one service fails, so the exit status is 1\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );

    let good = row(&stdout, "node-good.service");
    let cells: Vec<&str> = good.split_whitespace().collect();
    assert_eq!(cells[1], "PASS", "{stdout}");
    // A live grade was read inside the container, and an offline one on the host.
    let live: f32 = cells[2]
        .parse()
        .unwrap_or_else(|_| panic!("live grade in {good}"));
    let offline: f32 = cells[4]
        .parse()
        .unwrap_or_else(|_| panic!("offline grade in {good}"));
    assert!(live <= 1.5 && offline <= 1.5, "{good}");

    let bad = row(&stdout, "node-mdwe.service");
    assert!(bad.contains(" FAIL "), "{stdout}");
    assert!(
        bad.contains("SIGTRAP"),
        "the reason names the signal: {bad}"
    );
    assert!(
        bad.contains("MemoryDenyWriteExecute=true"),
        "the reason names the setting: {bad}"
    );
    assert!(
        bad.contains("Fatal javascript OOM"),
        "the reason quotes V8: {bad}"
    );
}

#[test]
fn systemd_unknown_unit_is_a_clear_error() {
    prerequisites();
    let out = smoke(&["no-such.service"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no-such.service") && stderr.contains("node-good.service"),
        "{stderr}"
    );
}

fn leftovers(prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    for root in [
        "/sys/fs/cgroup/unified",
        "/sys/fs/cgroup/systemd",
        "/run/systemd/nspawn/propagate",
    ] {
        for e in fs::read_dir(root).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(prefix) {
                found.push(format!("{}", e.path().display()));
            }
        }
    }
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(prefix) {
            found.push(format!(
                "process {}: {cmdline}",
                e.file_name().to_string_lossy()
            ));
        }
    }
    for mounts in ["/proc/self/mountinfo", "/proc/1/mountinfo"] {
        for line in fs::read_to_string(mounts).unwrap_or_default().lines() {
            if line.contains(prefix) || line.contains("/nix/store/") {
                found.push(format!("mount: {line}"));
            }
        }
    }
    found
}

#[test]
fn systemd_interrupt_mid_run_leaves_no_container_cgroup_or_mount() {
    prerequisites();
    let scratch = tempfile::tempdir().unwrap();
    // A long settle time keeps the service running while we interrupt.
    let mut child = smoke(&["node-good.service", "--settle", "120"])
        .env("TMPDIR", scratch.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let prefix = format!("atnix-smoke-{}-", child.id());
    let running = Path::new("/sys/fs/cgroup/unified")
        .join(format!("{prefix}0"))
        .join("payload/system.slice/node-good.service");
    // Allow for a first build of the root file system.
    let deadline = Instant::now() + Duration::from_secs(900);
    while !running.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("atnix smoke exited before the service started: {status}");
        }
        assert!(Instant::now() < deadline, "the service never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !leftovers(&prefix).is_empty(),
        "the container is visible while it runs"
    );

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "atnix smoke did not exit after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left = leftovers(&prefix);
    assert!(
        left.is_empty(),
        "left behind after interrupt:\n{}",
        left.join("\n")
    );
    let scratch_left: Vec<_> = fs::read_dir(scratch.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(
        scratch_left.is_empty(),
        "scratch files left: {scratch_left:?}"
    );
}

#[test]
fn systemd_missing_rendered_dir_is_named_once_with_nixpkgs_lib_set() {
    prerequisites();
    // NIXPKGS_LIB (set for the eval steps of scripts/test) must not clash with --rendered.
    let out = Command::new(env!("CARGO_BIN_EXE_atnix"))
        .args(["smoke", "--rendered", "/nonexistent-dir"])
        .env("NIXPKGS_LIB", "/nonexistent-lib")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: /nonexistent-dir/manifest.json: No such file or directory (os error 2)\n"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn systemd_scenario_starts_units_in_order_skips_an_absent_optional_one_and_grades_each() {
    prerequisites();
    let r = repo();
    let out = Command::new(env!("CARGO_BIN_EXE_atnix"))
        .current_dir(&r)
        .args(["smoke", "--rendered"])
        .arg(r.join("tests/smoke/scenario"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        row(&stdout, "scenario-front.service").contains(" PASS "),
        "{stdout}"
    );
    assert!(
        stdout.contains("SKIPPED scenario-absent.service")
            && stdout.contains("/nix/store/00000000000000000000000000000000-absent-1.0/bin/absent"),
        "the skipped unit and its missing program are named: {stdout}"
    );
    assert!(
        !stdout.contains("scenario-unused"),
        "a unit the scenario does not start is not installed, so its absent program does not matter: {stdout}"
    );
    // Both started units are graded inside the container, the backend even
    // though the check stopped it.
    for unit in ["scenario-backend.service", "scenario-front.service"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("scenario: {unit} under systemd, live ")))
            .unwrap_or_else(|| panic!("no grade line for {unit}: {stdout}"));
        assert!(!line.contains("live -"), "{line}");
    }
    assert!(
        stdout.contains("scenario check: backend and front answered; backend stopped"),
        "the passing check's output is shown: {stdout}"
    );
}
