//! The rules over `.nix` files, each a walk of the rnix syntax tree.

use std::collections::BTreeSet;

use rnix::ast::{self, Expr, HasEntry};
use rnix::{ParseError, SyntaxKind, SyntaxNode, TextRange};
use rowan::ast::AstNode;

use crate::syntax::{
    LineIndex, attrpath_names, call_attrset, callee_name, defined_names, defines, descendants,
    expr_str, is_outermost_apply, result_expr, uncurry, unparen,
};
use crate::{Finding, RepoContext, Rule};

/// Builders whose call is a package.
pub(crate) const BUILDERS: &[&str] = &[
    "mkDerivation",
    "buildRustPackage",
    "buildNpmPackage",
    "buildGoModule",
    "buildGoPackage",
    "buildPythonApplication",
    "buildPythonPackage",
    "buildDotnetModule",
    "buildYarnPackage",
    "mkYarnPackage",
    "buildDenoPackage",
    "buildDartApplication",
    "buildNimPackage",
    "buildGleamApplication",
    "buildMavenPackage",
    "buildGradlePackage",
];

/// Builders whose packages install programs, so they need meta.mainProgram.
const BIN_BUILDERS: &[&str] = &[
    "buildRustPackage",
    "buildNpmPackage",
    "buildGoModule",
    "buildGoPackage",
    "buildPythonApplication",
    "buildDotnetModule",
    "buildDenoPackage",
    "buildDartApplication",
    "buildNimPackage",
    "buildGleamApplication",
];

/// Functions that fetch a source or dependency set by rev and hash.
const FETCHERS: &[&str] = &[
    "fetchFromGitHub",
    "fetchFromGitLab",
    "fetchFromGitea",
    "fetchFromForgejo",
    "fetchFromCodeberg",
    "fetchFromSourcehut",
    "fetchFromBitbucket",
    "fetchFromGitiles",
    "fetchFromRepoOrCz",
    "fetchFromSavannah",
    "fetchFromTangled",
    "fetchgit",
    "fetchGit",
    "fetchurl",
    "fetchzip",
    "fetchTarball",
    "fetchtarball",
    "fetchCrate",
    "fetchPypi",
    "fetchpatch",
    "fetchpatch2",
    "fetchNpmDeps",
    "fetchYarnDeps",
    "fetchPnpmDeps",
    "fetchCargoVendor",
    "fetchCargoTarball",
    "fetchsvn",
    "fetchhg",
    "fetchHex",
];

/// Arguments of a fetcher call that pin the source.
const FETCHER_PIN_KEYS: &[&str] = &[
    "rev",
    "tag",
    "hash",
    "sha256",
    "sha512",
    "sha1",
    "md5",
    "outputHash",
    "narHash",
];

/// Arguments of a builder call that pin its dependencies.
const BUILDER_PIN_KEYS: &[&str] = &[
    "cargoHash",
    "cargoSha256",
    "npmDepsHash",
    "vendorHash",
    "vendorSha256",
    "pnpmDepsHash",
    "yarnHash",
    "outputHash",
];

const FAKE_HASH_NAMES: &[&str] = &["fakeHash", "fakeSha256", "fakeSha512"];

const BRANCH_NAMES: &[&str] = &["main", "master", "HEAD", "trunk", "develop"];

const NO_MAIN_PROGRAM: &str = "atnix-lint: no-main-program";

/// A parsed `.nix` file.
pub(crate) struct NixFile {
    pub rel: String,
    pub text: String,
    pub root: SyntaxNode,
    pub errors: Vec<ParseError>,
    pub lines: LineIndex,
}

impl NixFile {
    pub(crate) fn parse(rel: String, text: String) -> Self {
        let parse = rnix::Root::parse(&text);
        NixFile {
            root: parse.syntax(),
            errors: parse.errors().to_vec(),
            lines: LineIndex::new(&text),
            rel,
            text,
        }
    }

    pub(crate) fn expr(&self) -> Option<Expr> {
        rnix::Root::cast(self.root.clone())?.expr()
    }

    fn finding(&self, node: &SyntaxNode, rule: Rule, message: String) -> Finding {
        Finding {
            file: self.rel.clone(),
            line: self.lines.line_of(node),
            rule,
            message,
        }
    }
}

pub(crate) fn check_file(file: &NixFile, ctx: &RepoContext, out: &mut Vec<Finding>) {
    if let Some(err) = file.errors.first() {
        out.push(parse_finding(file, err));
        return;
    }
    fake_hash(file, out);
    branch_rev(file, out);
    if file.rel.starts_with("pkgs/") {
        inline_pin(file, out);
        if file.rel != "pkgs/default.nix" {
            package_meta(file, out);
        }
    }
    package_option(file, ctx, out);
    option_description(file, out);
}

fn kind_name(kind: SyntaxKind) -> String {
    let token = match kind {
        SyntaxKind::TOKEN_L_PAREN => "`(`",
        SyntaxKind::TOKEN_R_PAREN => "`)`",
        SyntaxKind::TOKEN_L_BRACE => "`{`",
        SyntaxKind::TOKEN_R_BRACE => "`}`",
        SyntaxKind::TOKEN_L_BRACK => "`[`",
        SyntaxKind::TOKEN_R_BRACK => "`]`",
        SyntaxKind::TOKEN_SEMICOLON => "`;`",
        SyntaxKind::TOKEN_COLON => "`:`",
        SyntaxKind::TOKEN_COMMA => "`,`",
        SyntaxKind::TOKEN_DOT => "`.`",
        SyntaxKind::TOKEN_ASSIGN => "`=`",
        SyntaxKind::TOKEN_QUESTION => "`?`",
        SyntaxKind::TOKEN_AT => "`@`",
        SyntaxKind::TOKEN_IN => "`in`",
        SyntaxKind::TOKEN_REC => "`rec`",
        SyntaxKind::TOKEN_THEN => "`then`",
        SyntaxKind::TOKEN_ELSE => "`else`",
        SyntaxKind::TOKEN_STRING_START => "a string",
        SyntaxKind::TOKEN_STRING_END => "the end of the string",
        SyntaxKind::TOKEN_IDENT => "a name",
        SyntaxKind::TOKEN_INTERPOL_END => "`}`",
        _ => "",
    };
    if !token.is_empty() {
        return token.to_owned();
    }
    let name = format!("{kind:?}");
    name.trim_start_matches("TOKEN_")
        .trim_start_matches("NODE_")
        .to_lowercase()
        .replace('_', " ")
}

fn snippet(text: &str, range: TextRange) -> String {
    let start = usize::from(range.start()).min(text.len());
    let end = usize::from(range.end()).min(text.len());
    let s: String = text
        .get(start..end)
        .unwrap_or("")
        .chars()
        .take(24)
        .collect();
    s.replace('\n', "\\n")
}

fn parse_finding(file: &NixFile, err: &ParseError) -> Finding {
    let end = file.text.len();
    let (offset, detail) = match err {
        ParseError::Unexpected(r) => (
            usize::from(r.start()),
            format!("unexpected `{}`", snippet(&file.text, *r)),
        ),
        ParseError::UnexpectedExtra(r) => (
            usize::from(r.start()),
            format!(
                "unexpected `{}` after the end of the expression",
                snippet(&file.text, *r)
            ),
        ),
        ParseError::UnexpectedWanted(got, r, wanted) => {
            let wanted: Vec<String> = wanted.iter().map(|k| kind_name(*k)).collect();
            (usize::from(r.start()), {
                let _ = got;
                format!(
                    "unexpected `{}`, expected {}",
                    snippet(&file.text, *r),
                    wanted.join(" or ")
                )
            })
        }
        ParseError::UnexpectedDoubleBind(r) => (
            usize::from(r.start()),
            "the function argument is bound twice".to_owned(),
        ),
        ParseError::UnexpectedEOF => (end, "unexpected end of file".to_owned()),
        ParseError::UnexpectedEOFWanted(wanted) => {
            let wanted: Vec<String> = wanted.iter().map(|k| kind_name(*k)).collect();
            (
                end,
                format!("unexpected end of file, expected {}", wanted.join(" or ")),
            )
        }
        ParseError::DuplicatedArgs(r, ident) => (
            usize::from(r.start()),
            format!("argument `{ident}` is duplicated"),
        ),
        ParseError::RecursionLimitExceeded => (0, "nesting too deep to parse".to_owned()),
        _ => (0, err.to_string()),
    };
    let (line, col) = file.lines.line_col(offset.min(end));
    Finding {
        file: file.rel.clone(),
        line,
        rule: Rule::Parse,
        message: format!("fix the syntax error at column {col}: {detail}"),
    }
}

/// Whether a string is a placeholder hash: all zero bytes in any encoding
/// (lib.fakeHash is `sha256-AAAA…=`, lib.fakeSha256 is 52 zeros).
pub(crate) fn is_fake_hash_text(s: &str) -> bool {
    for algo in ["sha256-", "sha512-", "sha1-"] {
        if let Some(body) = s.strip_prefix(algo) {
            let body = body.trim_end_matches('=');
            return !body.is_empty() && body.chars().all(|c| c == 'A');
        }
    }
    let body = s
        .strip_prefix("sha256:")
        .or_else(|| s.strip_prefix("sha512:"))
        .unwrap_or(s);
    matches!(body.len(), 52 | 64 | 103 | 128) && body.chars().all(|c| c == '0')
}

fn fake_hash(file: &NixFile, out: &mut Vec<Finding>) {
    const FIX: &str = "put the real hash in source.json (`atnix prefetch --write`)";
    for node in file.root.descendants() {
        match node.kind() {
            SyntaxKind::NODE_SELECT => {
                let select = ast::Select::cast(node.clone()).expect("kind checked");
                let last = select
                    .attrpath()
                    .and_then(|p| p.attrs().last())
                    .and_then(|a| crate::syntax::attr_name(&a));
                if let Some(name) = last.filter(|n| FAKE_HASH_NAMES.contains(&n.as_str())) {
                    out.push(file.finding(
                        &node,
                        Rule::FakeHash,
                        format!("remove `{}` ({name}); {FIX}", node.text()),
                    ));
                }
            }
            SyntaxKind::NODE_IDENT => {
                let parent = node.parent().map(|p| p.kind());
                if matches!(
                    parent,
                    Some(SyntaxKind::NODE_ATTRPATH)
                        | Some(SyntaxKind::NODE_PAT_ENTRY)
                        | Some(SyntaxKind::NODE_IDENT_PARAM)
                        | Some(SyntaxKind::NODE_PAT_BIND)
                ) {
                    continue;
                }
                let text = node.text().to_string();
                if FAKE_HASH_NAMES.contains(&text.as_str()) {
                    out.push(file.finding(
                        &node,
                        Rule::FakeHash,
                        format!("remove `{text}`; {FIX}"),
                    ));
                }
            }
            SyntaxKind::NODE_STRING => {
                let s = ast::Str::cast(node.clone()).expect("kind checked");
                if let Some(text) = crate::syntax::str_literal(&s)
                    && is_fake_hash_text(&text)
                {
                    out.push(file.finding(
                        &node,
                        Rule::FakeHash,
                        format!("`{text}` is a placeholder (all-zero) hash; {FIX}"),
                    ));
                }
            }
            _ => {}
        }
    }
}

fn branch_rev(file: &NixFile, out: &mut Vec<Finding>) {
    for apv in descendants::<ast::AttrpathValue>(&file.root) {
        let Some(path) = apv.attrpath() else { continue };
        let names = attrpath_names(&path);
        if names.last().and_then(|n| n.as_deref()) != Some("rev") {
            continue;
        }
        let Some(value) = apv.value().and_then(|v| expr_str(&v)) else {
            continue;
        };
        if BRANCH_NAMES.contains(&value.as_str()) || value.starts_with("refs/heads/") {
            out.push(file.finding(
                apv.syntax(),
                Rule::BranchRev,
                format!(
                    "rev `{value}` names a branch, which moves; pin a full 40-hex commit in source.json"
                ),
            ));
        }
    }
}

fn looks_like_pin(s: &str) -> Option<&'static str> {
    let is_hex = |t: &str| t.chars().all(|c| c.is_ascii_hexdigit());
    if s.len() == 40 && is_hex(s) {
        return Some("a commit");
    }
    for algo in ["sha256-", "sha512-"] {
        if let Some(body) = s.strip_prefix(algo)
            && body.len() >= 40
            && body
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=')
        {
            return Some("an SRI hash");
        }
    }
    let body = s.strip_prefix("sha256:").unwrap_or(s);
    if body.len() == 52
        && atnix_nar::Hash::parse(body).is_ok()
        && body.chars().any(|c| c.is_ascii_digit())
    {
        return Some("a base32 hash");
    }
    if body.len() == 64 && is_hex(body) && s.starts_with("sha256:") {
        return Some("a hex hash");
    }
    None
}

fn inline_pin(file: &NixFile, out: &mut Vec<Finding>) {
    let mut reported: std::collections::HashSet<TextRange> = std::collections::HashSet::new();
    for apply in descendants::<ast::Apply>(&file.root) {
        let Some(name) = apply.lambda().and_then(|l| callee_name(&l)) else {
            continue;
        };
        let keys = if FETCHERS.contains(&name.as_str()) {
            FETCHER_PIN_KEYS
        } else if BUILDERS.contains(&name.as_str()) {
            BUILDER_PIN_KEYS
        } else {
            continue;
        };
        let Some(set) = apply.argument().and_then(|a| call_attrset(&a)) else {
            continue;
        };
        for apv in set.attrpath_values() {
            let Some(path) = apv.attrpath() else { continue };
            let names = attrpath_names(&path);
            let [Some(key)] = names.as_slice() else {
                continue;
            };
            if !keys.contains(&key.as_str()) {
                continue;
            }
            let Some(Expr::Str(s)) = apv.value().map(unparen) else {
                continue;
            };
            reported.insert(s.syntax().text_range());
            out.push(file.finding(
                apv.syntax(),
                Rule::InlinePin,
                format!(
                    "`{key}` of {name} is written inline; put it in source.json and read it with lib.importJSON"
                ),
            ));
        }
    }
    for s in descendants::<ast::Str>(&file.root) {
        if reported.contains(&s.syntax().text_range()) {
            continue;
        }
        let Some(text) = crate::syntax::str_literal(&s) else {
            continue;
        };
        if is_fake_hash_text(&text) {
            continue; // reported as fake-hash
        }
        if let Some(what) = looks_like_pin(&text) {
            out.push(file.finding(
                s.syntax(),
                Rule::InlinePin,
                format!(
                    "`{text}` looks like {what} written inline; put it in source.json and read it with lib.importJSON"
                ),
            ));
        }
    }
}

/// A package-building call and the builder's name.
pub(crate) struct PackageCall {
    apply: ast::Apply,
    pub(crate) builder: String,
    arg: Expr,
}

impl PackageCall {
    /// Whether the builder's argument set binds `name` (e.g. `cargoLock`).
    pub(crate) fn binds(&self, name: &str) -> bool {
        call_attrset(&self.arg).is_some_and(|set| crate::syntax::defines(&set, name))
    }
}

fn builder_call_at(expr: Expr) -> Option<PackageCall> {
    let Expr::Apply(apply) = unparen(expr) else {
        return None;
    };
    let (head, args) = uncurry(&apply);
    let head = head?;
    let name = callee_name(&head)?;
    if BUILDERS.contains(&name.as_str()) && args.len() == 1 {
        return Some(PackageCall {
            arg: args[0].clone(),
            apply,
            builder: name,
        });
    }
    if matches!(
        name.as_str(),
        "overrideAttrs" | "overrideModAttrs" | "override" | "overridePythonAttrs"
    ) && let Expr::Select(select) = unparen(head)
    {
        return builder_call_at(select.expr()?);
    }
    None
}

pub(crate) fn package_calls(file: &NixFile) -> Vec<PackageCall> {
    if let Some(call) = file.expr().map(result_expr).and_then(builder_call_at) {
        return vec![call];
    }
    // The file's result is not a builder call (a family, a `let` of several
    // packages): every builder call not nested in another is a package.
    let mut calls: Vec<PackageCall> = Vec::new();
    for apply in descendants::<ast::Apply>(&file.root) {
        if calls.iter().any(|c| {
            c.apply
                .syntax()
                .text_range()
                .contains_range(apply.syntax().text_range())
        }) {
            continue;
        }
        if let Some(call) = builder_call_at(Expr::Apply(apply.clone()))
            && call.apply.syntax() == apply.syntax()
        {
            calls.push(call);
        }
    }
    calls
}

/// Keys an expression for `meta` defines; `None` when that cannot be told
/// without evaluating (`meta = src.meta // { ... }`).
fn expr_keys(expr: Expr) -> Option<BTreeSet<String>> {
    match unparen(expr) {
        Expr::AttrSet(set) => Some(defined_names(&set).into_iter().collect()),
        Expr::With(w) => expr_keys(w.body()?),
        Expr::LetIn(l) => expr_keys(l.body()?),
        Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Update) => {
            let mut keys = expr_keys(op.lhs()?)?;
            keys.extend(expr_keys(op.rhs()?)?);
            Some(keys)
        }
        _ => None,
    }
}

/// meta keys of a builder's attribute set, and the node where meta is set.
fn meta_keys(set: &ast::AttrSet) -> Option<(BTreeSet<String>, Option<SyntaxNode>)> {
    let mut keys = BTreeSet::new();
    let mut at = None;
    for apv in set.attrpath_values() {
        let Some(path) = apv.attrpath() else { continue };
        let names = attrpath_names(&path);
        if names.first().and_then(|n| n.as_deref()) != Some("meta") {
            continue;
        }
        at.get_or_insert_with(|| apv.syntax().clone());
        match names.get(1) {
            Some(Some(key)) => {
                keys.insert(key.clone());
            }
            Some(None) => return None,
            None => keys.extend(expr_keys(apv.value()?)?),
        }
    }
    if set.inherits().any(|i| {
        i.attrs()
            .any(|a| crate::syntax::attr_name(&a).as_deref() == Some("meta"))
    }) {
        return None;
    }
    Some((keys, at))
}

fn installs_binaries(call: &PackageCall) -> bool {
    if BIN_BUILDERS.contains(&call.builder.as_str()) {
        return true;
    }
    descendants::<ast::Str>(call.apply.syntax()).any(|s| {
        let text = s.syntax().text().to_string();
        text.contains("$out/bin")
            || text.contains("placeholder \"out\"}/bin")
            || text.contains("installBin")
            || text.contains("wrapProgram")
            || text.contains("makeWrapper")
    })
}

/// The opt-out comment and its reason, if the file has one.
fn no_main_program_reason(file: &NixFile) -> Option<String> {
    file.root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::TOKEN_COMMENT)
        .find_map(|t| {
            let text = t.text();
            let at = text.find(NO_MAIN_PROGRAM)?;
            let reason = text[at + NO_MAIN_PROGRAM.len()..]
                .trim_start_matches([':', '-', ' ', '\t'])
                .trim_end_matches("*/")
                .trim();
            Some(reason.to_owned())
        })
}

fn package_meta(file: &NixFile, out: &mut Vec<Finding>) {
    for call in package_calls(file) {
        let Some(set) = call_attrset(&call.arg) else {
            continue;
        };
        let Some((keys, meta_at)) = meta_keys(&set) else {
            continue;
        };
        let at = meta_at.unwrap_or_else(|| call.apply.syntax().clone());
        let missing: Vec<String> = ["description", "homepage", "license"]
            .iter()
            .filter(|k| !keys.contains(**k))
            .map(|k| format!("meta.{k}"))
            .collect();
        if !missing.is_empty() {
            out.push(file.finding(
                &at,
                Rule::PackageMeta,
                format!(
                    "add {} (every package has meta.description, meta.homepage and meta.license)",
                    missing.join(", ")
                ),
            ));
        }
        if !keys.contains("mainProgram") && installs_binaries(&call) {
            match no_main_program_reason(file) {
                Some(reason) if !reason.is_empty() => {}
                Some(_) => out.push(file.finding(
                    &at,
                    Rule::MainProgram,
                    format!("say why after `# {NO_MAIN_PROGRAM}`, or set meta.mainProgram"),
                )),
                None => out.push(file.finding(
                    &at,
                    Rule::MainProgram,
                    format!(
                        "set meta.mainProgram ({} installs programs); if it installs none, write `# {NO_MAIN_PROGRAM} <reason>`",
                        call.builder
                    ),
                )),
            }
        }
    }
}

/// Attribute names of the package set in `pkgs/default.nix`.
pub(crate) fn package_set_attrs(file: &NixFile) -> BTreeSet<String> {
    fn collect(expr: Expr, out: &mut BTreeSet<String>) {
        match unparen(expr) {
            Expr::AttrSet(set) => out.extend(defined_names(&set)),
            Expr::BinOp(op) if op.operator() == Some(ast::BinOpKind::Update) => {
                if let Some(l) = op.lhs() {
                    collect(l, out);
                }
                if let Some(r) = op.rhs() {
                    collect(r, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Some(expr) = file.expr() {
        collect(result_expr(expr), &mut out);
    }
    out
}

/// Whether `name` is bound in this file to `import <...>/pkgs ...` (our package set).
fn is_our_package_set(file: &NixFile, name: &str) -> bool {
    descendants::<ast::AttrpathValue>(&file.root).any(|apv| {
        let bound = apv
            .attrpath()
            .map(|p| {
                let n = attrpath_names(&p);
                n.len() == 1 && n[0].as_deref() == Some(name)
            })
            .unwrap_or(false);
        if !bound {
            return false;
        }
        let Some(Expr::Apply(apply)) = apv.value().map(unparen) else {
            return false;
        };
        let (head, args) = uncurry(&apply);
        let is_import = head.and_then(|h| callee_name(&h)).as_deref() == Some("import");
        let path = args.first().map(|a| unparen(a.clone()));
        is_import
            && matches!(&path, Some(Expr::PathRel(p)) if {
                let t = p.syntax().text().to_string();
                let t = t.trim_end_matches('/').trim_end_matches("/default.nix");
                t == "pkgs" || t.ends_with("/pkgs")
            })
    })
}

/// `"name"` → `["name"]`, `[ "a" "b" ]` → `["a", "b"]`.
fn attr_path_arg(expr: &Expr) -> Option<Vec<String>> {
    match unparen(expr.clone()) {
        Expr::Str(s) => Some(vec![crate::syntax::str_literal(&s)?]),
        Expr::List(l) => l.items().map(|i| expr_str(&i)).collect(),
        _ => None,
    }
}

fn package_option(file: &NixFile, ctx: &RepoContext, out: &mut Vec<Finding>) {
    for apply in descendants::<ast::Apply>(&file.root) {
        if !is_outermost_apply(&apply) {
            continue;
        }
        let (head, args) = uncurry(&apply);
        if head.and_then(|h| callee_name(&h)).as_deref() != Some("mkPackageOption")
            || args.len() < 2
        {
            continue;
        }
        let Expr::Ident(set) = unparen(args[0].clone()) else {
            continue;
        };
        let set_name = set.syntax().text().to_string();
        let Some(mut path) = attr_path_arg(&args[1]) else {
            continue;
        };
        if let Some(opts) = args.get(2).and_then(call_attrset)
            && let Some(default) = crate::syntax::binding(&opts, "default")
        {
            let Some(value) = default.value() else {
                continue;
            };
            match attr_path_arg(&value) {
                Some(p) => path = p,
                None => continue, // `default = null` or computed
            }
        }
        let dotted = path.join(".");
        if set_name == "pkgs" {
            match &ctx.nixpkgs_attrs {
                None => out.push(file.finding(
                    apply.syntax(),
                    Rule::PackageOption,
                    format!(
                        "cannot check nixpkgs attribute `{dotted}`: create {} listing the nixpkgs attributes our modules use",
                        crate::NIXPKGS_ATTRS_FILE
                    ),
                )),
                Some(attrs) if !attrs.contains(&dotted) => out.push(file.finding(
                    apply.syntax(),
                    Rule::PackageOption,
                    format!(
                        "`pkgs.{dotted}` is not in {}; check the name against nixpkgs and list it there",
                        crate::NIXPKGS_ATTRS_FILE
                    ),
                )),
                Some(_) => {}
            }
        } else if is_our_package_set(file, &set_name) {
            let ours = ctx
                .our_attrs
                .as_ref()
                .is_some_and(|attrs| attrs.contains(&path[0]));
            if !ours {
                out.push(file.finding(
                    apply.syntax(),
                    Rule::PackageOption,
                    format!(
                        "`{dotted}` is not a package in pkgs/default.nix; add it there or fix the name"
                    ),
                ));
            }
        }
    }
}

fn option_description(file: &NixFile, out: &mut Vec<Finding>) {
    for apply in descendants::<ast::Apply>(&file.root) {
        if apply.lambda().and_then(|l| callee_name(&l)).as_deref() != Some("mkOption") {
            continue;
        }
        let Some(Expr::AttrSet(set)) = apply.argument().map(unparen) else {
            continue;
        };
        if !defines(&set, "description") {
            out.push(file.finding(
                apply.syntax(),
                Rule::OptionDescription,
                "give this option a description".to_owned(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rel: &str, text: &str, ctx: &RepoContext) -> Vec<String> {
        let file = NixFile::parse(rel.to_owned(), text.to_owned());
        let mut out = Vec::new();
        check_file(&file, ctx, &mut out);
        out.sort();
        out.iter()
            .map(|f| format!("{}:{}", f.line, f.rule))
            .collect()
    }

    fn run0(rel: &str, text: &str) -> Vec<String> {
        run(rel, text, &RepoContext::default())
    }

    #[test]
    fn parse_error_position() {
        let file = NixFile::parse("a.nix".into(), "{\n  a = 1;\n  b = ;\n}\n".into());
        let mut out = Vec::new();
        check_file(&file, &RepoContext::default(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].line, 3);
        assert_eq!(out[0].rule, Rule::Parse);
        assert!(out[0].message.contains("column"), "{}", out[0].message);
    }

    #[test]
    fn unterminated_file_reports_end() {
        let file = NixFile::parse("a.nix".into(), "{\n  a = 1;\n".into());
        let mut out = Vec::new();
        check_file(&file, &RepoContext::default(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, Rule::Parse);
    }

    #[test]
    fn fake_hashes() {
        assert!(is_fake_hash_text(
            "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        ));
        assert!(is_fake_hash_text(&"0".repeat(52)));
        assert!(!is_fake_hash_text(
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        ));
        let found = run0(
            "x.nix",
            "{ lib }:\n{\n  a = lib.fakeHash;\n  b = fakeSha256;\n  c = \"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\";\n}\n",
        );
        assert_eq!(found, ["3:fake-hash", "4:fake-hash", "5:fake-hash"]);
    }

    #[test]
    fn fake_hash_binding_names_are_not_uses() {
        assert!(run0("x.nix", "let fakeHash = 1; in { }").is_empty());
    }

    #[test]
    fn branch_revisions() {
        let found = run0(
            "x.nix",
            "{\n  rev = \"main\";\n  b.rev = \"HEAD\";\n  c.rev = \"v1\";\n}",
        );
        assert_eq!(found, ["2:branch-rev", "3:branch-rev"]);
    }

    #[test]
    fn inline_pins_only_under_pkgs() {
        let text = "{ fetchFromGitHub }:\nfetchFromGitHub {\n  owner = \"a\";\n  repo = \"b\";\n  rev = \"v${x}\";\n  hash = src.hash;\n}\n";
        assert_eq!(run0("pkgs/a/src.nix", text), ["5:inline-pin"]);
        assert!(run0("modules/a.nix", text).is_empty());
    }

    #[test]
    fn hash_looking_literals_under_pkgs() {
        let text = "{\n  x = \"0123456789abcdef0123456789abcdef01234567\";\n  y = \"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\";\n  z = \"hello\";\n}";
        assert_eq!(run0("pkgs/x.nix", text), ["2:inline-pin", "3:inline-pin"]);
    }

    #[test]
    fn builder_dependency_hash_inline() {
        let text = "{ rustPlatform, lib }:\nrustPlatform.buildRustPackage {\n  pname = \"x\";\n  cargoHash = \"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\";\n  meta = { description = \"x\"; homepage = \"h\"; license = lib.licenses.mit; mainProgram = \"x\"; };\n}\n";
        assert_eq!(run0("pkgs/x/default.nix", text), ["4:inline-pin"]);
    }

    #[test]
    fn package_meta_rules() {
        let text = "{ stdenv, lib }:\nstdenv.mkDerivation (finalAttrs: {\n  pname = \"x\";\n  meta = with lib; {\n    description = \"x\";\n  };\n})\n";
        assert_eq!(run0("pkgs/x/default.nix", text), ["4:package-meta"]);
        let text = "{ buildGoModule, lib }:\nbuildGoModule {\n  pname = \"x\";\n  meta.description = \"x\";\n  meta.homepage = \"h\";\n  meta.license = lib.licenses.mit;\n}\n";
        assert_eq!(run0("pkgs/x/default.nix", text), ["4:main-program"]);
        let opted = format!("# atnix-lint: no-main-program serves only static files\n{text}");
        assert!(run0("pkgs/x/default.nix", &opted).is_empty());
        let no_reason = format!("# atnix-lint: no-main-program\n{text}");
        assert_eq!(run0("pkgs/x/default.nix", &no_reason), ["5:main-program"]);
    }

    #[test]
    fn mk_derivation_installing_bin_needs_main_program() {
        let text = "{ stdenv, lib }:\nstdenv.mkDerivation {\n  pname = \"x\";\n  installPhase = ''\n    install -Dm755 x $out/bin/x\n  '';\n  meta = { description = \"x\"; homepage = \"h\"; license = lib.licenses.mit; };\n}\n";
        assert_eq!(run0("pkgs/x/default.nix", text), ["7:main-program"]);
        let lib_only = text.replace("$out/bin/x", "$out/share/x");
        assert!(run0("pkgs/x/default.nix", &lib_only).is_empty());
    }

    #[test]
    fn meta_that_cannot_be_read_is_not_guessed() {
        let text =
            "{ stdenv }:\nstdenv.mkDerivation {\n  pname = \"x\";\n  meta = src.meta // { };\n}\n";
        assert!(run0("pkgs/x/default.nix", text).is_empty());
    }

    #[test]
    fn package_options() {
        let ctx = RepoContext {
            our_attrs: Some(["constellation".to_owned()].into()),
            nixpkgs_attrs: Some(["nginx".to_owned(), "postgresql".to_owned()].into()),
        };
        let text = "{ lib, pkgs, ... }:\nlet\n  atnixPkgs = import ../../pkgs { inherit pkgs; };\nin\n{\n  a = lib.mkPackageOption atnixPkgs \"constellation\" { };\n  b = lib.mkPackageOption atnixPkgs \"nope\" { };\n  c = lib.mkPackageOption pkgs \"nginx\" { };\n  d = lib.mkPackageOption pkgs \"nginxx\" { };\n  e = lib.mkPackageOption pkgs \"postgresql\" { default = [ \"postgresql_17\" ]; };\n  f = lib.mkPackageOption other \"anything\" { };\n}\n";
        assert_eq!(
            run("modules/x.nix", text, &ctx),
            ["7:package-option", "9:package-option", "10:package-option"]
        );
    }

    #[test]
    fn option_descriptions() {
        let text = "{ lib, ... }:\n{\n  options.a = lib.mkOption { type = lib.types.str; };\n  options.b = lib.mkOption {\n    description = \"b\";\n  };\n  options.c = lib.mkOption { inherit description; };\n}\n";
        assert_eq!(run0("modules/x.nix", text), ["3:option-description"]);
    }
}
