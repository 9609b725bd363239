//! Small helpers over the rnix AST: names of calls, literal strings, attribute paths.

use rnix::ast::{self, Expr, HasEntry, InterpolPart};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

/// Byte offsets of line starts, to turn a text offset into a 1-based line.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let col = offset - self.starts[line - 1] + 1;
        (line, col)
    }

    pub(crate) fn line(&self, offset: usize) -> usize {
        self.line_col(offset).0
    }

    pub(crate) fn line_of(&self, node: &SyntaxNode) -> usize {
        self.line(usize::from(node.text_range().start()))
    }
}

/// Strips parentheses.
pub(crate) fn unparen(mut expr: Expr) -> Expr {
    while let Expr::Paren(p) = &expr {
        match p.expr() {
            Some(inner) => expr = inner,
            None => break,
        }
    }
    expr
}

/// The text of a string literal without interpolation, unescaped.
pub(crate) fn str_literal(s: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for part in s.normalized_parts() {
        match part {
            InterpolPart::Literal(text) => out.push_str(&text),
            InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// A string literal expression's text, looking through parentheses.
pub(crate) fn expr_str(expr: &Expr) -> Option<String> {
    match unparen(expr.clone()) {
        Expr::Str(s) => str_literal(&s),
        _ => None,
    }
}

/// The static name of one attribute in an attribute path.
pub(crate) fn attr_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(i) => Some(i.ident_token()?.text().to_owned()),
        ast::Attr::Str(s) => str_literal(s),
        ast::Attr::Dynamic(d) => expr_str(&d.expr()?),
    }
}

/// The attribute path's names; `None` for a part computed at evaluation time.
pub(crate) fn attrpath_names(path: &ast::Attrpath) -> Vec<Option<String>> {
    path.attrs().map(|a| attr_name(&a)).collect()
}

/// The attribute path as written, dynamic parts shown as source text.
pub(crate) fn attrpath_display(path: &ast::Attrpath) -> Vec<String> {
    path.attrs()
        .map(|a| attr_name(&a).unwrap_or_else(|| a.syntax().text().to_string()))
        .collect()
}

/// The name a called function is known by: `f` for `f`, `a.b.f` and `(f)`.
pub(crate) fn callee_name(expr: &Expr) -> Option<String> {
    match unparen(expr.clone()) {
        Expr::Ident(i) => Some(i.ident_token()?.text().to_owned()),
        Expr::Select(s) if s.default_expr().is_none() => {
            let last = s.attrpath()?.attrs().last()?;
            attr_name(&last)
        }
        _ => None,
    }
}

/// A curried call `f a b c` as `(f, [a, b, c])`.
pub(crate) fn uncurry(apply: &ast::Apply) -> (Option<Expr>, Vec<Expr>) {
    let mut args = Vec::new();
    let mut current = apply.clone();
    loop {
        if let Some(arg) = current.argument() {
            args.push(arg);
        }
        match current.lambda().map(unparen) {
            Some(Expr::Apply(inner)) => current = inner,
            head => {
                args.reverse();
                return (head, args);
            }
        }
    }
}

/// Whether this Apply is the outermost of a curried call (not itself the function of another).
pub(crate) fn is_outermost_apply(apply: &ast::Apply) -> bool {
    let mut node = apply.syntax().clone();
    // Climb through parentheses around the function part.
    while let Some(parent) = node.parent() {
        match parent.kind() {
            SyntaxKind::NODE_PAREN => node = parent,
            SyntaxKind::NODE_APPLY => {
                let outer = ast::Apply::cast(parent).expect("kind checked");
                return outer.lambda().map(|l| l.syntax().clone()) != Some(node);
            }
            _ => return true,
        }
    }
    true
}

/// The attribute set a call receives, looking through `rec`, parentheses and
/// `finalAttrs: { ... }`.
pub(crate) fn call_attrset(arg: &Expr) -> Option<ast::AttrSet> {
    match unparen(arg.clone()) {
        Expr::AttrSet(set) => Some(set),
        Expr::Lambda(l) => call_attrset(&l.body()?),
        _ => None,
    }
}

/// A direct binding of `name` in an attribute set: `name = value;` (single-key path).
pub(crate) fn binding(set: &impl HasEntry, name: &str) -> Option<ast::AttrpathValue> {
    set.attrpath_values().find(|apv| {
        apv.attrpath()
            .map(|p| {
                let names = attrpath_names(&p);
                names.len() == 1 && names[0].as_deref() == Some(name)
            })
            .unwrap_or(false)
    })
}

/// Whether an attribute set defines `name` at its top level, by any means
/// (`name = ...`, `name.x = ...`, `inherit name`, `inherit (x) name`).
pub(crate) fn defines(set: &impl HasEntry, name: &str) -> bool {
    set.attrpath_values().any(|apv| {
        apv.attrpath()
            .and_then(|p| p.attrs().next())
            .and_then(|a| attr_name(&a))
            .as_deref()
            == Some(name)
    }) || set
        .inherits()
        .any(|inh| inh.attrs().any(|a| attr_name(&a).as_deref() == Some(name)))
}

/// Top-level names an attribute set defines.
pub(crate) fn defined_names(set: &impl HasEntry) -> Vec<String> {
    let mut names: Vec<String> = set
        .attrpath_values()
        .filter_map(|apv| apv.attrpath()?.attrs().next().and_then(|a| attr_name(&a)))
        .collect();
    for inh in set.inherits() {
        names.extend(inh.attrs().filter_map(|a| attr_name(&a)));
    }
    names
}

/// The expression a file evaluates to, past its function header, `let`, `with` and `assert`.
pub(crate) fn result_expr(expr: Expr) -> Expr {
    match unparen(expr) {
        Expr::Lambda(l) => match l.body() {
            Some(body) => result_expr(body),
            None => Expr::Lambda(l),
        },
        Expr::LetIn(l) => match l.body() {
            Some(body) => result_expr(body),
            None => Expr::LetIn(l),
        },
        Expr::With(w) => match w.body() {
            Some(body) => result_expr(body),
            None => Expr::With(w),
        },
        Expr::Assert(a) => match a.body() {
            Some(body) => result_expr(body),
            None => Expr::Assert(a),
        },
        other => other,
    }
}

/// Every node of a kind under `root`, in source order.
pub(crate) fn descendants<N: AstNode<Language = rnix::NixLanguage>>(
    root: &SyntaxNode,
) -> impl Iterator<Item = N> + use<N> {
    root.descendants().filter_map(N::cast)
}
