//! Recomputing a source.json's hash and comparing it with the pin.

use std::time::{Duration, Instant};

use atnix_pin::{Fetcher, SourcePin};

use crate::{Error, GitMode};

/// Whether a recomputed pin matches its source.json.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    /// The fetcher computes another hash.
    Mismatch {
        got: String,
    },
    /// The source could not be fetched (in time); the reason is short.
    Unreachable(String),
}

/// Recomputes `pin`'s source hash as its fetcher would and compares it.
///
/// Git sources are fetched by git processes that are killed, with their
/// children, when `timeout` runs out; nothing keeps running after this returns.
/// Downloads (`url`, `crates-io`) go through [`crate::prefetch_url_within`]
/// with what is left of `timeout`: a server that accepts and never answers, or
/// trickles, is dropped at the deadline.
pub fn verify_pin(pin: &SourcePin, timeout: Duration) -> Verdict {
    let deadline = Instant::now() + timeout;
    let got = match recompute(pin, deadline) {
        Ok(got) => got,
        Err(Error::TimedOut { .. }) => {
            return Verdict::Unreachable(format!("timed out after {}s", timeout.as_secs()));
        }
        Err(e) => return Verdict::Unreachable(atnix_diag::short_reason(&e.to_string())),
    };
    if Instant::now() > deadline {
        return Verdict::Unreachable(format!("timed out after {}s", timeout.as_secs()));
    }
    if got == pin.hash() {
        Verdict::Verified
    } else {
        Verdict::Mismatch { got }
    }
}

fn recompute(pin: &SourcePin, deadline: Instant) -> Result<String, Error> {
    if let Some(url) = pin.git_url() {
        let rev = pin.rev().expect("git pins have a rev");
        let mode = GitMode::of_pin(pin).expect("git pins have a git tree");
        let got = crate::git::prefetch_git_until(&url, rev, mode, Some(deadline))?;
        return Ok(got.hash.to_sri());
    }
    let (url, unpack) = pin
        .download()
        .expect("every fetcher is either git or a download");
    debug_assert!(matches!(pin.fetcher(), Fetcher::Url | Fetcher::CratesIo));
    let left = deadline.saturating_duration_since(Instant::now());
    Ok(crate::prefetch_url_within(&url, unpack, left)?.to_sri())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::process::Command;

    fn git(dir: &std::path::Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "{:?}", out);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn pin(text: &str) -> SourcePin {
        atnix_pin::parse(text.as_bytes()).expect("valid pin")
    }

    #[test]
    fn local_git_pin_is_verified_or_mismatched() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        git(repo, &["init", "-q"]);
        std::fs::write(repo.join("a"), "a\n").unwrap();
        git(repo, &["add", "a"]);
        git(repo, &["commit", "-q", "-m", "a"]);
        let rev = git(repo, &["rev-parse", "HEAD"]);
        let hash = crate::prefetch_git(
            repo.to_str().unwrap(),
            &rev,
            GitMode::Checkout {
                submodules: false,
                sparse: Vec::new(),
            },
        )
        .unwrap()
        .hash
        .to_sri();
        let good = pin(&format!(
            r#"{{"fetcher":"git","url":"{}","rev":"{rev}","hash":"{hash}"}}"#,
            repo.display()
        ));
        assert_eq!(
            verify_pin(&good, Duration::from_secs(60)),
            Verdict::Verified
        );
        let other = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let bad = pin(&format!(
            r#"{{"fetcher":"git","url":"{}","rev":"{rev}","hash":"{other}"}}"#,
            repo.display()
        ));
        assert_eq!(
            verify_pin(&bad, Duration::from_secs(60)),
            Verdict::Mismatch { got: hash }
        );
    }

    #[test]
    fn a_git_server_that_never_answers_times_out() {
        // A listener that accepts and then says nothing: git's smart-HTTP
        // request hangs until the deadline kills it.
        let (port, hold) = server(silent);
        let rev = "0123456789abcdef0123456789abcdef01234567";
        let p = pin(&format!(
            r#"{{"fetcher":"git","url":"http://127.0.0.1:{port}/r.git","rev":"{rev}","hash":"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}"#
        ));
        assert_times_out(&p);
        hold.join().unwrap();
    }

    /// A local HTTP server that accepts and, per connection, runs `serve`.
    fn server(serve: fn(std::net::TcpStream)) -> (u16, std::thread::JoinHandle<()>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            if let Ok((conn, _)) = listener.accept() {
                serve(conn);
            }
        });
        (port, handle)
    }

    /// Reads the request and says nothing for 5 s.
    fn silent(mut conn: std::net::TcpStream) {
        let mut buf = [0u8; 1024];
        let _ = conn.read(&mut buf);
        std::thread::sleep(Duration::from_secs(5));
    }

    /// `p` is reported unreachable after its 1 s timeout, not much later.
    fn assert_times_out(p: &SourcePin) {
        let start = Instant::now();
        assert_eq!(
            verify_pin(p, Duration::from_secs(1)),
            Verdict::Unreachable("timed out after 1s".into())
        );
        assert!(
            start.elapsed() < Duration::from_secs(4),
            "{:?}",
            start.elapsed()
        );
    }

    fn url_pin(port: u16, name: &str) -> SourcePin {
        pin(&format!(
            r#"{{"fetcher":"url","url":"http://127.0.0.1:{port}/{name}.tar.gz","hash":"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}"#
        ))
    }

    #[test]
    fn a_download_server_that_never_answers_times_out() {
        let (port, hold) = server(silent);
        assert_times_out(&url_pin(port, "silent"));
        hold.join().unwrap();
    }

    #[test]
    fn a_download_that_trickles_past_the_deadline_times_out() {
        let (port, hold) = server(|mut conn| {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            // A byte every 100 ms: never silent for long, never done in time.
            for _ in 0..50 {
                if conn.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        assert_times_out(&url_pin(port, "trickle"));
        hold.join().unwrap();
    }

    #[test]
    fn prefetch_url_within_reports_a_timeout() {
        let (port, hold) = server(silent);
        let url = format!("http://127.0.0.1:{port}/x");
        let err = crate::prefetch_url_within(&url, false, Duration::from_millis(500)).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }), "{err}");
        assert!(err.to_string().contains(&url), "{err}");
        hold.join().unwrap();
    }
}
