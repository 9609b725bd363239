//! `atnix smoke`: boot systemd in a container, start rendered units with their
//! hardening, and check they stay up and answer.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use atnix_smoke::store::{Binaries, Provided};
use atnix_smoke::{Options, Rendered};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Units or module names to test (default: every rendered module). A
    /// profile (profiles/default.nix) is a scenario: name it alone, e.g. `dev`.
    pub units: Vec<String>,
    /// Directory written by `atnix render --out` (default: render now, in this
    /// process, into a scratch directory).
    #[arg(long, value_name = "DIR")]
    pub rendered: Option<PathBuf>,
    /// Without --rendered: a nixpkgs `lib` directory to evaluate the modules with.
    #[arg(long, env = "NIXPKGS_LIB", value_name = "DIR")]
    pub nixpkgs_lib: Option<PathBuf>,
    /// Without --rendered: the repository root (default: the nearest parent with
    /// tests/eval/driver.nix).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Where the Debian 12 root file system is built once and cached.
    #[arg(
        long,
        value_name = "DIR",
        env = "ATNIX_SMOKE_CACHE",
        default_value = "/var/cache/atnix/smoke"
    )]
    pub rootfs_cache: PathBuf,
    /// Containers run at once.
    #[arg(long, short, default_value_t = 2)]
    pub jobs: usize,
    /// A local build for a store path: STORE_PATH=FILE, PROGRAM=FILE, or a whole
    /// store object as STORE_OBJECT=DIR or NAME=DIR (its name without hash, with or
    /// without version, e.g. microcosm-slingshot=DIR holding bin/ and share/).
    #[arg(long = "bin", value_name = "KEY=PATH")]
    pub bins: Vec<String>,
    /// A directory of locally built programs, found by the name the store path ends in
    /// (e.g. target/release).
    #[arg(long = "bin-dir", value_name = "DIR")]
    pub bin_dirs: Vec<PathBuf>,
    /// Debian mirror for debootstrap.
    #[arg(long, default_value = atnix_smoke::rootfs::DEFAULT_MIRROR)]
    pub mirror: String,
    /// Seconds a service must stay up, without restarting, after it starts.
    #[arg(long, default_value_t = 3.0)]
    pub settle: f64,
    /// Seconds the health check may take to answer.
    #[arg(long, default_value_t = 20.0)]
    pub health_timeout: f64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let result = smoke(args);
    // On ctrl-c the handler tears everything down and exits with 130; do not
    // race it with an error or a table of half-run services.
    atnix_smoke::await_interrupt_exit();
    result
}

fn smoke(args: Args) -> anyhow::Result<ExitCode> {
    atnix_smoke::rootfs::check_prerequisites()?;
    let work = atnix_smoke::scratch_dir()?;
    atnix_smoke::install_interrupt_handler()?;

    let rendered = match &args.rendered {
        Some(dir) => Rendered::load(dir)?,
        None => {
            let render = |module: Option<String>| {
                super::render::render(
                    &super::eval::EvalOpts {
                        nixpkgs_lib: args.nixpkgs_lib.clone(),
                        module,
                        repo: args.repo.clone(),
                        jobs: 2,
                    },
                    false,
                )
            };
            // One module or profile named: render it alone (a profile is
            // rendered only this way). A unit name renders nothing alone.
            let manifest = match args.units.as_slice() {
                [one] => Some(render(Some(one.clone()))?).filter(|m| !m.units.is_empty()),
                _ => None,
            };
            let manifest = match manifest {
                Some(m) => m,
                None => render(None)?,
            };
            Rendered::write(manifest, &work.path().join("rendered"))?
        }
    };
    let rendered_dir = rendered.dir.clone();
    let mut services = atnix_smoke::plan(&rendered);
    if !args.units.is_empty() {
        for wanted in &args.units {
            if !services.iter().any(|s| selects(s, wanted)) {
                bail!(
                    "no rendered module or smoke unit named `{wanted}`; known: {}",
                    services
                        .iter()
                        .map(|s| s.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        services.retain(|s| args.units.iter().any(|w| selects(s, w)));
    }
    if services.is_empty() {
        bail!(
            "{} lists no units",
            rendered_dir.join("manifest.json").display()
        );
    }

    let bins = Binaries {
        explicit: args
            .bins
            .iter()
            .map(|b| {
                let (k, v) = b
                    .split_once('=')
                    .with_context(|| format!("--bin {b}: expected KEY=PATH"))?;
                let path = std::fs::canonicalize(v).with_context(|| format!("--bin {b}"))?;
                Ok((k.to_string(), path))
            })
            .collect::<anyhow::Result<BTreeMap<_, _>>>()?,
        dirs: args
            .bin_dirs
            .iter()
            .map(|d| std::fs::canonicalize(d).with_context(|| format!("--bin-dir {}", d.display())))
            .collect::<anyhow::Result<_>>()?,
    };

    let (rootfs, built) = atnix_smoke::rootfs::ensure(&args.rootfs_cache, &args.mirror)?;
    let opts = Options {
        rootfs,
        bins,
        work_dir: work.path().to_path_buf(),
        settle: Duration::from_secs_f64(args.settle),
        health_timeout: Duration::from_secs_f64(args.health_timeout),
        boot_timeout: Duration::from_secs(60),
    };
    let started = Instant::now();
    let outcomes = atnix_smoke::run(&services, &rendered, &opts, args.jobs);
    let elapsed = started.elapsed();

    print!("{}", atnix_smoke::table(&outcomes));
    println!();
    match built {
        Some(d) => println!(
            "root fs: built in {:.1}s ({})",
            d.as_secs_f64(),
            opts.rootfs.display()
        ),
        None => println!("root fs: cached ({})", opts.rootfs.display()),
    }
    for o in &outcomes {
        for (unit, missing) in &o.skipped {
            println!(
                "SKIPPED {unit} (optional in {}'s scenario): no local build of {}; pass --bin-dir or --bin for it",
                o.module,
                missing.join(", ")
            );
        }
        for u in &o.units {
            let grade =
                |g: &Option<atnix_smoke::Grade>| g.as_ref().map_or("-".into(), |g| g.to_string());
            println!(
                "{}: {} under systemd, live {}, offline {}",
                o.module,
                u.unit,
                grade(&u.live),
                grade(&u.offline)
            );
        }
        if !o.units.is_empty() && !o.check_output.is_empty() {
            println!("{} check:\n{}", o.module, o.check_output.trim_end());
        }
    }
    for o in &outcomes {
        let boot = o
            .boot
            .map_or("-".into(), |b| format!("{:.2}s", b.as_secs_f64()));
        println!(
            "{}: boot {boot}, cycle {:.2}s{}",
            o.service,
            o.total.as_secs_f64(),
            provided_summary(&o.provided)
        );
    }
    println!(
        "{} service(s) in {:.1}s, {} job(s)",
        outcomes.len(),
        elapsed.as_secs_f64(),
        args.jobs
    );
    Ok(
        if outcomes.iter().all(|o| o.passed) && outcomes.len() == services.len() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// One line on where the store paths came from: local builds, rendered
/// scripts, Debian stand-ins.
fn provided_summary(provided: &BTreeMap<String, Provided>) -> String {
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let mut local = Vec::new();
    let mut rendered = Vec::new();
    let mut stand_ins = Vec::new();
    let mut dirs = 0;
    for (path, how) in provided {
        match how {
            Provided::Local(host) => local.push(format!("{} <- {}", name(path), host.display())),
            Provided::Rendered => rendered.push(name(path)),
            Provided::StandIn(debian) if debian == "/usr/bin" || debian == "/usr/sbin" => dirs += 1,
            Provided::StandIn(debian) => stand_ins.push(format!("{} <- {debian}", name(path))),
        }
    }
    let mut parts = Vec::new();
    if !local.is_empty() {
        parts.push(format!("local: {}", local.join(", ")));
    }
    if !rendered.is_empty() {
        parts.push(format!("rendered: {}", rendered.join(", ")));
    }
    if !stand_ins.is_empty() {
        parts.push(format!("Debian stand-ins: {}", stand_ins.join(", ")));
    }
    if dirs > 0 {
        parts.push(format!("{dirs} PATH dir(s) <- Debian /usr/bin, /usr/sbin"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join("; "))
    }
}

fn selects(service: &atnix_smoke::Service, wanted: &str) -> bool {
    service.module == wanted
        || service.spec.as_ref().is_ok_and(|s| s.unit == wanted)
        || service.units.iter().any(|u| u.unit == wanted)
}
