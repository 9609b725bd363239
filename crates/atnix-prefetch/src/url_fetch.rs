use std::fs::File;
use std::io::{self, Read};
use std::time::{Duration, Instant};

use atnix_diag::error_chain;
use atnix_nar::Hash;

use crate::Error;

/// How long [`prefetch_url`] lets one download take, start to finish.
pub const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// [`prefetch_url_within`] with [`DEFAULT_DOWNLOAD_TIMEOUT`].
pub fn prefetch_url(url: &str, unpack: bool) -> Result<Hash, Error> {
    prefetch_url_within(url, unpack, DEFAULT_DOWNLOAD_TIMEOUT)
}

/// Hash of what `url` serves: fetchurl's flat SHA-256, or with `unpack`
/// fetchzip's NAR hash of the unpacked archive with its root stripped.
/// `file://` URLs are read from disk; `http(s)://` with a blocking client that
/// neither asks for nor undoes a content encoding, so the bytes are the ones
/// curl stores for fetchurl.
///
/// A download (connecting, waiting for the answer and reading the body) that
/// is not over within `timeout` is dropped and fails with [`Error::TimedOut`],
/// so a server that accepts and never answers, or trickles, cannot hold it.
pub fn prefetch_url_within(url: &str, unpack: bool, timeout: Duration) -> Result<Hash, Error> {
    // reqwest's blocking client runs its own runtime and must not be used from inside another
    // one; a thread of its own makes this safe to call from async code too.
    std::thread::scope(|s| {
        s.spawn(|| prefetch_url_here(url, unpack, timeout))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// A body that fails with `TimedOut` once `deadline` has passed.
struct UntilDeadline<R> {
    inner: R,
    deadline: Instant,
}

impl<R: Read> Read for UntilDeadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.deadline {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.inner.read(buf)
    }
}

/// Whether `err` (or one of its causes) is a timeout.
fn is_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<reqwest::Error>()
            && r.is_timeout()
        {
            return true;
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            // io::Error's source() skips the error it wraps; look at that one too.
            if io.kind() == io::ErrorKind::TimedOut || io.get_ref().is_some_and(|i| is_timeout(i)) {
                return true;
            }
        }
        cur = e.source();
    }
    false
}

fn prefetch_url_here(url: &str, unpack: bool, timeout: Duration) -> Result<Hash, Error> {
    let deadline = Instant::now() + timeout;
    let parsed = url::Url::parse(url).map_err(|e| Error::Download {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    let download = |message: String| Error::Download {
        url: url.to_owned(),
        message,
    };
    let timed_out = || Error::TimedOut {
        what: format!("download of {url} (limit {}s)", timeout.as_secs()),
    };
    // The reason a read failed: the deadline, or what the server or disk did.
    let read_failed = |e: &io::Error| {
        if is_timeout(e) || Instant::now() >= deadline {
            timed_out()
        } else {
            download(error_chain(e))
        }
    };
    let mut reader: Box<dyn Read> = match parsed.scheme() {
        "file" => {
            let path = parsed
                .to_file_path()
                .map_err(|()| download("not a local path".into()))?;
            Box::new(File::open(&path).map_err(|e| download(format!("{}: {e}", path.display())))?)
        }
        "http" | "https" => {
            let tls = atnix_http::system_client_config().map_err(|e| download(e.to_string()))?;
            let client = reqwest::blocking::Client::builder()
                .user_agent(concat!("atnix/", env!("CARGO_PKG_VERSION")))
                .tls_backend_preconfigured(tls)
                .connect_timeout(timeout.min(Duration::from_secs(30)))
                .build()
                .map_err(|e| download(error_chain(&e)))?;
            // The request's timeout bounds connecting, the answer and (in reqwest's async core)
            // the body; each blocking read waits at most as long again, so the reader also
            // checks the deadline itself.
            let response = client
                .get(url)
                .timeout(timeout)
                .send()
                .and_then(|r| r.error_for_status())
                .map_err(|e| {
                    if e.is_timeout() {
                        timed_out()
                    } else {
                        download(error_chain(&e))
                    }
                })?;
            Box::new(UntilDeadline {
                inner: response,
                deadline,
            })
        }
        other => return Err(download(format!("unsupported URL scheme {other:?}"))),
    };

    if !unpack {
        return atnix_nar::flat_hash_reader(&mut reader).map_err(|e| read_failed(&e));
    }
    let mut tmp = tempfile::tempfile().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    io::copy(&mut reader, &mut tmp).map_err(|e| read_failed(&e))?;
    let tree = crate::unpack::unpack_tree(tmp, url)?;
    Ok(atnix_nar::nar_hash_entry(&tree)?)
}
