//! One service's smoke cycle: boot, start, health check, stay-up check, live
//! grade, and a reason derived from the journal when it fails.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::container::{Container, ContainerConfig};
use crate::spec::{Rendered, RenderedCase, RenderedUnit, SUPPORTED_NEEDS, SmokeSpec};
use crate::store::{self, Binaries, Provided};
use crate::unit::UnitFile;

/// What to smoke-test: one module's spec and the units its case rendered.
#[derive(Debug, Clone)]
pub struct Service {
    pub module: String,
    /// Why not, when the module has no usable `smoke` attribute (a failure).
    pub spec: Result<SmokeSpec, String>,
    /// The units of the spec's case.
    pub units: Vec<RenderedUnit>,
    /// Users, groups and tmpfiles rules of that case.
    pub context: Option<RenderedCase>,
}

impl Service {
    /// The unit checked, or the module when there is no spec.
    pub fn name(&self) -> &str {
        self.spec.as_ref().map_or(&self.module, |s| &s.unit)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub rootfs: PathBuf,
    pub bins: Binaries,
    /// Scratch space for staged files and console logs.
    pub work_dir: PathBuf,
    /// How long the service must stay up after start.
    pub settle: Duration,
    /// How long the health check may take to answer.
    pub health_timeout: Duration,
    pub boot_timeout: Duration,
}

/// An exposure grade from `systemd-analyze security`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    pub exposure: f32,
    pub label: String,
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.1} {}", self.exposure, self.label)
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    /// The unit checked (or the module, when there is no spec).
    pub service: String,
    pub module: String,
    pub passed: bool,
    pub live: Option<Grade>,
    pub offline: Option<Grade>,
    pub reason: Option<String>,
    /// Boot to `running`.
    pub boot: Option<Duration>,
    /// The whole cycle: stage, boot, check, power off.
    pub total: Duration,
    /// How store paths were provided, for the record.
    pub provided: BTreeMap<String, Provided>,
    /// A scenario's units (`start`, then the checked unit) with their grades.
    pub units: Vec<UnitGrades>,
    /// Optional units of a scenario left out, each with the programs no
    /// local build provides.
    pub skipped: Vec<(String, Vec<String>)>,
    /// What a passing check command printed (stdout, then stderr).
    pub check_output: String,
}

/// The live and offline grades of one unit a scenario started.
#[derive(Debug, Clone)]
pub struct UnitGrades {
    pub unit: String,
    pub live: Option<Grade>,
    pub offline: Option<Grade>,
}

impl Outcome {
    fn failed(service: &str, module: &str, reason: String) -> Self {
        Self {
            service: service.into(),
            module: module.into(),
            passed: false,
            live: None,
            offline: None,
            reason: Some(reason),
            boot: None,
            total: Duration::ZERO,
            provided: BTreeMap::new(),
            units: Vec::new(),
            skipped: Vec::new(),
            check_output: String::new(),
        }
    }
}

/// Runs one service through the whole cycle. Never panics on a service failure;
/// infrastructure errors become the failure reason too.
pub fn run_service(
    service: &Service,
    rendered: &Rendered,
    index: usize,
    opts: &Options,
) -> Outcome {
    let started = Instant::now();
    let spec = match &service.spec {
        Ok(spec) => spec,
        Err(reason) => return Outcome::failed(&service.module, &service.module, reason.clone()),
    };
    let mut outcome = Outcome::failed(&spec.unit, &service.module, String::new());
    match cycle(service, spec, rendered, index, opts, &mut outcome) {
        Ok(()) => {
            outcome.passed = true;
            outcome.reason = None;
        }
        Err(reason) => outcome.reason = Some(reason),
    }
    outcome.total = started.elapsed();
    outcome
}

fn cycle(
    service: &Service,
    spec: &SmokeSpec,
    rendered: &Rendered,
    index: usize,
    opts: &Options,
    outcome: &mut Outcome,
) -> Result<(), String> {
    spec.validate()?;
    let unsupported: Vec<&String> = spec
        .needs
        .iter()
        .filter(|n| !SUPPORTED_NEEDS.contains(&n.as_str()))
        .collect();
    let main = service
        .units
        .iter()
        .find(|u| u.unit == spec.unit)
        .ok_or_else(|| {
            format!(
                "case `{}` of module `{}` renders no unit `{}` (rendered: {})",
                spec.case,
                service.module,
                spec.unit,
                service
                    .units
                    .iter()
                    .map(|u| u.unit.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    outcome.offline = offline_grade(&rendered.unit_path(main)).ok();
    if !unsupported.is_empty() {
        return Err(format!(
            "needs {:?}, which atnix smoke cannot provide yet (supported: {:?})",
            unsupported, SUPPORTED_NEEDS
        ));
    }

    // Stage the units and the store files, and plan the binds.
    let name = format!("atnix-smoke-{}-{index}", std::process::id());
    let scratch = opts.work_dir.join(&name);
    fs::create_dir_all(scratch.join("units")).map_err(|e| e.to_string())?;
    // A scenario installs the units it starts, no others: a profile renders
    // more than one run needs (e.g. a database the scenario replaces with a
    // stand-in). Its optional unit whose programs no local build provides is
    // left out too (not installed, not started), and said so.
    let scenario = !spec.start.is_empty();
    let mut units: Vec<&RenderedUnit> = Vec::new();
    for unit in &service.units {
        if scenario && !spec.started().any(|u| u == unit.unit) {
            continue;
        }
        if spec.optional.contains(&unit.unit) {
            let missing = unit_missing(unit, rendered, opts, &scratch)?;
            if !missing.is_empty() {
                tracing::warn!(
                    "SKIPPED {}: no local build of {}",
                    unit.unit,
                    missing.join(", ")
                );
                outcome.skipped.push((unit.unit.clone(), missing));
                continue;
            }
        }
        units.push(unit);
    }
    let skipped: Vec<&str> = outcome.skipped.iter().map(|(u, _)| u.as_str()).collect();
    let mut parsed = Vec::new();
    let mut binds = Vec::new();
    let mut executables = Vec::new();
    let mut scripts = BTreeMap::new();
    for unit in units.iter().copied() {
        let src = rendered.unit_path(unit);
        let text = fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        let staged = scratch.join("units").join(&unit.unit);
        fs::write(&staged, &text).map_err(|e| e.to_string())?;
        binds.push(crate::container::Bind {
            host: staged,
            target: format!("/etc/systemd/system/{}", unit.unit),
        });
        parsed.push(UnitFile::parse(&text));
        executables.extend(unit.executables.iter().cloned());
        scripts.extend(unit.scripts.clone());
    }
    // NixOS always writes /etc/hosts (networking.hosts); the debootstrapped
    // root has none, and a program's own resolver (Go's) then asks DNS for
    // `localhost`, which a private network cannot reach.
    let hosts = scratch.join("hosts");
    fs::write(&hosts, ETC_HOSTS).map_err(|e| e.to_string())?;
    binds.push(crate::container::Bind {
        host: hosts,
        target: "/etc/hosts".into(),
    });
    let tmpfiles = service
        .context
        .as_ref()
        .map(|c| c.tmpfiles.clone())
        .unwrap_or_default();
    if !tmpfiles.is_empty() {
        let staged = scratch.join("atnix-smoke.tmpfiles.conf");
        fs::write(&staged, tmpfiles.join("\n") + "\n").map_err(|e| e.to_string())?;
        binds.push(crate::container::Bind {
            host: staged,
            target: TMPFILES_CONF.into(),
        });
    }
    let placement = store::place(
        &parsed,
        &executables,
        &scripts,
        &opts.bins,
        &opts.rootfs,
        &scratch,
    )
    .map_err(|e| e.to_string())?;
    outcome.provided = placement.provided.clone();
    if !placement.missing.is_empty() {
        let _ = fs::remove_dir_all(&scratch);
        return Err(format!(
            "no local build for {}: pass --bin STORE_PATH=FILE or --bin-dir DIR holding `{}`",
            placement.missing.join(", "),
            placement
                .missing
                .iter()
                .filter_map(|p| Path::new(p).file_name().and_then(|n| n.to_str()))
                .collect::<Vec<_>>()
                .join("`, `")
        ));
    }
    binds.extend(placement.binds);

    let console_log = opts.work_dir.join(format!("{name}.console.log"));
    let container = Container::launch(&ContainerConfig {
        name: name.clone(),
        rootfs: opts.rootfs.clone(),
        binds,
        console_log,
        scratch: Some(scratch),
    })
    .map_err(|e| e.to_string())?;
    let boot_start = Instant::now();
    container
        .wait_running(opts.boot_timeout)
        .map_err(|e| e.to_string())?;
    outcome.boot = Some(boot_start.elapsed());

    create_users(&container, service.context.as_ref(), &parsed)?;
    // PostgreSQL first: a setup script may seed a database.
    if spec.needs.iter().any(|n| n == "postgresql") {
        let def = service
            .context
            .as_ref()
            .and_then(|c| c.postgresql.clone())
            .unwrap_or_default();
        let out = container
            .sh(&crate::postgres::provision_script(&def))
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "setting up PostgreSQL failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    write_files(&container, &spec.files)?;
    if let Some(setup) = &spec.setup {
        let out = container.sh(setup).map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "the smoke setup script failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    if !tmpfiles.is_empty() {
        let out = container
            .exec(&["systemd-tmpfiles", "--create", TMPFILES_CONF])
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "systemd-tmpfiles --create failed on the case's rules: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }

    let parsed_of = |name: &str| {
        units
            .iter()
            .position(|u| u.unit == name)
            .map(|i| parsed[i].clone())
            .unwrap_or_default()
    };
    let main_unit = parsed_of(&spec.unit);
    let started: Vec<&str> = spec.started().filter(|u| !skipped.contains(u)).collect();
    let start = Instant::now();
    for unit in &started {
        let out = container
            .exec(&["timeout", "90", "systemctl", "start", unit])
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(diagnose(
                &container,
                unit,
                &parsed_of(unit),
                "did not start",
            ));
        }
    }

    // Health check, giving up early if the unit dies.
    let deadline = start + opts.health_timeout;
    let health = loop {
        for unit in &started {
            let props = show(&container, unit);
            if props.get("NRestarts").is_some_and(|n| n != "0") {
                return Err(diagnose(&container, unit, &parsed_of(unit), "restarted"));
            }
        }
        // A scenario's check may stop units itself (e.g. to see a probe fail).
        let props = show(&container, &spec.unit);
        if !scenario
            && props
                .get("ActiveState")
                .is_some_and(|s| s != "active" && s != "activating")
        {
            return Err(diagnose(&container, &spec.unit, &main_unit, "stopped"));
        }
        match health_check(&container, spec, &skipped) {
            Ok(output) => {
                outcome.check_output = output;
                break Ok(());
            }
            Err(e) if Instant::now() > deadline => break Err(e),
            Err(e) => {
                tracing::info!("{}: check failed, retrying: {e}", spec.unit);
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    // Still up, never restarted, after the settle time.
    let settle_until = start + opts.settle;
    if let Some(wait) = settle_until.checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
    if scenario {
        // Every unit ran without a failure or a restart; the check may have
        // stopped some on purpose.
        for unit in &started {
            let props = show(&container, unit);
            if props.get("ActiveState").map(String::as_str) == Some("failed")
                || props.get("NRestarts").map(String::as_str) != Some("0")
            {
                return Err(diagnose(&container, unit, &parsed_of(unit), "failed"));
            }
        }
        for unit in &started {
            let offline = units
                .iter()
                .find(|u| u.unit == *unit)
                .and_then(|u| offline_grade(&rendered.unit_path(u)).ok());
            outcome.units.push(UnitGrades {
                unit: unit.to_string(),
                live: live_grade(&container, unit).ok(),
                offline,
            });
        }
    } else {
        let props = show(&container, &spec.unit);
        if props.get("ActiveState").map(String::as_str) != Some("active")
            || props.get("NRestarts").map(String::as_str) != Some("0")
        {
            return Err(diagnose(
                &container,
                &spec.unit,
                &main_unit,
                "did not stay up",
            ));
        }
    }
    outcome.live = live_grade(&container, &spec.unit).ok();
    health.map_err(|e| format!("health check failed: {e}"))?;
    drop(container);
    Ok(())
}

const TMPFILES_CONF: &str = "/etc/tmpfiles.d/atnix-smoke.conf";

/// NixOS's /etc/hosts for `networking.hosts` at its default.
const ETC_HOSTS: &str = "127.0.0.1 localhost\n::1 localhost\n";

/// The store paths one unit runs that nothing provides.
fn unit_missing(
    unit: &RenderedUnit,
    rendered: &Rendered,
    opts: &Options,
    scratch: &Path,
) -> Result<Vec<String>, String> {
    let src = rendered.unit_path(unit);
    let text = fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    let probe = scratch.join("optional").join(&unit.unit);
    let placement = store::place(
        &[UnitFile::parse(&text)],
        &unit.executables,
        &unit.scripts,
        &opts.bins,
        &opts.rootfs,
        &probe,
    )
    .map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(&probe);
    Ok(placement.missing)
}

/// Creates the case's declared users and groups, and any `User=`/`Group=` a
/// unit names without `DynamicUser=`, as NixOS would have before the unit starts.
/// The spec's files (secrets a real host would provision), root-owned, 0600.
fn write_files(container: &Container, files: &BTreeMap<String, String>) -> Result<(), String> {
    for (path, content) in files {
        let script = format!(
            "umask 077 && mkdir -p \"$(dirname {p})\" && printf %s {c} > {p}",
            p = shell_quote(path),
            c = shell_quote(content)
        );
        let out = container.sh(&script).map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "cannot write smoke file {path}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(())
}

fn create_users(
    container: &Container,
    context: Option<&RenderedCase>,
    units: &[UnitFile],
) -> Result<(), String> {
    let mut groups: BTreeMap<String, Option<u32>> = BTreeMap::new();
    let mut users: BTreeMap<String, (Option<u32>, Option<String>)> = BTreeMap::new();
    if let Some(c) = context {
        for g in c.groups.values() {
            groups.insert(g.name.clone(), g.gid);
        }
        for u in c.users.values() {
            let group = u.group.clone().filter(|g| !g.is_empty());
            users.insert(u.name.clone(), (u.uid, group));
        }
    }
    for unit in units.iter().filter(|u| !u.flag("Service", "DynamicUser")) {
        let group = unit.last("Service", "Group").map(String::from);
        if let Some(g) = &group {
            groups.entry(g.clone()).or_insert(None);
        }
        if let Some(u) = unit.last("Service", "User") {
            users.entry(u.to_string()).or_insert((None, group));
        }
    }
    let mut script = String::new();
    for (g, gid) in &groups {
        let gid = gid.map_or(String::new(), |n| format!("--gid {n} "));
        script.push_str(&format!(
            "getent group {g} >/dev/null || groupadd --system {gid}{g} || exit 1\n",
            g = shell_quote(g)
        ));
    }
    for (u, (uid, group)) in &users {
        let uid = uid.map_or(String::new(), |n| format!("--uid {n} "));
        let gopt = match group {
            Some(g) => format!("--gid {}", shell_quote(g)),
            None => "--user-group".into(),
        };
        script.push_str(&format!(
            "getent passwd {u} >/dev/null || useradd --system --no-create-home {uid}{gopt} {u} || exit 1\n",
            u = shell_quote(u)
        ));
    }
    if script.is_empty() {
        return Ok(());
    }
    let out = container.sh(&script).map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "creating the case's users failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Runs the spec's check once; a command's output comes back when it passes.
fn health_check(
    container: &Container,
    spec: &SmokeSpec,
    skipped: &[&str],
) -> Result<String, String> {
    if let Some(http) = &spec.http {
        let url = format!("http://127.0.0.1:{}{}", http.port, http.path);
        let out = container
            .exec(&[
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--max-time",
                "5",
                &url,
            ])
            .map_err(|e| e.to_string())?;
        let code = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if code == http.expect_status.to_string() {
            Ok(String::new())
        } else if code == "000" {
            Err(format!(
                "GET {url}: no answer (curl exit status {})",
                out.status.code().unwrap_or(-1)
            ))
        } else {
            Err(format!(
                "GET {url} answered {code}, expected {}",
                http.expect_status
            ))
        }
    } else if let Some(command) = &spec.command {
        let command = format!(
            "ATNIX_SMOKE_SKIPPED={}; export ATNIX_SMOKE_SKIPPED; {command}",
            shell_quote(&skipped.join(" "))
        );
        let out = container.sh(&command).map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        } else {
            Err(format!(
                "`{command}` {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    } else {
        Err("no health check".into())
    }
}

fn show(container: &Container, unit: &str) -> BTreeMap<String, String> {
    let props = "ActiveState,SubState,Result,NRestarts,ExecMainCode,ExecMainStatus";
    container
        .exec(&["systemctl", "show", "-p", props, unit])
        .map(|o| parse_props(&String::from_utf8_lossy(&o.stdout)))
        .unwrap_or_default()
}

fn parse_props(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Parses the last line of `systemd-analyze security`:
/// `→ Overall exposure level for x.service: 1.1 OK 🙂`.
pub fn parse_grade(text: &str) -> Option<Grade> {
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains("Overall exposure level"))?;
    let rest = line.rsplit_once(": ")?.1;
    let mut words = rest.split_whitespace();
    let exposure = words.next()?.parse().ok()?;
    let label = words.next()?.to_string();
    Some(Grade { exposure, label })
}

fn offline_grade(path: &Path) -> Result<Grade, String> {
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(path)
        .env("SYSTEMD_COLORS", "0")
        .output()
        .map_err(|e| e.to_string())?;
    parse_grade(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| String::from_utf8_lossy(&out.stderr).trim().to_string())
}

fn live_grade(container: &Container, unit: &str) -> Result<Grade, String> {
    let out = container
        .exec(&["systemd-analyze", "security", "--no-pager", unit])
        .map_err(|e| e.to_string())?;
    parse_grade(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| String::from_utf8_lossy(&out.stderr).trim().to_string())
}

/// Says why a unit failed, from its state and journal.
fn diagnose(container: &Container, unit: &str, parsed: &UnitFile, what: &str) -> String {
    let props = show(container, unit);
    let journal = container
        .exec(&["journalctl", "--no-pager", "-o", "cat", "-u", unit])
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    tracing::info!("{unit} journal:\n{journal}");
    explain(unit, what, &props, &journal, parsed)
}

/// Signal names systemd prints (`status=5/TRAP`).
fn signal_name(n: &str) -> Option<&'static str> {
    use nix::sys::signal::Signal::{self, *};
    let signal = Signal::try_from(n.parse::<i32>().ok()?).ok()?;
    matches!(
        signal,
        SIGABRT | SIGBUS | SIGILL | SIGKILL | SIGSEGV | SIGSYS | SIGTERM | SIGTRAP
    )
    .then(|| signal.as_str())
}

/// Builds the failure reason. Pure, so it is tested without a container.
pub fn explain(
    unit: &str,
    what: &str,
    props: &BTreeMap<String, String>,
    journal: &str,
    parsed: &UnitFile,
) -> String {
    let get = |k: &str| props.get(k).map(String::as_str).unwrap_or("?");
    let mut reason = format!(
        "{unit} {what} (state {}/{}, result {}, restarts {})",
        get("ActiveState"),
        get("SubState"),
        get("Result"),
        get("NRestarts")
    );
    // systemd's own line: "Main process exited, code=killed, status=5/TRAP";
    // the first one is the original failure, later ones are restarts.
    let exit_line = journal
        .lines()
        .find(|l| l.contains("process exited, code="))
        .map(|l| l.split_once(": ").map_or(l, |(_, r)| r).trim().to_string());
    let from_journal = exit_line.as_deref().and_then(|l| {
        let code = l.split("code=").nth(1)?.split([',', ' ']).next()?;
        let status = l.split("status=").nth(1)?.split(['/', ' ', ',']).next()?;
        matches!(code, "killed" | "dumped").then(|| (signal_name(status), code == "dumped"))
    });
    let (signal, dumped) = match from_journal {
        Some((sig, dumped)) => (sig, dumped),
        None => match get("ExecMainCode") {
            "2" | "3" => (
                signal_name(get("ExecMainStatus")),
                get("ExecMainCode") == "3",
            ),
            _ => (None, false),
        },
    };
    if let Some(sig) = signal {
        let dumped = if dumped { ", core dumped" } else { "" };
        reason.push_str(&format!(": killed by {sig}{dumped}"));
    }
    if let Some(line) = &exit_line {
        reason.push_str(&format!(" [{line}]"));
    }
    // The service's own most telling line, or systemd's "Failed at step".
    let telling = journal.lines().find(|l| {
        let l = l.to_ascii_lowercase();
        l.contains("fatal")
            || l.contains("failed at step")
            || l.contains("failed to")
            || l.contains("panic")
            || l.contains("error")
            || l.contains("permission denied")
            || l.contains("not permitted")
    });
    if let Some(line) = telling {
        reason.push_str(&format!(
            "; journal: \"{}\"",
            line.trim_start_matches(['#', ' '])
        ));
    }
    let is_node = parsed
        .values("Service", "ExecStart")
        .last()
        .and_then(|l| crate::unit::split_words(l).into_iter().next())
        .is_some_and(|p| p.ends_with("/node"));
    let v8_oom = journal.contains("Fatal javascript OOM");
    if parsed.flag("Service", "MemoryDenyWriteExecute")
        && (v8_oom || (is_node && signal == Some("SIGTRAP")))
    {
        reason.push_str(
            "; cause: MemoryDenyWriteExecute=true, under which V8 (node) cannot map its JIT code \
             (set `jit = true` in mkHardening, i.e. MemoryDenyWriteExecute=false, or run node with --jitless)",
        );
    } else if signal == Some("SIGSYS") {
        reason.push_str("; cause: seccomp killed it for a system call outside SystemCallFilter=");
        if is_node {
            reason
                .push_str(" (node calls pkey_alloc: add @pkey, i.e. `jit = true` in mkHardening)");
        }
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_overall_exposure_line() {
        let g = parse_grade(
            "  NAME  DESCRIPTION  EXPOSURE\n→ Overall exposure level for x.service: 1.1 OK 🙂\n",
        )
        .unwrap();
        assert_eq!(
            g,
            Grade {
                exposure: 1.1,
                label: "OK".into()
            }
        );
        assert_eq!(parse_grade("nothing"), None);
    }

    #[test]
    fn names_mdwe_when_node_dies_with_sigtrap() {
        let unit = UnitFile::parse(
            "[Service]\nExecStart=/nix/store/a-nodejs/bin/node -e x\nMemoryDenyWriteExecute=yes\n",
        );
        let props = parse_props(
            "ActiveState=failed\nSubState=failed\nResult=signal\nNRestarts=0\nExecMainCode=2\nExecMainStatus=5\n",
        );
        let journal = "Started x.\n#\n# Fatal javascript OOM in MemoryChunk allocation failed during deserialization.\n#\n\
                       x.service: Main process exited, code=killed, status=5/TRAP\n";
        let r = explain("x.service", "stopped", &props, journal, &unit);
        assert!(r.contains("killed by SIGTRAP"), "{r}");
        assert!(r.contains("status=5/TRAP"), "{r}");
        assert!(r.contains("Fatal javascript OOM"), "{r}");
        assert!(r.contains("MemoryDenyWriteExecute=true"), "{r}");
    }

    #[test]
    fn takes_the_signal_of_the_first_failure_from_the_journal() {
        let unit = UnitFile::parse("[Service]\nExecStart=/bin/x\n");
        let props =
            parse_props("ActiveState=active\nNRestarts=1\nExecMainCode=0\nExecMainStatus=0\n");
        let journal = "x.service: Main process exited, code=dumped, status=31/SYS\n\
                       x.service: Main process exited, code=exited, status=1/FAILURE\n";
        let r = explain("x.service", "restarted", &props, journal, &unit);
        assert!(r.contains("killed by SIGSYS, core dumped"), "{r}");
        assert!(r.contains("seccomp"), "{r}");
        assert!(!r.contains("@pkey"), "{r}");
    }

    #[test]
    fn names_the_syscall_filter_on_sigsys() {
        let unit = UnitFile::parse("[Service]\nExecStart=/usr/bin/node app.js\n");
        let props = parse_props(
            "ActiveState=failed\nResult=core-dump\nExecMainCode=3\nExecMainStatus=31\n",
        );
        let r = explain("x.service", "stopped", &props, "", &unit);
        assert!(r.contains("killed by SIGSYS, core dumped"), "{r}");
        assert!(r.contains("@pkey"), "{r}");
        assert!(!r.contains("MemoryDenyWriteExecute"), "{r}");
    }
}
