//! buildGoModule's `vendorHash` (`proxyVendor = false`): the NAR hash of the
//! `vendor/` directory that `go mod vendor` writes in the `goModules`
//! fixed-output derivation.
//!
//! Where cmd/go's rules can be followed exactly (a tidy module with a pruned
//! graph and none of the directives that change resolution), the `go_fast`
//! module vendors in-process from the roots' verified go.mod files and zips and
//! hashes the tree in memory. Everything else runs the real `go mod vendor`,
//! with what atnix adds there being speed and a shared cache: every `go.mod`
//! and module zip that `go.sum` pins is downloaded in parallel, checked against
//! its `h1:` hash and stored content-addressed; verified files are placed in a
//! module cache under the atnix cache (zips with their `.ziphash`), which `go`
//! reads instead of the network and where it keeps the modules it unpacks for
//! later runs. Anything `go` needs beyond that, it fetches itself from the same
//! proxy and checks against `go.sum` (or the checksum database) as it would
//! inside Nix.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;

use atnix_nar::Hash;
use sha2::{Digest as _, Sha256};

use crate::{Algo, Cache, Digest, Error, FetchOptions, Result};

/// The proxy `go` uses when `GOPROXY` is unset.
pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";

/// How `vendor-hash go` is asked to run; the fields mirror buildGoModule's arguments.
#[derive(Debug, Clone)]
pub struct GoOptions {
    /// `modRoot`: the directory of `go.mod`, relative to the source.
    pub mod_root: PathBuf,
    /// `deleteVendor`: remove the source's own `vendor/` first.
    pub delete_vendor: bool,
    /// `proxyVendor`: refused (see [`go_vendor_hash`]).
    pub proxy_vendor: bool,
    /// The `go` binary.
    pub go: PathBuf,
    /// `GOPROXY` (the impure variable goModules passes through); `None` is Go's default.
    pub goproxy: Option<String>,
    /// Always run the real `go mod vendor`, even where the in-process path applies.
    pub via_go: bool,
}

impl Default for GoOptions {
    fn default() -> Self {
        GoOptions {
            mod_root: PathBuf::from("."),
            delete_vendor: false,
            proxy_vendor: false,
            go: PathBuf::from("go"),
            goproxy: None,
            via_go: false,
        }
    }
}

/// One `go.sum` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoSum {
    pub path: String,
    pub version: String,
    /// `true` for the `<version>/go.mod` line (the hash of the module's go.mod).
    pub go_mod: bool,
    pub h1: Digest,
}

impl GoSum {
    pub(crate) fn what(&self) -> String {
        let kind = if self.go_mod { "go.mod" } else { "zip" };
        format!("go module {} {} ({kind})", self.path, self.version)
    }

    pub(crate) fn url(&self, proxy: &str) -> Result<String> {
        let ext = if self.go_mod { "mod" } else { "zip" };
        Ok(format!(
            "{}/{}/@v/{}.{ext}",
            proxy.trim_end_matches('/'),
            escape(&self.path)?,
            escape(&self.version)?
        ))
    }
}

/// Parses `go.sum`. Lines with a hash other than `h1:` are ignored, as `go` does.
pub fn parse_go_sum(path: &Path) -> Result<Vec<GoSum>> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |n: usize, m: &str| Error::Lockfile {
        path: path.to_owned(),
        message: format!("line {n}: {m}"),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [mpath, version, hash] = fields[..] else {
            return Err(bad(i + 1, "expected `module version hash`"));
        };
        let Some(b64) = hash.strip_prefix("h1:") else {
            continue;
        };
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| bad(i + 1, &format!("malformed hash {hash}")))?;
        let (version, go_mod) = match version.strip_suffix("/go.mod") {
            Some(v) => (v, true),
            None => (version, false),
        };
        let algo = if go_mod { Algo::GoModH1 } else { Algo::GoZipH1 };
        out.push(GoSum {
            path: mpath.to_owned(),
            version: version.to_owned(),
            go_mod,
            h1: Digest { algo, bytes },
        });
    }
    Ok(out)
}

/// Go's `module.EscapePath`/`EscapeVersion`: an upper-case letter becomes `!` and its lower case.
pub fn escape(s: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '!' || !c.is_ascii() || c.is_ascii_control() {
            return Err(Error::Unsupported(format!(
                "{s:?}: not a valid module path or version"
            )));
        }
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Go's `dirhash.Hash1` over `(name, contents)` pairs.
fn hash1<'a>(files: impl IntoIterator<Item = (String, &'a [u8])>) -> Vec<u8> {
    let mut files: Vec<(String, &[u8])> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = Sha256::new();
    for (name, data) in files {
        summary.update(format!("{}  {name}\n", crate::hex(&Sha256::digest(data))));
    }
    summary.finalize().to_vec()
}

/// `h1:` of a go.mod file, as go.sum records it.
pub(crate) fn go_mod_h1(data: &[u8]) -> Vec<u8> {
    hash1([("go.mod".to_owned(), data)])
}

/// `h1:` of a module zip (`dirhash.HashZip`); empty when the zip cannot be read,
/// so it matches no go.sum hash.
pub(crate) fn go_zip_h1(data: &[u8]) -> Vec<u8> {
    let read = || -> std::result::Result<Vec<u8>, Box<dyn std::error::Error>> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(data))?;
        let mut files = Vec::with_capacity(zip.len());
        for i in 0..zip.len() {
            let mut f = zip.by_index(i)?;
            let name = f.name().to_owned();
            if name.contains('\n') {
                return Err("file name with a newline".into());
            }
            let mut buf = Vec::with_capacity(f.size() as usize);
            f.read_to_end(&mut buf)?;
            files.push((name, buf));
        }
        Ok(hash1(files.iter().map(|(n, b)| (n.clone(), b.as_slice()))))
    };
    read().unwrap_or_default()
}

/// `vendorHash` of buildGoModule with `proxyVendor = false` for the Go module
/// at `src/<mod_root>`.
///
/// As in nixpkgs' goModules derivation: a `vendor/` directory in the module
/// root is an error unless `delete_vendor` (and `delete_vendor` without one is
/// an error too); an empty result is an error (nixpkgs wants `vendorHash = null`).
/// `src` must be the source after `patches`/`postPatch`, which goModules inherits.
/// The source is never written to: `go` runs in a temporary copy of its Go files.
pub fn go_vendor_hash(
    src: &Path,
    cache: &Cache,
    fetch: &FetchOptions,
    opts: &GoOptions,
) -> Result<Hash> {
    if opts.proxy_vendor {
        return Err(Error::Unsupported(
            "proxyVendor = true is refused: its output is Go's module download cache \
             (cache/download/<module>/@v/*.info, *.mod, *.zip, *.ziphash, list files), whose .info and \
             list files are bytes served by the proxy at fetch time and are not pinned by go.sum, so the \
             hash is not determined by the source. Use proxyVendor = false (the default), or build \
             goModules once with Nix"
                .into(),
        ));
    }
    if opts.mod_root.is_absolute()
        || opts
            .mod_root
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(Error::Unsupported(format!(
            "--mod-root {}: must be a directory inside the source",
            opts.mod_root.display()
        )));
    }
    let mod_dir = src.join(&opts.mod_root);
    let go_mod = mod_dir.join("go.mod");
    if !go_mod.is_file() {
        return Err(Error::Lockfile {
            path: go_mod,
            message: "no go.mod here (pass the source directory, and --mod-root for a module in a \
                      subdirectory)"
                .into(),
        });
    }
    let vendor = mod_dir.join("vendor");
    match (vendor.is_dir(), opts.delete_vendor) {
        (true, false) => {
            return Err(Error::Unsupported(format!(
                "{}: a vendor folder exists; buildGoModule refuses it (\"vendor folder exists, please \
                 set 'vendorHash = null;'\"). Use vendorHash = null, or deleteVendor = true \
                 (--delete-vendor) to vendor afresh",
                vendor.display()
            )));
        }
        (false, true) => {
            return Err(Error::Unsupported(format!(
                "{}: deleteVendor is set but there is no vendor folder; buildGoModule fails with \
                 \"vendor folder does not exist, 'deleteVendor' is not needed\"",
                vendor.display()
            )));
        }
        _ => {}
    }

    let go = GoTool::new(&opts.go)?;
    if let Some(need) = go_directive(&go_mod)?
        && version_less(&go.version, &need)
    {
        return Err(Error::Unsupported(format!(
            "{}: go.mod requires go >= {need}, but the Go toolchain here ({}) is go {}; \
             install Go {need} or newer (buildGoModule sets GOTOOLCHAIN=local, so go does not \
             download a newer toolchain)",
            go_mod.display(),
            opts.go.display(),
            go.version
        )));
    }

    // Pre-fetch and seed what go.sum pins; failures are left for `go` to report.
    let go_sum = mod_dir.join("go.sum");
    let sums = if go_sum.is_file() {
        parse_go_sum(&go_sum)?
    } else {
        Vec::new()
    };
    let goproxy = opts.goproxy.as_deref().unwrap_or(DEFAULT_GOPROXY);
    if !opts.via_go {
        let t = std::time::Instant::now();
        let input = crate::go_fast::Input {
            mod_dir: &mod_dir,
            src,
            skip: opts.delete_vendor.then_some(vendor.as_path()),
            go_version: &go.version,
            sums: &sums,
            proxy: first_http_proxy(goproxy),
            cache,
            fetch,
        };
        match crate::go_fast::vendor_hash(&input)? {
            crate::go_fast::Fast::Hash(h) => {
                tracing::debug!("vendored in-process in {:?}", t.elapsed());
                return Ok(h);
            }
            crate::go_fast::Fast::Fallback(why) => {
                tracing::info!("running the real `go mod vendor`: {why}");
            }
        }
    }
    let t = std::time::Instant::now();
    let notes = match first_http_proxy(goproxy) {
        Some(proxy) => prefetch(&sums, proxy, cache, fetch)?,
        None => Vec::new(),
    };
    // go wants an absolute GOMODCACHE.
    let modcache = std::path::absolute(cache.root())
        .map_err(|e| Error::io(cache.root(), e))?
        .join("go")
        .join("mod");
    tracing::debug!(
        "pre-fetched {} go.sum entries in {:?}",
        sums.len(),
        t.elapsed()
    );
    catch_interrupts();
    let t = std::time::Instant::now();
    seed_modcache(&sums, cache, &modcache)?;
    tracing::debug!("seeded the module cache in {:?}", t.elapsed());

    // Work in a copy: `go mod vendor` writes vendor/ (and may rewrite go.mod).
    let work = tempfile::Builder::new()
        .prefix("atnix-go-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    // Go's build cache is content-addressed and never decides vendor/; a fresh one
    // costs about a second of setup on each run.
    let gocache = modcache.with_file_name("build");
    let copy = work.path().join("src");
    let skip = opts.delete_vendor.then(|| vendor.clone());
    copy_go_files(src, &copy, skip.as_deref())?;
    let work_mod = copy.join(&opts.mod_root);
    let spinner = if fetch.progress {
        let pb =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .expect("static template"),
        );
        pb.set_message(format!("go mod vendor (go {})", go.version));
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = std::time::SystemTime::now();
    let out = go
        .command(&gocache, work.path(), &modcache, opts.goproxy.as_deref())
        .args(["mod", "vendor", "-modcacherw"])
        .current_dir(&work_mod)
        .output()
        .map_err(|e| Error::io(&opts.go, e));
    spinner.finish_and_clear();
    let out = out?;
    tracing::debug!(
        "go mod vendor ran in {:?}",
        started.elapsed().unwrap_or_default()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        remove_go_temp_files(&modcache.join("cache/download"), started);
        let mut message = format!(
            "`go mod vendor` failed in {} (go {}):\n{}",
            mod_dir.display(),
            go.version,
            stderr.trim_end()
        );
        if !notes.is_empty() {
            message.push_str("\nWhile pre-fetching what go.sum pins:");
            for n in &notes {
                message.push_str("\n  ");
                message.push_str(n);
            }
        }
        return Err(Error::Unsupported(message));
    }
    for n in &notes {
        tracing::warn!("not needed by go mod vendor, but: {n}");
    }
    if !stderr.trim().is_empty() {
        tracing::debug!("go mod vendor: {}", stderr.trim_end());
    }
    let out_vendor = work_mod.join("vendor");
    fs::create_dir_all(&out_vendor).map_err(|e| Error::io(&out_vendor, e))?;
    let empty = fs::read_dir(&out_vendor)
        .map_err(|e| Error::io(&out_vendor, e))?
        .next()
        .is_none();
    if empty {
        return Err(Error::Unsupported(format!(
            "{}: the module has no dependencies to vendor; buildGoModule fails with \"vendor folder is \
             empty, please set 'vendorHash = null;'\". Use vendorHash = null",
            mod_dir.display()
        )));
    }
    Ok(atnix_nar::nar_hash(&out_vendor)?)
}

/// Removes the `*.tmp` downloads that `go` leaves in its download cache when it
/// stops on a checksum mismatch (it exits at once), if written since `since`.
fn remove_go_temp_files(dir: &Path, since: std::time::SystemTime) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            remove_go_temp_files(&path, since);
        } else if ft.is_file()
            && path.extension() == Some(OsStr::new("tmp"))
            && e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since)
        {
            let _ = fs::remove_file(&path);
        }
    }
}

/// The `go` binary and its release.
struct GoTool {
    bin: PathBuf,
    version: String,
}

impl GoTool {
    fn new(bin: &Path) -> Result<GoTool> {
        let tmp = std::env::temp_dir();
        let mut tool = GoTool {
            bin: bin.to_owned(),
            version: String::new(),
        };
        let out = tool
            .command(&tmp.join("go-cache"), &tmp, &tmp, None)
            .args(["env", "GOVERSION"])
            .output()
            .map_err(|e| {
                Error::Unsupported(format!(
                    "cannot run the Go toolchain `{}`: {e}. `vendor-hash go` runs the real `go mod \
                     vendor`; install Go (https://go.dev/dl) or pass --go PATH",
                    bin.display()
                ))
            })?;
        let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let Some(v) = v.strip_prefix("go").filter(|_| out.status.success()) else {
            return Err(Error::Unsupported(format!(
                "`{} env GOVERSION` did not name a Go release: {}{}",
                bin.display(),
                v,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        };
        // "1.26.8", or "1.27rc1 X:..." on experiments.
        tool.version = v.split_whitespace().next().unwrap_or(v).to_owned();
        Ok(tool)
    }

    /// `go` with the environment of nixpkgs' goModules derivation: none of the
    /// caller's Go settings (no GOFLAGS, no go env file), GO111MODULE=on,
    /// GOTOOLCHAIN=local, and GOPROXY only when given.
    fn command(
        &self,
        gocache: &Path,
        tmp: &Path,
        modcache: &Path,
        goproxy: Option<&str>,
    ) -> Command {
        let mut cmd = Command::new(&self.bin);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("GO") || k.starts_with("CGO_") {
                cmd.env_remove(&*k);
            }
        }
        cmd.env("GO111MODULE", "on")
            .env("GOTOOLCHAIN", "local")
            .env("GOENV", "off")
            .env("GOMODCACHE", modcache)
            .env("GOCACHE", gocache)
            .env("GOPATH", tmp.join("go"));
        if let Some(p) = goproxy {
            cmd.env("GOPROXY", p);
        }
        cmd
    }
}

/// The `go` directive of a go.mod file, if any.
fn go_directive(go_mod: &Path) -> Result<Option<String>> {
    let text = fs::read_to_string(go_mod).map_err(|e| Error::io(go_mod, e))?;
    Ok(text.lines().find_map(|l| {
        let l = l.split("//").next().unwrap_or("").trim();
        let v = l.strip_prefix("go")?;
        v.starts_with(char::is_whitespace)
            .then(|| v.trim().to_owned())
    }))
}

/// Go release order: `1.21rc1 < 1.21.0`, `1.21 == 1.21.0` for this purpose.
pub(crate) fn version_less(a: &str, b: &str) -> bool {
    fn key(v: &str) -> (Vec<u64>, u8, u64) {
        let cut = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
        let (num, pre) = v.split_at(cut);
        let mut nums: Vec<u64> = num.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        while nums.len() < 3 {
            nums.push(0);
        }
        let pre_n = pre
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .unwrap_or(0);
        (nums, u8::from(pre.is_empty()), pre_n)
    }
    key(a) < key(b)
}

/// The first `http(s)://` entry of a GOPROXY list, unless `off`/`direct` comes first.
fn first_http_proxy(goproxy: &str) -> Option<&str> {
    let first = goproxy.split([',', '|']).next()?.trim();
    (first.starts_with("https://") || first.starts_with("http://")).then_some(first)
}

/// Downloads what go.sum pins into the cache. A download that fails or does
/// not match go.sum is skipped and described in the returned notes: `go`
/// decides whether it needs it, exactly as inside Nix.
fn prefetch(
    sums: &[GoSum],
    proxy: &str,
    cache: &Cache,
    opts: &FetchOptions,
) -> Result<Vec<String>> {
    let fetches = sums
        .iter()
        .map(|s| crate::go_fast::fetch_of(s, proxy))
        .collect::<Result<Vec<_>>>()?;
    crate::go_fast::fetch_tolerant(fetches, cache, opts)
}

/// Puts every cached, verified go.mod and module zip of `sums` into the module
/// cache `modcache` in Go's layout (`cache/download/<module>/@v/<version>.mod`,
/// `.zip` and `.ziphash`), so that `go` needs no download. The zip is a hard
/// link to the cache entry; `.ziphash` (written last, after our own check
/// against go.sum) tells `go` it need not hash the zip again. `go` unpacks only
/// the modules it needs, into the same module cache, where later runs find them.
fn seed_modcache(sums: &[GoSum], cache: &Cache, modcache: &Path) -> Result<()> {
    for s in sums {
        if interrupted() {
            return Err(Error::Interrupted);
        }
        if !cache.has_file(&s.h1) {
            continue;
        }
        let dl = modcache
            .join("cache/download")
            .join(escape(&s.path)?)
            .join("@v");
        let ver = escape(&s.version)?;
        let src = cache.file_path(&s.h1);
        if s.go_mod {
            let dest = dl.join(format!("{ver}.mod"));
            if !dest.is_file() {
                let data = fs::read(&src).map_err(|e| Error::io(&src, e))?;
                put(cache, &dest, &data)?;
            }
            continue;
        }
        let ziphash = dl.join(format!("{ver}.ziphash"));
        if ziphash.is_file() {
            continue;
        }
        // Without its .ziphash, a zip already there is not known to be verified:
        // replace it with the verified one.
        let zip = dl.join(format!("{ver}.zip"));
        fs::create_dir_all(&dl).map_err(|e| Error::io(&dl, e))?;
        let tmp = cache.tmp_dir()?.join(format!(
            "go-zip-{}-{}",
            std::process::id(),
            crate::hex(&s.h1.bytes)
        ));
        let _ = fs::remove_file(&tmp);
        if fs::hard_link(&src, &tmp).is_err() {
            fs::copy(&src, &tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        if let Err(e) = fs::rename(&tmp, &zip) {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(&zip, e));
        }
        use base64::Engine;
        let h1 = format!(
            "h1:{}",
            base64::engine::general_purpose::STANDARD.encode(&s.h1.bytes)
        );
        put(cache, &ziphash, h1.as_bytes())?;
    }
    Ok(())
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From here on Ctrl-C no longer kills the process at once: it sets a flag
/// that seeding and the `go` run check, so temporary files and directories
/// are removed before exiting.
fn catch_interrupts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("atnix-ctrl-c".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    let _ = tx.send(());
                    return;
                };
                rt.block_on(async {
                    let signal = tokio::signal::ctrl_c();
                    tokio::pin!(signal);
                    // Poll once so the handler is installed before we go on.
                    let _ = futures_util::poll!(&mut signal);
                    let _ = tx.send(());
                    if signal.await.is_ok() {
                        INTERRUPTED.store(true, Ordering::SeqCst);
                    }
                });
            });
        if spawned.is_ok() {
            let _ = rx.recv();
        }
    });
}

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Writes `data` to `dest` through a temporary file in the cache.
fn put(cache: &Cache, dest: &Path, data: &[u8]) -> Result<()> {
    let parent = dest.parent().expect("module cache paths have a parent");
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let tmp = cache.tmp_dir()?;
    let mut f = tempfile::NamedTempFile::new_in(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(data).map_err(|e| Error::io(f.path(), e))?;
    f.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    Ok(())
}

/// Copies the directories, symlinks and Go-relevant files (`*.go`, `go.mod`,
/// `go.sum`, `go.work`, `go.work.sum`) of `src` to `dst`, leaving out `.git`
/// and `skip`. That is everything `go mod vendor` reads from the main module.
fn copy_go_files(src: &Path, dst: &Path, skip: Option<&Path>) -> Result<()> {
    fs::create_dir_all(dst).map_err(|e| Error::io(dst, e))?;
    let mut dirs: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    dirs.insert(src.to_owned(), dst.to_owned());
    while let Some((from, to)) = dirs.pop_first() {
        for entry in fs::read_dir(&from).map_err(|e| Error::io(&from, e))? {
            let entry = entry.map_err(|e| Error::io(&from, e))?;
            let name = entry.file_name();
            let path = entry.path();
            if name == OsStr::new(".git") || Some(path.as_path()) == skip {
                continue;
            }
            let target = to.join(&name);
            let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if ft.is_dir() {
                fs::create_dir(&target).map_err(|e| Error::io(&target, e))?;
                dirs.insert(path, target);
            } else if ft.is_symlink() {
                let link = fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
                std::os::unix::fs::symlink(&link, &target).map_err(|e| Error::io(&target, e))?;
            } else if ft.is_file() && is_go_input(&name) {
                fs::copy(&path, &target).map_err(|e| Error::io(&path, e))?;
            }
        }
    }
    Ok(())
}

fn is_go_input(name: &OsStr) -> bool {
    let n = name.as_encoded_bytes();
    n.ends_with(b".go") || matches!(n, b"go.mod" | b"go.sum" | b"go.work" | b"go.work.sum")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        assert_eq!(
            escape("github.com/BurntSushi/toml").unwrap(),
            "github.com/!burnt!sushi/toml"
        );
        assert!(escape("a!b").is_err());
    }

    #[test]
    fn release_order() {
        assert!(version_less("1.26.8", "1.27"));
        assert!(version_less("1.21rc1", "1.21.0"));
        assert!(!version_less("1.26.8", "1.23.0"));
        assert!(!version_less("1.23", "1.23.0"));
    }

    #[test]
    fn go_mod_hash_matches_go_sum() {
        // gron's go.sum line for github.com/pkg/errors v0.8.0/go.mod; the module has no go.mod,
        // so the proxy serves this synthesized one.
        let h = go_mod_h1(b"module github.com/pkg/errors\n");
        use base64::Engine;
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(h),
            "bwawxfHBFNV+L2hUp1rHADufV3IMtnDRdf1r5NINEl0="
        );
    }

    #[test]
    fn proxy_list() {
        assert_eq!(
            first_http_proxy(DEFAULT_GOPROXY),
            Some("https://proxy.golang.org")
        );
        assert_eq!(first_http_proxy("off"), None);
        assert_eq!(first_http_proxy("direct"), None);
    }
}
