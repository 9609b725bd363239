use std::fs::File;
use std::io::{self, Read};

use atnix_nar::Hash;

use crate::Error;

/// Hash of what `url` serves: fetchurl's flat SHA-256, or with `unpack`
/// fetchzip's NAR hash of the unpacked archive with its root stripped.
/// `file://` URLs are read from disk; `http(s)://` with a blocking client that
/// neither asks for nor undoes a content encoding, so the bytes are the ones
/// curl stores for fetchurl.
pub fn prefetch_url(url: &str, unpack: bool) -> Result<Hash, Error> {
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
            let response = ureq::get(url).call().map_err(|e| download(e.to_string()))?;
            Box::new(response.into_body().into_reader())
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
