use std::fs::File;
use std::io::{self, Read};
use std::time::Duration;

use atnix_nar::Hash;

use crate::Error;

/// Hash of what `url` serves: fetchurl's flat SHA-256, or with `unpack`
/// fetchzip's NAR hash of the unpacked archive with its root stripped.
/// `file://` URLs are read from disk; `http(s)://` with a blocking client that
/// neither asks for nor undoes a content encoding, so the bytes are the ones
/// curl stores for fetchurl.
pub fn prefetch_url(url: &str, unpack: bool) -> Result<Hash, Error> {
    // reqwest's blocking client runs its own runtime and must not be used from inside another
    // one; a thread of its own makes this safe to call from async code too.
    std::thread::scope(|s| {
        s.spawn(|| prefetch_url_here(url, unpack))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn prefetch_url_here(url: &str, unpack: bool) -> Result<Hash, Error> {
    let parsed = url::Url::parse(url).map_err(|e| Error::Download {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    let download = |message: String| Error::Download {
        url: url.to_owned(),
        message,
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
                .connect_timeout(Duration::from_secs(30))
                // Whole downloads may take long (as with curl in fetchurl, no total limit).
                .timeout(None)
                .build()
                .map_err(|e| download(error_chain(&e)))?;
            let response = client
                .get(url)
                .send()
                .and_then(|r| r.error_for_status())
                .map_err(|e| download(error_chain(&e)))?;
            Box::new(response)
        }
        other => return Err(download(format!("unsupported URL scheme {other:?}"))),
    };

    if !unpack {
        return atnix_nar::flat_hash_reader(&mut reader).map_err(|e| download(e.to_string()));
    }
    let mut tmp = tempfile::tempfile().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    io::copy(&mut reader, &mut tmp).map_err(|e| download(e.to_string()))?;
    let tree = crate::unpack::unpack_tree(tmp, url)?;
    Ok(atnix_nar::nar_hash_entry(&tree)?)
}

/// An error and its sources on one line (reqwest's Display alone hides the cause).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
