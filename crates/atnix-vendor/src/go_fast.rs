//! `go mod vendor` done in-process for the common case, following cmd/go
//! (Go 1.26: `modcmd/vendor.go`, `modload/{load,import,search,buildlist}.go`,
//! `imports/{read,build,scan}.go`), so `vendor/` is hashed in memory without
//! running `go` and with only the downloads it needs.
//!
//! The common case is a tidy main module with a pruned module graph (`go >= 1.17`)
//! and no `replace`, `exclude`, `tool` or `ignore` directives, no `go.work`, no
//! symlinks in the main module, and no `//go:embed` in a vendored package. There
//! cmd/go resolves every import from the go.mod roots alone (`rootSelected`) and
//! never loads the full module graph, as long as each import is found in exactly
//! one root, the roots pass `spotCheckRoots`, and no dependency needs a newer Go.
//! Anything else returns [`Fast::Fallback`] with the reason, and the caller runs
//! the real `go mod vendor` instead: a case that is not followed exactly here is
//! never guessed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Read as _;
use std::path::Path;

use atnix_nar::{Contents, Entry, Hash};

use crate::go::{GoSum, version_less};
use crate::{Cache, Error, Fetch, FetchOptions, Result, fetch_all_blocking};

/// What the in-process path decided.
pub(crate) enum Fast {
    Hash(Hash),
    /// This input needs the real `go mod vendor`; the string says why.
    Fallback(String),
}

macro_rules! fallback {
    ($($t:tt)*) => {
        return Ok(Fast::Fallback(format!($($t)*)))
    };
}

/// A parsed go.mod: only what the fast path reads.
#[derive(Debug, Default)]
struct ModFile {
    module: Option<String>,
    go: Option<String>,
    require: Vec<(String, String)>,
    /// Directives that send the main module to the fallback.
    unsupported: Vec<&'static str>,
}

/// Parses go.mod like `modfile.ParseLax` for what is needed here; `None` when a
/// line is not understood (quoted paths, unbalanced blocks), which means fallback.
fn parse_mod_file(text: &str) -> Option<ModFile> {
    let mut out = ModFile::default();
    let mut block: Option<String> = None;
    for raw in text.lines() {
        let owned = tokens(raw)?;
        let fields: Vec<&str> = owned.iter().map(String::as_str).collect();
        if fields.is_empty() {
            continue;
        }
        let (verb, args): (String, &[&str]) = match &block {
            Some(b) => {
                if fields == [")"] {
                    block = None;
                    continue;
                }
                (b.clone(), &fields[..])
            }
            None => {
                if fields.len() == 2 && fields[1] == "(" {
                    block = Some(fields[0].to_owned());
                    continue;
                }
                if fields.iter().any(|f| f.contains(['(', ')'])) {
                    return None;
                }
                (fields[0].to_owned(), &fields[1..])
            }
        };
        if args.iter().any(|f| f.contains(['(', ')'])) {
            return None;
        }
        match verb.as_str() {
            "module" => {
                let [p] = args else { return None };
                out.module = Some((*p).to_owned());
            }
            "go" => {
                let [v] = args else { return None };
                out.go = Some((*v).to_owned());
            }
            "require" => {
                let [p, v] = args else { return None };
                out.require.push(((*p).to_owned(), (*v).to_owned()));
            }
            "replace" => out.unsupported.push("replace"),
            "exclude" => out.unsupported.push("exclude"),
            "tool" => out.unsupported.push("tool"),
            "ignore" => out.unsupported.push("ignore"),
            "toolchain" | "godebug" | "retract" => {}
            _ => out.unsupported.push("an unknown directive"),
        }
    }
    block.is_none().then_some(out)
}

/// The tokens of one go.mod line without its `//` comment; quoted tokens
/// (`"x"`, `` `x` ``, as old go.mod files write paths) are unquoted. `None` for
/// escapes or an unterminated quote.
fn tokens(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        if rest.starts_with("//") {
            break;
        }
        let (tok, after) = match rest.as_bytes()[0] {
            q @ (b'"' | b'`') => {
                let end = rest[1..].find(q as char)? + 1;
                let inner = &rest[1..end];
                if q == b'"' && inner.contains('\\') {
                    return None;
                }
                (inner, &rest[end + 1..])
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '"' || c == '`')
                    .unwrap_or(rest.len());
                let end = rest[..end].find("//").unwrap_or(end);
                (&rest[..end], &rest[end..])
            }
        };
        out.push(tok.to_owned());
        rest = after.trim_start();
    }
    Some(out)
}

/// `semver.Compare` of golang.org/x/mod: invalid versions sort before valid
/// ones, build metadata is ignored.
pub(crate) fn semver_compare(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (parse_semver(a), parse_semver(b)) {
        (None, None) => Equal,
        (None, Some(_)) => Less,
        (Some(_), None) => Greater,
        (Some(x), Some(y)) => {
            let num = |p: &str, q: &str| p.len().cmp(&q.len()).then_with(|| p.cmp(q));
            num(x.0, y.0)
                .then_with(|| num(x.1, y.1))
                .then_with(|| num(x.2, y.2))
                .then_with(|| compare_prerelease(x.3, y.3))
        }
    }
}

type Semver<'a> = (&'a str, &'a str, &'a str, &'a str);

fn parse_semver(v: &str) -> Option<Semver<'_>> {
    let v = v.strip_prefix('v')?;
    let (v, _build) = match v.find('+') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let (core, pre) = match v.find('-') {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let num_ok = |p: &str| {
        !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    if parts.iter().any(|p| !num_ok(p)) || parts.len() > 3 {
        return None;
    }
    // "v1" and "v1.2" are shorthands, but not with a prerelease or build suffix.
    if parts.len() < 3 && (!pre.is_empty() || _build.is_some()) {
        return None;
    }
    if !pre.is_empty() {
        let ids = &pre[1..];
        if ids.split('.').any(|id| {
            id.is_empty()
                || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                || (id.len() > 1 && id.starts_with('0') && id.bytes().all(|c| c.is_ascii_digit()))
        }) {
            return None;
        }
    }
    if let Some(b) = _build
        && b.split('.')
            .any(|id| id.is_empty() || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    {
        return None;
    }
    Some((
        parts[0],
        parts.get(1).copied().unwrap_or("0"),
        parts.get(2).copied().unwrap_or("0"),
        pre,
    ))
}

fn compare_prerelease(x: &str, y: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (x.is_empty(), y.is_empty()) {
        (true, true) => return Equal,
        (true, false) => return Greater,
        (false, true) => return Less,
        _ => {}
    }
    let mut xs = x[1..].split('.');
    let mut ys = y[1..].split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Equal,
            (None, Some(_)) => return Less,
            (Some(_), None) => return Greater,
            (Some(a), Some(b)) => {
                let an = a.bytes().all(|c| c.is_ascii_digit());
                let bn = b.bytes().all(|c| c.is_ascii_digit());
                let o = match (an, bn) {
                    (true, true) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
                    (true, false) => Less,
                    (false, true) => Greater,
                    (false, false) => a.cmp(b),
                };
                if o != Equal {
                    return o;
                }
            }
        }
    }
}

/// `imports.ReadImports(f, false, &list)`: the file prefix through the import
/// block, and the quoted import paths. `Err` only for a NUL byte, as in Go; a
/// syntax error is reported in the third field (Go then reads the whole file
/// and keeps the imports seen so far).
fn read_imports(data: &[u8]) -> (Result<&[u8], ()>, Vec<&[u8]>, bool) {
    let start = if data.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    };
    let mut r = Reader {
        data,
        pos: start,
        peek: 0,
        err: None,
        eof: false,
    };
    let mut list = Vec::new();
    r.read_keyword(b"package");
    r.read_ident();
    while r.peek_byte(true) == b'i' {
        r.read_keyword(b"import");
        if r.peek_byte(true) == b'(' {
            r.next_byte(false);
            while r.peek_byte(true) != b')' && r.err.is_none() {
                r.read_import(&mut list);
            }
            r.next_byte(false);
        } else {
            r.read_import(&mut list);
        }
    }
    if r.err.is_none() && !r.eof {
        return (Ok(&data[start..r.pos - 1]), list, false);
    }
    let syntax = r.err == Some(ReadErr::Syntax);
    if syntax {
        r.err = None;
        while r.err.is_none() && !r.eof {
            r.read_byte();
        }
    }
    match r.err {
        Some(_) => (Err(()), list, syntax),
        None => (Ok(&data[start..r.pos]), list, syntax),
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum ReadErr {
    Syntax,
    Nul,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    peek: u8,
    err: Option<ReadErr>,
    eof: bool,
}

impl<'a> Reader<'a> {
    fn syntax_error(&mut self) {
        if self.err.is_none() {
            self.err = Some(ReadErr::Syntax);
        }
    }

    fn read_byte(&mut self) -> u8 {
        match self.data.get(self.pos) {
            Some(&c) => {
                self.pos += 1;
                if c == 0 && self.err.is_none() {
                    self.err = Some(ReadErr::Nul);
                }
                if c == 0 {
                    return 0;
                }
                c
            }
            None => {
                self.eof = true;
                0
            }
        }
    }

    fn peek_byte(&mut self, skip_space: bool) -> u8 {
        if self.err.is_some() {
            return 0;
        }
        let mut c = self.peek;
        if c == 0 {
            c = self.read_byte();
        }
        while self.err.is_none() && !self.eof {
            if skip_space {
                match c {
                    b' ' | b'\x0c' | b'\t' | b'\r' | b'\n' | b';' => {
                        c = self.read_byte();
                        continue;
                    }
                    b'/' => {
                        c = self.read_byte();
                        if c == b'/' {
                            while c != b'\n' && self.err.is_none() && !self.eof {
                                c = self.read_byte();
                            }
                        } else if c == b'*' {
                            let mut c1 = 0u8;
                            while (c != b'*' || c1 != b'/') && self.err.is_none() {
                                if self.eof {
                                    self.syntax_error();
                                }
                                c = c1;
                                c1 = self.read_byte();
                            }
                        } else {
                            self.syntax_error();
                        }
                        c = self.read_byte();
                        continue;
                    }
                    _ => {}
                }
            }
            break;
        }
        self.peek = c;
        c
    }

    fn next_byte(&mut self, skip_space: bool) -> u8 {
        let c = self.peek_byte(skip_space);
        self.peek = 0;
        c
    }

    fn read_keyword(&mut self, kw: &[u8]) {
        self.peek_byte(true);
        for &k in kw {
            if self.next_byte(false) != k {
                self.syntax_error();
                return;
            }
        }
        if is_ident(self.peek_byte(false)) {
            self.syntax_error();
        }
    }

    fn read_ident(&mut self) {
        let c = self.peek_byte(true);
        if !is_ident(c) {
            self.syntax_error();
            return;
        }
        while is_ident(self.peek_byte(false)) {
            self.peek = 0;
        }
    }

    fn read_string(&mut self, save: &mut Vec<&'a [u8]>) {
        match self.next_byte(true) {
            b'`' => {
                let start = self.pos - 1;
                while self.err.is_none() {
                    if self.next_byte(false) == b'`' {
                        save.push(&self.data[start..self.pos]);
                        break;
                    }
                    if self.eof {
                        self.syntax_error();
                    }
                }
            }
            b'"' => {
                let start = self.pos - 1;
                while self.err.is_none() {
                    let c = self.next_byte(false);
                    if c == b'"' {
                        save.push(&self.data[start..self.pos]);
                        break;
                    }
                    if self.eof || c == b'\n' {
                        self.syntax_error();
                    }
                    if c == b'\\' {
                        self.next_byte(false);
                    }
                }
            }
            _ => self.syntax_error(),
        }
    }

    fn read_import(&mut self, list: &mut Vec<&'a [u8]>) {
        let c = self.peek_byte(true);
        if c == b'.' {
            self.peek = 0;
        } else if is_ident(c) {
            self.read_ident();
        }
        self.read_string(list);
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// `imports.ShouldBuild(content, imports.AnyTags())`; `None` for a build
/// constraint this port does not parse (the caller falls back).
fn should_build_any(content: &[u8]) -> Option<bool> {
    let (trimmed, go_build) = parse_file_header(content)?;
    if let Some(line) = go_build {
        let text = std::str::from_utf8(line).ok()?;
        let expr = text.strip_prefix("//go:build")?.trim();
        return eval_go_build(expr);
    }
    let mut ok = true;
    for line in trimmed.split(|&b| b == b'\n') {
        let line = line.trim_ascii();
        if !line.starts_with(b"//") || !contains(line, b"+build") {
            continue;
        }
        let text = std::str::from_utf8(line).ok()?;
        // constraint.IsPlusBuild: "//" then optional space, then "+build" and a space or the end.
        let Some(rest) = text[2..].trim_start().strip_prefix("+build") else {
            continue;
        };
        if !(rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace())) {
            continue;
        }
        // Each field is an OR alternative, each comma-separated term must hold.
        let mut any = false;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.is_empty() {
            return None;
        }
        for field in fields {
            let mut all = true;
            for term in field.split(',') {
                let (neg, tag) = match term.strip_prefix('!') {
                    Some(t) => (true, t),
                    None => (false, term),
                };
                if tag.is_empty() || tag.starts_with('!') || !valid_tag(tag) {
                    return None;
                }
                let v = if neg {
                    !match_tag_any(tag, false)
                } else {
                    match_tag_any(tag, true)
                };
                all &= v;
            }
            any |= all;
        }
        if !any {
            ok = false;
        }
    }
    Some(ok)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn valid_tag(tag: &str) -> bool {
    tag.bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}

/// `matchTag(name, AnyTags(), prefer)`.
fn match_tag_any(name: &str, prefer: bool) -> bool {
    valid_tag(name) && !name.is_empty() && name != "ignore" && prefer
}

/// `parseFileHeader`: the leading comment block a `// +build` line may sit in,
/// and the `//go:build` line. `None` on two `//go:build` lines (Go: not built,
/// but rare enough to leave to the fallback).
fn parse_file_header(content: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let mut end = 0;
    let mut p = content;
    let mut ended = false;
    let mut in_slash_star = false;
    let mut go_build: Option<&[u8]> = None;
    'lines: while !p.is_empty() {
        let mut line = p;
        match p.iter().position(|&b| b == b'\n') {
            Some(i) => {
                line = &p[..i];
                p = &p[i + 1..];
            }
            None => p = &p[p.len()..],
        }
        let mut line = line.trim_ascii();
        if line.is_empty() && !ended {
            end = content.len() - p.len();
            continue;
        }
        if !line.starts_with(b"//") {
            ended = true;
        }
        if !in_slash_star && is_go_build_comment(line) {
            if go_build.is_some() {
                return None;
            }
            go_build = Some(line);
        }
        loop {
            if line.is_empty() {
                continue 'lines;
            }
            if in_slash_star {
                match line.windows(2).position(|w| w == b"*/") {
                    Some(i) => {
                        in_slash_star = false;
                        line = line[i + 2..].trim_ascii();
                        continue;
                    }
                    None => continue 'lines,
                }
            }
            if line.starts_with(b"//") {
                continue 'lines;
            }
            if line.starts_with(b"/*") {
                in_slash_star = true;
                line = line[2..].trim_ascii();
                continue;
            }
            break 'lines;
        }
    }
    Some((&content[..end], go_build))
}

fn is_go_build_comment(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"//go:build") else {
        return false;
    };
    rest.is_empty() || rest.trim_ascii().len() < rest.len()
}

/// Evaluates a `//go:build` expression under AnyTags (every valid tag but
/// `ignore` is both true and false); `None` when it does not parse.
fn eval_go_build(expr: &str) -> Option<bool> {
    #[derive(Debug, Clone, PartialEq)]
    enum Tok {
        Tag(String),
        Not,
        And,
        Or,
        LParen,
        RParen,
    }
    let mut toks = Vec::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'!' => {
                toks.push(Tok::Not);
                i += 1;
            }
            b'(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                toks.push(Tok::RParen);
                i += 1;
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                toks.push(Tok::And);
                i += 2;
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                toks.push(Tok::Or);
                i += 2;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
                toks.push(Tok::Tag(expr[s..i].to_owned()));
            }
            _ => return None,
        }
    }
    if toks.is_empty() {
        return None;
    }
    // Recursive descent: or := and ('||' and)*; and := not ('&&' not)*; not := '!' not | atom.
    struct P {
        toks: Vec<Tok>,
        i: usize,
    }
    impl P {
        fn or(&mut self, prefer: bool) -> Option<bool> {
            let mut v = self.and(prefer)?;
            while self.toks.get(self.i) == Some(&Tok::Or) {
                self.i += 1;
                let w = self.and(prefer)?;
                v = v || w;
            }
            Some(v)
        }
        fn and(&mut self, prefer: bool) -> Option<bool> {
            let mut v = self.not(prefer)?;
            while self.toks.get(self.i) == Some(&Tok::And) {
                self.i += 1;
                let w = self.not(prefer)?;
                v = v && w;
            }
            Some(v)
        }
        fn not(&mut self, prefer: bool) -> Option<bool> {
            match self.toks.get(self.i)?.clone() {
                Tok::Not => {
                    self.i += 1;
                    Some(!self.not(!prefer)?)
                }
                Tok::LParen => {
                    self.i += 1;
                    let v = self.or(prefer)?;
                    if self.toks.get(self.i) != Some(&Tok::RParen) {
                        return None;
                    }
                    self.i += 1;
                    Some(v)
                }
                Tok::Tag(t) => {
                    self.i += 1;
                    Some(match_tag_any(&t, prefer))
                }
                _ => None,
            }
        }
    }
    let mut p = P { toks, i: 0 };
    let v = p.or(true)?;
    (p.i == p.toks.len()).then_some(v)
}

/// `strconv.Unquote` of an import string as ReadImports saved it; `None`
/// when it uses escapes (left to the fallback) or is not a string.
fn unquote(q: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(q).ok()?;
    if s.len() >= 2 && s.starts_with('`') && s.ends_with('`') {
        let inner = &s[1..s.len() - 1];
        return (!inner.contains('\r')).then(|| inner.to_owned());
    }
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        let inner = &s[1..s.len() - 1];
        return (!inner.contains(['\\', '"', '\n'])).then(|| inner.to_owned());
    }
    None
}

/// The result of `scanDir` on one package directory.
enum Scan {
    NoGo,
    Found {
        imports: BTreeSet<String>,
        test_imports: BTreeSet<String>,
    },
    /// Something this port does not follow exactly.
    Unsure(String),
}

/// `imports.ScanDir(dir, AnyTags())` plus modload's filter of "C" and appengine
/// imports, over the `.go` files of one directory given as (name, contents).
fn scan_dir<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>, dir: &str) -> Scan {
    let mut imports = BTreeSet::new();
    let mut test_imports = BTreeSet::new();
    let mut n = 0;
    for (name, data) in files {
        if name.starts_with('_') || name.starts_with('.') || !name.ends_with(".go") {
            continue;
        }
        let (content, list, syntax) = read_imports(data);
        if syntax {
            return Scan::Unsure(format!("{dir}/{name}: import block not parsed"));
        }
        let Ok(content) = content else {
            return Scan::Unsure(format!("{dir}/{name}: NUL byte"));
        };
        match should_build_any(content) {
            None => return Scan::Unsure(format!("{dir}/{name}: build constraint not parsed")),
            Some(false) => continue,
            Some(true) => {}
        }
        n += 1;
        let m = if name.ends_with("_test.go") {
            &mut test_imports
        } else {
            &mut imports
        };
        for q in list {
            let Some(p) = unquote(q) else {
                return Scan::Unsure(format!("{dir}/{name}: import string with escapes"));
            };
            let appengine = p == "appengine"
                || p.starts_with("appengine/")
                || p == "appengine_internal"
                || p.starts_with("appengine_internal/");
            if p != "C" && !appengine {
                m.insert(p);
            }
        }
    }
    if n == 0 {
        Scan::NoGo
    } else {
        Scan::Found {
            imports,
            test_imports,
        }
    }
}

/// A module zip opened for reading: file names relative to the module root.
struct ModZip {
    archive: zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    /// Directory (relative, "" for the root) -> file name -> index in the archive.
    dirs: HashMap<String, BTreeMap<String, usize>>,
}

impl ModZip {
    fn open(data: Vec<u8>, path: &str, version: &str) -> std::result::Result<ModZip, String> {
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(data)).map_err(|e| e.to_string())?;
        let prefix = format!("{path}@{version}/");
        let mut dirs: HashMap<String, BTreeMap<String, usize>> = HashMap::new();
        for i in 0..archive.len() {
            let f = archive.by_index_raw(i).map_err(|e| e.to_string())?;
            let name = f.name().to_owned();
            let Some(rel) = name.strip_prefix(&prefix) else {
                return Err(format!("{name} outside {prefix}"));
            };
            if rel.is_empty() || rel.ends_with('/') {
                continue;
            }
            let (dir, file) = match rel.rfind('/') {
                Some(i) => (&rel[..i], &rel[i + 1..]),
                None => ("", rel),
            };
            dirs.entry(dir.to_owned())
                .or_default()
                .insert(file.to_owned(), i);
            // Every ancestor exists as a directory.
            let mut d = dir;
            while let Some(i) = d.rfind('/') {
                d = &d[..i];
                dirs.entry(d.to_owned()).or_default();
            }
            dirs.entry(String::new()).or_default();
        }
        Ok(ModZip { archive, dirs })
    }

    fn read(&mut self, idx: usize) -> std::result::Result<Vec<u8>, String> {
        let mut f = self.archive.by_index(idx).map_err(|e| e.to_string())?;
        let mut buf = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    }

    /// The files directly in `dir`, read.
    fn files(&mut self, dir: &str) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
        let list: Vec<(String, usize)> = match self.dirs.get(dir) {
            Some(m) => m.iter().map(|(n, i)| (n.clone(), *i)).collect(),
            None => return Ok(Vec::new()),
        };
        list.into_iter()
            .map(|(n, i)| Ok((n, self.read(i)?)))
            .collect()
    }

    /// `dirInModule`'s "has Go files" for a module in the module cache.
    fn is_go_dir(&self, dir: &str) -> bool {
        self.dirs
            .get(dir)
            .is_some_and(|m| m.keys().any(|n| n.ends_with(".go")))
    }
}

/// Where an import resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Home {
    Main(String),
    /// Root module path and the package directory inside it.
    Dep(String, String),
}

/// Everything the fast path needs from the caller.
pub(crate) struct Input<'a> {
    pub mod_dir: &'a Path,
    pub src: &'a Path,
    /// A vendor/ directory to leave out (deleteVendor).
    pub skip: Option<&'a Path>,
    pub go_version: &'a str,
    pub sums: &'a [GoSum],
    /// The first GOPROXY entry when it is an HTTP proxy; without one only
    /// what the cache holds (verified as go would) can be used.
    pub proxy: Option<&'a str>,
    pub cache: &'a Cache,
    pub fetch: &'a FetchOptions,
}

/// `go mod vendor`'s vendor/ NAR hash, or the reason to run the real one.
pub(crate) fn vendor_hash(inp: &Input) -> Result<Fast> {
    let go_mod_path = inp.mod_dir.join("go.mod");
    let text = fs::read_to_string(&go_mod_path).map_err(|e| Error::io(&go_mod_path, e))?;
    let Some(main) = parse_mod_file(&text) else {
        fallback!("go.mod has lines this path does not parse");
    };
    if let Some(d) = main.unsupported.first() {
        fallback!("go.mod has {d} directives");
    }
    let Some(main_path) = main.module.clone() else {
        fallback!("go.mod has no module line");
    };
    let main_go = main.go.clone().unwrap_or_default();
    if main.go.is_none() || version_less(&main_go, "1.17") {
        fallback!("go.mod says go {main_go:?}: an unpruned module graph (go < 1.17)");
    }
    // go.work in the module directory or above (within the source) puts go in workspace mode.
    let mut d = inp.mod_dir.to_path_buf();
    loop {
        if d.join("go.work").exists() {
            fallback!("{}: a go.work file", d.display());
        }
        if d == inp.src || !d.pop() {
            break;
        }
    }
    let first_elem_has_dot = |p: &str| p.split('/').next().is_some_and(|e| e.contains('.'));
    let mut roots: BTreeMap<String, String> = BTreeMap::new();
    for (p, v) in &main.require {
        if roots.insert(p.clone(), v.clone()).is_some() {
            fallback!("go.mod requires {p} twice");
        }
        if !first_elem_has_dot(p) {
            fallback!("required module {p} looks like a standard-library path");
        }
        if p == &main_path {
            fallback!("go.mod requires its own module {p}");
        }
    }
    if roots.is_empty() {
        fallback!("go.mod requires nothing");
    }
    if let Some(r) = roots
        .keys()
        .find(|r| r.starts_with(&format!("{main_path}/")))
    {
        fallback!("required module {r} is inside the main module's path");
    }
    if !first_elem_has_dot(&main_path) {
        fallback!("main module path {main_path} looks like a standard-library path");
    }
    // Case-insensitive module path collisions fail in go.
    let mut folded = BTreeSet::new();
    for p in roots.keys().chain(std::iter::once(&main_path)) {
        if !folded.insert(p.to_lowercase()) {
            fallback!("module paths that differ only in case ({p})");
        }
    }

    // What go.sum pins for the roots: every go.mod (for the go versions in
    // modules.txt and the spot check) and every zip (the packages).
    let mut mod_sums = HashMap::new();
    let mut zip_sums = HashMap::new();
    for s in inp.sums {
        if roots.get(&s.path) == Some(&s.version) {
            if s.go_mod {
                mod_sums.insert(s.path.clone(), s);
            } else {
                zip_sums.insert(s.path.clone(), s);
            }
        }
    }
    let mut fetches = Vec::new();
    for p in roots.keys() {
        let Some(m) = mod_sums.get(p) else {
            fallback!("go.sum has no go.mod hash for {p}");
        };
        fetches.push(fetch_of(m, inp.proxy.unwrap_or(""))?);
        if let Some(z) = zip_sums.get(p) {
            fetches.push(fetch_of(z, inp.proxy.unwrap_or(""))?);
        }
    }
    if inp.proxy.is_none() && !fetches.iter().all(|f| f.is_cached(inp.cache)) {
        fallback!("GOPROXY does not start with an HTTP proxy and the cache lacks modules");
    }
    let t = std::time::Instant::now();
    let notes = fetch_tolerant(fetches, inp.cache, inp.fetch)?;
    tracing::debug!("fetched {} roots in {:?}", roots.len(), t.elapsed());
    if let Some(n) = notes.first() {
        fallback!("a download failed: {n}");
    }

    // go.mod of every root: go version, module path, requirements.
    let mut mod_files: BTreeMap<String, ModFile> = BTreeMap::new();
    for p in roots.keys() {
        let file = inp.cache.file_path(&mod_sums[p].h1);
        let data = fs::read(&file).map_err(|e| Error::io(&file, e))?;
        let Some(mf) = std::str::from_utf8(&data).ok().and_then(parse_mod_file) else {
            fallback!("the go.mod of {p} has lines this path does not parse");
        };
        if mf.module.as_deref() != Some(p.as_str()) {
            fallback!("the go.mod of {p} declares module {:?}", mf.module);
        }
        if let Some(g) = &mf.go
            && version_less(inp.go_version, g)
        {
            fallback!("{p} needs go {g}");
        }
        mod_files.insert(p.clone(), mf);
    }

    let mut zips: HashMap<String, Option<ModZip>> = HashMap::new();

    // The main module's packages (matchPackages over the module root).
    let mut main_pkgs: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut stack = vec![(inp.mod_dir.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let mut files = Vec::new();
        let rd = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut subdirs = Vec::new();
        for e in rd {
            let e = e.map_err(|e| Error::io(&dir, e))?;
            let ft = e.file_type().map_err(|err| Error::io(e.path(), err))?;
            let Some(name) = e.file_name().to_str().map(str::to_owned) else {
                fallback!("{}: a file name that is not UTF-8", e.path().display());
            };
            if ft.is_symlink() {
                fallback!("{}: a symlink in the main module", e.path().display());
            }
            if ft.is_dir() {
                if Some(e.path().as_path()) == inp.skip
                    || name.starts_with('.')
                    || name.starts_with('_')
                    || name == "testdata"
                {
                    continue;
                }
                subdirs.push(name);
            } else if ft.is_file() && name.ends_with(".go") {
                let data = fs::read(e.path()).map_err(|err| Error::io(e.path(), err))?;
                files.push((name, data));
            }
        }
        let elem = rel.rsplit('/').next().unwrap_or("");
        if !rel.is_empty() && dir.join("go.mod").is_file() {
            continue;
        }
        let pkg = if rel.is_empty() {
            main_path.clone()
        } else {
            format!("{main_path}/{rel}")
        };
        match scan_dir(files.iter().map(|(n, d)| (n.as_str(), d.as_slice())), &pkg) {
            Scan::NoGo => {}
            Scan::Unsure(why) => fallback!("{why}"),
            Scan::Found {
                imports,
                test_imports,
            } => {
                if elem == "vendor" {
                    fallback!("{}: Go files in a vendor directory", dir.display());
                }
                main_pkgs.insert(pkg, (imports, test_imports));
            }
        }
        if elem == "vendor" {
            continue;
        }
        for s in subdirs {
            let r = if rel.is_empty() {
                s.clone()
            } else {
                format!("{rel}/{s}")
            };
            stack.push((dir.join(&s), r));
        }
    }

    // Load the import graph: main packages with their tests, dependencies without.
    let mut queue: Vec<String> = Vec::new();
    let mut loaded: BTreeMap<String, Home> = BTreeMap::new();
    for (p, (imps, tests)) in &main_pkgs {
        loaded.insert(p.clone(), Home::Main(p.clone()));
        queue.extend(imps.iter().cloned());
        queue.extend(tests.iter().cloned());
    }
    let mut dep_pkgs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(path) = queue.pop() {
        if loaded.contains_key(&path) {
            continue;
        }
        if path.contains('@')
            || path.starts_with('.')
            || path.starts_with('/')
            || path.is_empty()
            || path
                .split('/')
                .any(|e| e.is_empty() || e == "." || e == "..")
            || !path
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-._~/+".contains(&c))
        {
            fallback!("import path {path:?} is not one this path checks");
        }
        if !first_elem_has_dot(&path) {
            // The standard library, or a missing std import go ignores here
            // (SilenceMissingStdImports); no module path starts like this.
            continue;
        }
        let mut found: Vec<Home> = Vec::new();
        let mut prefix = path.as_str();
        loop {
            if prefix == main_path {
                let rel = path[prefix.len()..].trim_start_matches('/');
                let dir = inp.mod_dir.join(rel);
                let mut nested = false;
                let mut d = dir.clone();
                while d != inp.mod_dir && d.starts_with(inp.mod_dir) {
                    if d.join("go.mod").is_file() {
                        nested = true;
                        break;
                    }
                    d.pop();
                }
                if !nested && is_go_dir_on_disk(&dir)? {
                    found.push(Home::Main(path.clone()));
                }
            } else if roots.contains_key(prefix) {
                if let Err(e) = open_zip(&mut zips, &zip_sums, &roots, inp.cache, prefix)? {
                    fallback!("{e}");
                }
                let rel = path[prefix.len()..].trim_start_matches('/');
                if zips[prefix].as_ref().is_some_and(|z| z.is_go_dir(rel)) {
                    found.push(Home::Dep(prefix.to_owned(), rel.to_owned()));
                }
            }
            match prefix.rfind('/') {
                Some(i) => prefix = &prefix[..i],
                None => break,
            }
        }
        let home = match found.len() {
            1 => found.pop().unwrap(),
            0 => fallback!("no go.mod requirement provides {path}; go would load the full graph"),
            _ => fallback!("ambiguous import {path}"),
        };
        let scan = match &home {
            Home::Main(_) => {
                let rel = path[main_path.len()..].trim_start_matches('/');
                let dir = inp.mod_dir.join(rel);
                let mut files = Vec::new();
                for e in fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
                    let e = e.map_err(|e| Error::io(&dir, e))?;
                    let ft = e.file_type().map_err(|err| Error::io(e.path(), err))?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    if ft.is_symlink() {
                        fallback!("{}: a symlink in the main module", e.path().display());
                    }
                    if ft.is_file() && name.ends_with(".go") {
                        let data = fs::read(e.path()).map_err(|err| Error::io(e.path(), err))?;
                        files.push((name, data));
                    }
                }
                scan_dir(files.iter().map(|(n, d)| (n.as_str(), d.as_slice())), &path)
            }
            Home::Dep(m, rel) => {
                let z = zips
                    .get_mut(m)
                    .and_then(Option::as_mut)
                    .expect("opened above");
                let files = match z.files(rel) {
                    Ok(f) => f,
                    Err(e) => fallback!("{m}: {e}"),
                };
                scan_dir(files.iter().map(|(n, d)| (n.as_str(), d.as_slice())), &path)
            }
        };
        let (imports, test_imports) = match scan {
            Scan::NoGo => fallback!("{path}: no buildable Go files"),
            Scan::Unsure(why) => fallback!("{why}"),
            Scan::Found {
                imports,
                test_imports,
            } => (imports, test_imports),
        };
        queue.extend(imports.iter().cloned());
        match &home {
            Home::Main(_) => {
                // Tests of every main-module package in "all" are loaded too.
                queue.extend(test_imports.iter().cloned());
            }
            Home::Dep(m, _) => dep_pkgs.entry(m.clone()).or_default().push(path.clone()),
        }
        loaded.insert(path, home);
    }

    // spotCheckRoots: no module that provides a package requires more of a root.
    for m in dep_pkgs.keys() {
        // From go 1.21 a module's go line is a requirement on the "go" root (the
        // main module's go line); Go orders "1.21" before "1.21.0", so anything
        // but a clearly older version is left to go.
        if let Some(g) = &mod_files[m].go
            && !version_less(g, "1.21")
            && g != &main_go
            && !version_less(g, &main_go)
        {
            fallback!(
                "{m} needs go {g}, above go.mod's go {main_go}: go would load the full graph"
            );
        }
        for (r, v) in &mod_files[m].require {
            if let Some(have) = roots.get(r)
                && semver_compare(have, v) == std::cmp::Ordering::Less
            {
                fallback!(
                    "{m} requires {r} {v}, above go.mod's {have}: go would load the full graph"
                );
            }
        }
    }

    // modules.txt and the package files, in vendor.go's order.
    let mut vendor_mods: BTreeSet<&String> = roots.keys().collect();
    vendor_mods.extend(dep_pkgs.keys());
    let mut tree = Entry::dir();
    let mut txt = String::new();
    let mut copied_metadata: BTreeSet<String> = BTreeSet::new();
    for m in vendor_mods {
        let version = &roots[m];
        txt.push_str(&format!("# {m} {version}\n"));
        match &mod_files[m].go {
            Some(g) => txt.push_str(&format!("## explicit; go {g}\n")),
            None => txt.push_str("## explicit\n"),
        }
        let mut pkgs = dep_pkgs.get(m).cloned().unwrap_or_default();
        pkgs.sort();
        for pkg in pkgs {
            txt.push_str(&pkg);
            txt.push('\n');
            let z = zips.get_mut(m).and_then(Option::as_mut).expect("opened");
            let rel = pkg[m.len()..].trim_start_matches('/').to_owned();
            let files = match z.files(&rel) {
                Ok(f) => f,
                Err(e) => fallback!("{m}: {e}"),
            };
            ensure_dir(&mut tree, &pkg);
            let patterns = match embed_patterns(&files, !version_less(&main_go, "1.22")) {
                Ok(p) => p,
                Err(why) => fallback!("{pkg}: {why}"),
            };
            for (name, data) in files {
                if !potential_source_file(&name, &data) {
                    continue;
                }
                tree.insert(format!("{pkg}/{name}").as_bytes(), file(data));
            }
            if !patterns.is_empty() {
                let embeds = match resolve_embed(z, &rel, &patterns) {
                    Ok(e) => e,
                    Err(why) => fallback!("{pkg}: //go:embed {why}"),
                };
                for (name, idx) in embeds {
                    let data = match z.read(idx) {
                        Ok(d) => d,
                        Err(e) => fallback!("{m}: {e}"),
                    };
                    tree.insert(format!("{pkg}/{name}").as_bytes(), file(data));
                }
            }
            // copyMetadata: LICENSE and friends of each parent up to the module root.
            let mut p = pkg.clone();
            let mut parent = 0;
            loop {
                if !copied_metadata.insert(format!("{m}\0{p}")) {
                    break;
                }
                if parent > 0 {
                    let rel = p[m.len()..].trim_start_matches('/').to_owned();
                    let files = match z.metadata_files(&rel) {
                        Ok(f) => f,
                        Err(e) => fallback!("{m}: {e}"),
                    };
                    for (name, data) in files {
                        tree.insert(format!("{p}/{name}").as_bytes(), file(data));
                    }
                }
                if p == *m {
                    break;
                }
                p.truncate(p.rfind('/').expect("a package below its module"));
                parent += 1;
            }
        }
    }
    tree.insert(b"modules.txt", file(txt.into_bytes()));
    Ok(Fast::Hash(atnix_nar::nar_hash_entry(&tree)?))
}

/// Opens the zip of root `p` once; `Ok(Err(why))` when there is none to use.
fn open_zip(
    zips: &mut HashMap<String, Option<ModZip>>,
    zip_sums: &HashMap<String, &GoSum>,
    roots: &BTreeMap<String, String>,
    cache: &Cache,
    p: &str,
) -> Result<std::result::Result<(), String>> {
    if let Some(z) = zips.get(p) {
        return Ok(z
            .as_ref()
            .map(|_| ())
            .ok_or_else(|| format!("no usable zip for {p}")));
    }
    let Some(z) = zip_sums.get(p) else {
        zips.insert(p.to_owned(), None);
        return Ok(Err(format!("go.sum has no zip hash for {p}")));
    };
    let file = cache.file_path(&z.h1);
    let data = fs::read(&file).map_err(|e| Error::io(&file, e))?;
    match ModZip::open(data, p, &roots[p]) {
        Ok(mz) => {
            zips.insert(p.to_owned(), Some(mz));
            Ok(Ok(()))
        }
        Err(e) => {
            zips.insert(p.to_owned(), None);
            Ok(Err(format!("{p}: {e}")))
        }
    }
}

/// The `//go:embed` patterns go/build reports for a package directory read
/// with `UseAllFiles` (every `.go` file but `_`/`.`-prefixed ones, whatever its
/// build constraints): from files importing "embed", test files only before
/// go 1.22. `Err` for what this port leaves to the fallback (quoted patterns,
/// cgo, whose files count only where cgo is enabled).
fn embed_patterns(
    files: &[(String, Vec<u8>)],
    go122: bool,
) -> std::result::Result<Vec<String>, String> {
    let mut patterns = Vec::new();
    for (name, data) in files {
        if !name.ends_with(".go") || name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let (content, list, syntax) = read_imports(data);
        if syntax || content.is_err() {
            return Err(format!("{name}: import block not parsed"));
        }
        let imports: Vec<Option<String>> = list.iter().map(|q| unquote(q)).collect();
        if imports.iter().any(Option::is_none) {
            return Err(format!("{name}: import string with escapes"));
        }
        let is_test = name.ends_with("_test.go");
        // go/build skips "documentation" files; other package names only make a
        // MultiplePackageError, which vendor.go accepts, and still count.
        if package_name(data).ok_or_else(|| format!("{name}: package clause"))? == "documentation" {
            continue;
        }
        if !imports.iter().any(|i| i.as_deref() == Some("embed")) {
            continue;
        }
        if imports.iter().any(|i| i.as_deref() == Some("C")) {
            return Err(format!("{name}: cgo with embed"));
        }
        if is_test && go122 {
            continue;
        }
        for line in find_embeds(data) {
            let text =
                std::str::from_utf8(line).map_err(|_| format!("{name}: //go:embed not UTF-8"))?;
            if text.contains(['"', '`']) {
                return Err(format!("{name}: quoted //go:embed pattern"));
            }
            patterns.extend(text.split_whitespace().map(str::to_owned));
        }
    }
    Ok(patterns)
}

/// The identifier of the package clause.
fn package_name(data: &[u8]) -> Option<String> {
    let mut r = Reader {
        data,
        pos: if data.starts_with(&[0xef, 0xbb, 0xbf]) {
            3
        } else {
            0
        },
        peek: 0,
        err: None,
        eof: false,
    };
    r.read_keyword(b"package");
    let c = r.peek_byte(true);
    if r.err.is_some() || !is_ident(c) {
        return None;
    }
    let start = r.pos - 1;
    while is_ident(r.peek_byte(false)) {
        r.peek = 0;
    }
    let end = if r.eof { r.pos } else { r.pos - 1 };
    String::from_utf8(data[start..end].to_vec()).ok()
}

/// The arguments of every `//go:embed` directive, as go/build (Go 1.26) finds
/// them: each `//` comment token of the whole file (go/scanner skips strings,
/// runes and `/* */` comments) whose directive name is exactly `go:embed`.
fn find_embeds(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = data.len();
    while i < n {
        match data[i] {
            b'"' | b'\'' => {
                let q = data[i];
                i += 1;
                while i < n && data[i] != q && data[i] != b'\n' {
                    if data[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'`' => {
                i += 1;
                while i < n && data[i] != b'`' {
                    i += 1;
                }
                i += 1;
            }
            b'/' if data.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < n && !(data[i] == b'*' && data.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'/' if data.get(i + 1) == Some(&b'/') => {
                let s = i;
                while i < n && data[i] != b'\n' {
                    i += 1;
                }
                let comment = &data[s..i];
                if let Some(rest) = comment.strip_prefix(b"//go:embed")
                    && (rest.is_empty() || rest[0] == b' ' || rest[0] == b'\t')
                {
                    out.push(rest.trim_ascii());
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// `load.ResolveEmbed` over a module zip: the files (relative to the package
/// directory `dir`, with their archive index) the patterns embed. `Err` for
/// every case where go reports an error, and for glob syntax beyond `*` and `?`.
fn resolve_embed(
    z: &ModZip,
    dir: &str,
    patterns: &[String],
) -> std::result::Result<Vec<(String, usize)>, String> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    // Every file below the package directory: relative name -> index.
    let mut below: BTreeMap<String, usize> = BTreeMap::new();
    for (d, files) in &z.dirs {
        let rel = if d == dir {
            String::new()
        } else if let Some(r) = d.strip_prefix(&prefix) {
            format!("{r}/")
        } else if dir.is_empty() {
            format!("{d}/")
        } else {
            continue;
        };
        for (n, i) in files {
            below.insert(format!("{rel}{n}"), *i);
        }
    }
    let is_dir = |p: &str| below.keys().any(|k| k.starts_with(&format!("{p}/")));
    let bad = |e: &str| e.is_empty() || matches!(e, ".bzr" | ".hg" | ".git" | ".svn");
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    for pattern in patterns {
        let (glob, all) = match pattern.strip_prefix("all:") {
            Some(g) => (g, true),
            None => (pattern.as_str(), false),
        };
        let valid = glob != "."
            && !glob.is_empty()
            && glob
                .split('/')
                .all(|e| !e.is_empty() && e != "." && e != "..")
            && !glob.contains(['[', '\\', ']']);
        if !valid {
            return Err(format!("pattern {pattern}: not followed here"));
        }
        // filepath.Glob element by element over files and directories.
        let mut candidates: BTreeSet<String> = BTreeSet::new();
        for k in below.keys() {
            let mut p = String::new();
            for e in k.split('/') {
                if !p.is_empty() {
                    p.push('/');
                }
                p.push_str(e);
                candidates.insert(p.clone());
            }
        }
        let elems: Vec<&str> = glob.split('/').collect();
        let matches: Vec<&String> = candidates
            .iter()
            .filter(|c| {
                let ce: Vec<&str> = c.split('/').collect();
                ce.len() == elems.len() && ce.iter().zip(&elems).all(|(a, b)| glob_match(b, a))
            })
            .collect();
        let mut n = 0;
        for m in matches {
            for e in m.split('/') {
                if bad(e) {
                    return Err(format!("pattern {pattern}: invalid name {e}"));
                }
            }
            if let Some(&i) = below.get(m.as_str()) {
                out.insert(m.clone(), i);
                n += 1;
            } else if is_dir(m) {
                let mut count = 0;
                for (k, &i) in below.range(format!("{m}/")..) {
                    let Some(rest) = k.strip_prefix(&format!("{m}/")) else {
                        break;
                    };
                    let parts: Vec<&str> = rest.split('/').collect();
                    if parts.iter().any(|e| bad(e)) {
                        return Err(format!("pattern {pattern}: invalid name in {k}"));
                    }
                    if !all
                        && parts
                            .iter()
                            .any(|e| e.starts_with('.') || e.starts_with('_'))
                    {
                        continue;
                    }
                    out.insert(k.clone(), i);
                    count += 1;
                }
                if count == 0 {
                    return Err(format!(
                        "pattern {pattern}: directory {m} has no embeddable files"
                    ));
                }
                n += 1;
            }
        }
        if n == 0 {
            return Err(format!("pattern {pattern}: no matching files"));
        }
    }
    Ok(out.into_iter().collect())
}

/// `path.Match` for one element, with only `*` and `?` (the caller refuses the rest).
fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| go(&p[1..], &n[k..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// Creates the directory at the slash-separated `path` unless it exists.
fn ensure_dir(tree: &mut Entry, path: &str) {
    let mut node = tree;
    for part in path.split('/') {
        let Entry::Directory(children) = node else {
            unreachable!("vendor paths only go through directories")
        };
        node = children
            .entry(part.as_bytes().to_vec())
            .or_insert_with(Entry::dir);
    }
}

fn file(data: Vec<u8>) -> Entry {
    Entry::File {
        executable: false,
        contents: Contents::Bytes(data),
    }
}

/// `matchPotentialSourceFile` for a main module at go >= 1.17.
fn potential_source_file(name: &str, data: &[u8]) -> bool {
    if name.ends_with("_test.go") || name == "go.mod" || name == "go.sum" {
        return false;
    }
    if name.ends_with(".go") {
        let (content, _, _) = read_imports(data);
        if let Ok(content) = content
            && should_build_any(content) == Some(false)
        {
            return false;
        }
    }
    true
}

const META_PREFIXES: [&str; 9] = [
    "AUTHORS",
    "CONTRIBUTORS",
    "COPYLEFT",
    "COPYING",
    "COPYRIGHT",
    "LEGAL",
    "LICENSE",
    "NOTICE",
    "PATENTS",
];

impl ModZip {
    fn metadata_files(&mut self, dir: &str) -> std::result::Result<Vec<(String, Vec<u8>)>, String> {
        let list: Vec<(String, usize)> = match self.dirs.get(dir) {
            Some(m) => m
                .iter()
                .filter(|(n, _)| META_PREFIXES.iter().any(|p| n.starts_with(p)))
                .map(|(n, i)| (n.clone(), *i))
                .collect(),
            None => return Ok(Vec::new()),
        };
        list.into_iter()
            .map(|(n, i)| Ok((n, self.read(i)?)))
            .collect()
    }
}

/// `fsys.IsGoDir` for a main-module directory.
fn is_go_dir_on_disk(dir: &Path) -> Result<bool> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(false);
        }
        Err(e) => return Err(Error::io(dir, e)),
    };
    for e in rd {
        let e = e.map_err(|e| Error::io(dir, e))?;
        let ft = e.file_type().map_err(|err| Error::io(e.path(), err))?;
        if !ft.is_dir() && e.file_name().as_encoded_bytes().ends_with(b".go") {
            if ft.is_file() {
                return Ok(true);
            }
            if fs::metadata(e.path()).is_ok_and(|m| m.is_file()) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

pub(crate) fn fetch_of(s: &GoSum, proxy: &str) -> Result<Fetch> {
    Ok(Fetch::Tarball {
        what: s.what(),
        url: s.url(proxy)?,
        digest: s.h1.clone(),
    })
}

/// Fetches, dropping (and describing) the ones that fail or do not match.
pub(crate) fn fetch_tolerant(
    mut fetches: Vec<Fetch>,
    cache: &Cache,
    opts: &FetchOptions,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    loop {
        match fetch_all_blocking(&fetches, cache, opts) {
            Ok(()) => return Ok(notes),
            Err(e @ (Error::Mismatch { .. } | Error::Download { .. })) => {
                let what = match &e {
                    Error::Mismatch { what, .. } | Error::Download { what, .. } => what.clone(),
                    _ => unreachable!(),
                };
                let before = fetches.len();
                fetches.retain(|f| !matches!(f, Fetch::Tarball { what: w, .. } if *w == what));
                if fetches.len() == before {
                    return Err(e);
                }
                notes.push(e.to_string());
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::*;

    #[test]
    fn semver_order() {
        assert_eq!(semver_compare("v1.2.3", "v1.10.0"), Less);
        assert_eq!(semver_compare("v1.2.3-pre", "v1.2.3"), Less);
        assert_eq!(semver_compare("v1.2.3+incompatible", "v1.2.3"), Equal);
        assert_eq!(
            semver_compare(
                "v0.0.0-20200101000000-abcdefabcdef",
                "v0.0.0-20210101000000-abcdefabcdef"
            ),
            Less
        );
        assert_eq!(semver_compare("v1.0.0-alpha.1", "v1.0.0-alpha.beta"), Less);
        assert_eq!(semver_compare("v1", "v1.0.0"), Equal);
        assert_eq!(semver_compare("bad", "v0.0.1"), Less);
    }

    #[test]
    fn imports_are_read_like_go() {
        let src = b"// +build linux\n\npackage x // c\n\nimport (\n\t\"a/b\"\n\tc \"d.e/f\"\n\t. `g`\n)\nimport _ \"h\"\nfunc main() {}\n";
        let (content, list, syntax) = read_imports(src);
        assert!(!syntax);
        let content = content.unwrap();
        // Go keeps the bytes read up to the first one after the imports.
        assert!(content.ends_with(b"import _ \"h\"\n"));
        let list: Vec<String> = list.iter().map(|q| unquote(q).unwrap()).collect();
        assert_eq!(list, ["a/b", "d.e/f", "g", "h"]);
        assert_eq!(should_build_any(content), Some(true));
    }

    #[test]
    fn any_tags() {
        assert_eq!(eval_go_build("ignore"), Some(false));
        assert_eq!(eval_go_build("!ignore"), Some(true));
        assert_eq!(eval_go_build("linux && !linux"), Some(true));
        assert_eq!(eval_go_build("ignore || windows"), Some(true));
        assert_eq!(eval_go_build("(a && ignore)"), Some(false));
        assert_eq!(eval_go_build("a &&"), None);
        assert_eq!(
            should_build_any(b"//go:build ignore\n\npackage main\n"),
            Some(false)
        );
        assert_eq!(
            should_build_any(b"// +build ignore\n\npackage main\n"),
            Some(false)
        );
        assert_eq!(
            should_build_any(b"// +build ignore linux\n\npackage main\n"),
            Some(true)
        );
        // A +build line in the package doc comment (no blank line after) does not count.
        assert_eq!(
            should_build_any(b"// +build ignore\npackage main\n"),
            Some(true)
        );
    }

    #[test]
    fn mod_files() {
        let m = parse_mod_file(
            "module example.com/m // c\n\ngo 1.23.0\n\nrequire (\n\ta.b/c v1.0.0 // indirect\n)\nrequire d.e/f v0.1.0\n",
        )
        .unwrap();
        assert_eq!(m.module.as_deref(), Some("example.com/m"));
        assert_eq!(m.go.as_deref(), Some("1.23.0"));
        assert_eq!(m.require.len(), 2);
        assert!(m.unsupported.is_empty());
        let m = parse_mod_file(
            "module \"github.com/kr/text\"\n\nrequire \"github.com/creack/pty\" v1.1.9\n",
        )
        .unwrap();
        assert_eq!(m.module.as_deref(), Some("github.com/kr/text"));
        assert_eq!(
            m.require,
            [("github.com/creack/pty".to_owned(), "v1.1.9".to_owned())]
        );
        let m = parse_mod_file("module m\nreplace a => ../a\n").unwrap();
        assert_eq!(m.unsupported, ["replace"]);
    }
}
