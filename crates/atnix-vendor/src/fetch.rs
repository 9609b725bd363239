//! Bounded-concurrency downloads into the cache, each verified before it is stored.

use std::collections::BTreeMap;
use std::time::Duration;

use atnix_diag::error_chain;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cargo::crate_url;
use crate::{Cache, Crate, Digest, Error, Registry, Result, git};

/// One thing a staging tree needs in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// A registry crate, checked against its lockfile sha256.
    Crate(Crate),
    /// A tarball at a fixed URL, checked against `digest`.
    Tarball {
        what: String,
        url: String,
        digest: Digest,
    },
    /// A git checkout at `rev` (submodules included, every `.git` removed).
    Git { url: String, rev: String },
}

impl Fetch {
    /// One [`Fetch::Tarball`] per distinct digest of `(what, url, digest)`.
    pub(crate) fn unique_tarballs<'a>(
        items: impl IntoIterator<Item = (String, &'a str, &'a Digest)>,
    ) -> Vec<Fetch> {
        let mut seen = std::collections::BTreeSet::new();
        items
            .into_iter()
            .filter(|(_, _, d)| seen.insert(*d))
            .map(|(what, url, digest)| Fetch::Tarball {
                what,
                url: url.to_owned(),
                digest: digest.clone(),
            })
            .collect()
    }

    pub fn is_cached(&self, cache: &Cache) -> bool {
        match self {
            Fetch::Crate(c) => cache.has_file(&c.checksum),
            Fetch::Tarball { digest, .. } => cache.has_file(digest),
            Fetch::Git { rev, .. } => cache.has_git(rev),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Downloads in flight at once (at least 1).
    pub jobs: usize,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Connect timeout, and the longest a response may stay silent.
    pub timeout: Duration,
    /// The longest one download may take from connecting to its last byte, so
    /// a server that trickles cannot hold a run. Not retried when used up.
    pub total_timeout: Duration,
    /// Retries after a transient failure (timeouts, connection errors, 5xx, 429).
    pub retries: u32,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            jobs: 16,
            progress: true,
            timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(10 * 60),
            retries: 3,
        }
    }
}

/// [`fetch_all`] on its own runtime. Needs no network (and starts no runtime)
/// when everything is cached. Ctrl-C stops cleanly.
pub fn fetch_all_blocking(fetches: &[Fetch], cache: &Cache, opts: &FetchOptions) -> Result<()> {
    if fetches.iter().all(|f| f.is_cached(cache)) {
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("<tokio runtime>", e))?;
    let result = rt.block_on(async {
        tokio::select! {
            r = fetch_all(fetches, cache, opts) => r,
            _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
        }
    });
    drop(rt);
    if result.is_err() {
        // Leave no trace of a failed run: the temp dir is empty by now.
        let _ = std::fs::remove_dir(cache.root().join("tmp"));
    }
    result
}

/// Brings every fetch that is not yet cached into `cache`. The first failure
/// cancels the rest; nothing unverified is ever stored.
pub async fn fetch_all(fetches: &[Fetch], cache: &Cache, opts: &FetchOptions) -> Result<()> {
    let missing: Vec<&Fetch> = fetches.iter().filter(|f| !f.is_cached(cache)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let tls = atnix_http::system_client_config()
        .map_err(|e| Error::Unsupported(format!("cannot set up TLS: {e}")))?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(opts.timeout)
        .read_timeout(opts.timeout)
        .user_agent(concat!("atnix-vendor/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Unsupported(format!("cannot start the HTTP client: {e}")))?;

    // Registries' download templates, only for registries we need something from.
    let mut dls: BTreeMap<Registry, String> = BTreeMap::new();
    for f in &missing {
        if let Fetch::Crate(c) = f
            && !dls.contains_key(&c.registry)
        {
            let dl = registry_dl(&client, &c.registry, cache, opts).await?;
            dls.insert(c.registry.clone(), dl);
        }
    }

    let pb = if opts.progress {
        ProgressBar::with_draw_target(Some(missing.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    pb.set_prefix("fetching");

    let client = &client;
    let dls = &dls;
    let mut stream = futures_util::stream::iter(missing)
        .map(|f| async move {
            match f {
                Fetch::Crate(c) => {
                    let url = crate_url(&dls[&c.registry], c);
                    let what = format!("crate {} {}", c.name, c.version);
                    fetch_verified(client, &what, &url, &c.checksum, cache, opts).await?;
                    Ok(what)
                }
                Fetch::Tarball { what, url, digest } => {
                    fetch_verified(client, what, url, digest, cache, opts).await?;
                    Ok(what.clone())
                }
                Fetch::Git { url, rev } => {
                    git::fetch_checkout(url, rev, cache).await?;
                    Ok(format!("git {url} {rev}"))
                }
            }
        })
        .buffer_unordered(opts.jobs.max(1));
    while let Some(done) = stream.next().await {
        match done {
            Ok(what) => {
                pb.set_message(what);
                pb.inc(1);
            }
            Err(e) => {
                pb.abandon();
                return Err(e);
            }
        }
    }
    pb.finish_and_clear();
    Ok(())
}

async fn fetch_verified(
    client: &reqwest::Client,
    what: &str,
    url: &str,
    expected: &Digest,
    cache: &Cache,
    opts: &FetchOptions,
) -> Result<()> {
    let data = download(client, what, url, opts).await?;
    let actual = Digest::of(expected.algo, &data);
    if &actual != expected {
        return Err(Error::Mismatch {
            what: what.to_owned(),
            url: url.to_owned(),
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }
    cache.put_file(expected, &data)?;
    Ok(())
}

/// GET with bounded retries and exponential backoff on transient failures.
pub(crate) async fn download(
    client: &reqwest::Client,
    what: &str,
    url: &str,
    opts: &FetchOptions,
) -> Result<Vec<u8>> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let started = tokio::time::Instant::now();
        // The request's timeout covers the body too (reqwest's total timeout).
        let request = client.get(url).timeout(opts.total_timeout);
        let (retryable, message) = match request.send().await {
            Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                Ok(b) => return Ok(b.to_vec()),
                Err(e) => (true, format!("reading the body: {}", error_chain(&e))),
            },
            Ok(resp) => {
                let s = resp.status();
                (
                    s.is_server_error() || s.as_u16() == 429 || s.as_u16() == 408,
                    format!("HTTP {s}"),
                )
            }
            Err(e) => (!e.is_builder(), error_chain(&e)),
        };
        let (retryable, message) = if started.elapsed() >= opts.total_timeout {
            // Trying again would take as long again.
            (
                false,
                format!(
                    "not complete within {}s: {message}",
                    opts.total_timeout.as_secs()
                ),
            )
        } else {
            (retryable, message)
        };
        if !retryable || attempt > opts.retries {
            return Err(Error::Download {
                what: what.to_owned(),
                url: url.to_owned(),
                message: format!("{message} (attempt {attempt}, giving up)"),
            });
        }
        tracing::warn!("{what}: {url}: {message}; retrying in {delay:?}");
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
}

#[derive(serde::Deserialize)]
struct RegistryConfig {
    dl: String,
}

/// The registry's `dl` template (crates.io's is known; others come from `config.json`).
async fn registry_dl(
    client: &reqwest::Client,
    registry: &Registry,
    cache: &Cache,
    opts: &FetchOptions,
) -> Result<String> {
    let (what, url, bytes) = match registry {
        Registry::CratesIo => return Ok("https://static.crates.io/crates".into()),
        Registry::Sparse(index) => {
            let url = format!("{}/config.json", index.trim_end_matches('/'));
            let what = format!("registry index {index}");
            let bytes = download(client, &what, &url, opts).await?;
            (what, url, bytes)
        }
        Registry::GitIndex(index) => {
            let bytes = git::read_file(index, "config.json", cache).await?;
            (
                format!("registry index {index}"),
                format!("{index} (config.json)"),
                bytes,
            )
        }
    };
    let config: RegistryConfig = serde_json::from_slice(&bytes).map_err(|e| Error::Download {
        what,
        url,
        message: format!("config.json has no usable `dl` field: {e}"),
    })?;
    Ok(config.dl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A server that answers the first request's headers and then holds the body back
    /// for 5 s: silent for less than the read timeout used below, longer than the total one.
    fn stalling_server() -> (u16, std::thread::JoinHandle<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            std::thread::sleep(Duration::from_secs(5));
        });
        (port, handle)
    }

    #[test]
    fn a_stalled_body_stops_at_the_total_timeout() {
        let (port, server) = stalling_server();
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let url = format!("http://127.0.0.1:{port}/slow.tar.gz");
        let fetch = Fetch::Tarball {
            what: "slow tarball".into(),
            url: url.clone(),
            digest: Digest::of(crate::Algo::Sha256, b"anything"),
        };
        let opts = FetchOptions {
            progress: false,
            timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(1),
            retries: 3,
            ..FetchOptions::default()
        };
        let start = std::time::Instant::now();
        let err = fetch_all_blocking(std::slice::from_ref(&fetch), &cache, &opts).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "{:?}",
            start.elapsed()
        );
        match &err {
            Error::Download {
                url: u, message, ..
            } => {
                assert_eq!(u, &url);
                assert!(message.contains("not complete within 1s"), "{message}");
                assert!(message.contains("attempt 1,"), "retried: {message}");
            }
            other => panic!("{other}"),
        }
        assert!(!fetch.is_cached(&cache));
        server.join().unwrap();
    }
}
