//! How atnix words errors: an error with its causes on one line, and the
//! useful tail of what a tool printed on stderr.

/// An error and its sources on one line, `outer: cause: root cause`, saying
/// each thing once: a cause whose text is already there is left out (an I/O
/// error shown as `path: error` that also returns the error as its source), and
/// a cause's leading `subject: ` is dropped when the subject is already named
/// (`cannot check DIR` over `DIR: No such file or directory`).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let mut text = s.to_string();
        while let Some((subject, rest)) = text.split_once(": ")
            && !subject.trim().is_empty()
            && out.contains(subject)
        {
            text = rest.to_owned();
        }
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The last three non-empty lines of a tool's stderr, joined with ` / `.
pub fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    if tail.is_empty() {
        "no error message".to_owned()
    } else {
        tail.join(" / ")
    }
}

/// The gist of an error message for a table cell: its last line, git's own
/// words after `fatal: ` and a quoted URL, at most 100 characters.
pub fn short_reason(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("failed");
    // "fatal: unable to access 'URL': Could not resolve host: github.com" →
    // "Could not resolve host: github.com".
    let line = line.rsplit_once("fatal: ").map_or(line, |(_, l)| l);
    let line = line.rsplit_once("': ").map_or(line, |(_, l)| l);
    let line = line.strip_prefix("error: ").unwrap_or(line).trim();
    let mut short: String = line.chars().take(100).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapped(std::io::Error);
    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "/nonexistent: {}", self.0)
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn chain_says_each_cause_once() {
        let e = Wrapped(std::io::Error::from_raw_os_error(2));
        let text = error_chain(&e);
        assert_eq!(
            text.matches("No such file or directory").count(),
            1,
            "{text}"
        );
        let io = std::io::Error::other(Wrapped(std::io::Error::other("inner")));
        assert_eq!(error_chain(&io), "/nonexistent: inner");
    }

    #[derive(Debug)]
    struct Context(&'static str, Wrapped);
    impl std::fmt::Display for Context {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Context {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn chain_names_a_path_once() {
        let e = Context(
            "cannot check /nonexistent",
            Wrapped(std::io::Error::from_raw_os_error(2)),
        );
        assert_eq!(
            error_chain(&e),
            "cannot check /nonexistent: No such file or directory (os error 2)"
        );
        let e = Context("reading x.toml", Wrapped(std::io::Error::other("bad")));
        assert_eq!(error_chain(&e), "reading x.toml: /nonexistent: bad");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(stderr_tail(b"a\n\nb\n c \nd\n"), "b / c / d");
        assert_eq!(stderr_tail(b"\n"), "no error message");
    }

    #[test]
    fn reasons_are_short_and_last() {
        assert_eq!(
            short_reason("warning: x\nerror: cannot reach github.com\n\n"),
            "cannot reach github.com"
        );
        assert_eq!(
            short_reason(
                "git fetch failed for https://github.com/o/r.git: fatal: unable to access 'https://github.com/o/r.git/': Could not resolve host: github.com"
            ),
            "Could not resolve host: github.com"
        );
        assert!(short_reason(&"x".repeat(300)).chars().count() <= 101);
    }
}
