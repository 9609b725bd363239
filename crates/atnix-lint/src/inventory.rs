//! What the repository ships: packages with their pins, modules with their units.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use rnix::ast::{self, Expr, HasEntry};
use rowan::ast::AstNode;

use crate::nixrules::NixFile;
use crate::source::{SourcePin, parse_source_pin};
use crate::syntax::{
    attrpath_display, attrpath_names, descendants, expr_str, result_expr, unparen,
};
use crate::{Error, io_err};

/// One attribute of the package set.
#[derive(Clone, Debug)]
pub struct Package {
    /// Attribute path in `pkgs/default.nix` (`family.member` for a family's members).
    pub attr: String,
    /// The file that builds it, relative to the repository.
    pub file: Option<String>,
    /// From source.json `version`, else a literal `version = "..."` in the file.
    pub version: Option<String>,
    /// The nearest source.json beside the package or its family.
    pub source_file: Option<String>,
    /// That source.json, or why it is invalid.
    pub source: Option<Result<SourcePin, String>>,
    /// The builder the file calls (`buildRustPackage`, `mkDerivation`, ...).
    pub builder: Option<String>,
    /// The builder reads a lockfile kept beside the package (`cargoLock`), so
    /// it needs no dependency hash.
    pub lockfile: bool,
}

impl Package {
    /// The dependency-hash key this package's builder needs (`cargoHash` for
    /// buildRustPackage, `npmDepsHash` for buildNpmPackage, `vendorHash` for buildGoModule).
    pub fn dependency_hash_key(&self) -> Option<&'static str> {
        if self.lockfile {
            return None;
        }
        match self.builder.as_deref()? {
            "buildRustPackage" => Some("cargoHash"),
            "buildNpmPackage" => Some("npmDepsHash"),
            "buildGoModule" => Some("vendorHash"),
            _ => None,
        }
    }
}

/// One NixOS module of `modules/default.nix`.
#[derive(Clone, Debug)]
pub struct Module {
    pub name: String,
    pub file: Option<String>,
    /// `x.service`, `y.timer`, ... the module defines; dynamic names as written.
    pub units: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub packages: Vec<Package>,
    pub modules: Vec<Module>,
    /// Files that could not be read or parsed, as `file: reason`.
    pub notes: Vec<String>,
}

/// Lexically normalises a relative path (`pkgs/a/../b` → `pkgs/b`).
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(s) => parts.push(s.to_str()?.to_owned()),
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

struct Reader<'a> {
    root: &'a Path,
    notes: Vec<String>,
}

impl Reader<'_> {
    fn load(&mut self, rel: &str) -> Result<Option<NixFile>, Error> {
        let path = self.root.join(rel);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let file = NixFile::parse(rel.to_owned(), text);
                    if file.errors.is_empty() {
                        Ok(Some(file))
                    } else {
                        self.notes.push(format!("{rel}: does not parse"));
                        Ok(None)
                    }
                }
                Err(_) => {
                    self.notes.push(format!("{rel}: not UTF-8"));
                    Ok(None)
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// The file a path literal inside `from` names (a directory means its default.nix).
    fn resolve(&self, from: &str, path_text: &str) -> Option<String> {
        if !path_text.starts_with("./") && !path_text.starts_with("../") {
            return None;
        }
        let dir = Path::new(from).parent().unwrap_or(Path::new(""));
        let rel = normalize(&dir.join(path_text))?;
        if self.root.join(&rel).is_dir() {
            Some(format!("{rel}/default.nix"))
        } else {
            Some(rel)
        }
    }
}

/// Entries `name = <expr>` of the attribute set a file evaluates to.
fn result_entries(file: &NixFile) -> Vec<(String, Option<Expr>)> {
    fn collect(expr: Expr, out: &mut Vec<(String, Option<Expr>)>) {
        match unparen(expr) {
            Expr::AttrSet(set) => {
                for apv in set.attrpath_values() {
                    let Some(path) = apv.attrpath() else { continue };
                    let names = attrpath_display(&path);
                    out.push((names.join("."), apv.value()));
                }
                for inh in set.inherits() {
                    for a in inh.attrs() {
                        if let Some(n) = crate::syntax::attr_name(&a) {
                            out.push((n, None));
                        }
                    }
                }
            }
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
    let mut out = Vec::new();
    if let Some(expr) = file.expr() {
        collect(result_expr(expr), &mut out);
    }
    out
}

/// The first relative path literal in an expression (`pkgs.callPackage ./x { }` → `./x`).
fn first_path(expr: &Expr) -> Option<String> {
    expr.syntax()
        .descendants()
        .find(|n| n.kind() == rnix::SyntaxKind::NODE_PATH_REL)
        .map(|n| n.text().to_string())
}

fn literal_version(file: &NixFile) -> Option<String> {
    descendants::<ast::AttrpathValue>(&file.root).find_map(|apv| {
        let names = attrpath_names(&apv.attrpath()?);
        if names.len() == 1 && names[0].as_deref() == Some("version") {
            expr_str(&apv.value()?)
        } else {
            None
        }
    })
}

fn nearest_source(root: &Path, file: &str) -> Option<String> {
    let mut dir = Path::new(file).parent();
    while let Some(d) = dir {
        if d.as_os_str().is_empty() {
            break;
        }
        let candidate = d.join("source.json");
        if root.join(&candidate).is_file() {
            return candidate.to_str().map(str::to_owned);
        }
        if d == Path::new("pkgs") {
            break;
        }
        dir = d.parent();
    }
    None
}

/// A package built by `file`: its pin, version and builder.
fn describe_package(
    reader: &mut Reader<'_>,
    attr: String,
    file: Option<String>,
) -> Result<Package, Error> {
    let mut package = Package {
        attr,
        file: file.clone(),
        version: None,
        source_file: None,
        source: None,
        builder: None,
        lockfile: false,
    };
    let Some(target) = file else {
        return Ok(package);
    };
    if let Some(src) = nearest_source(reader.root, &target) {
        let path = reader.root.join(&src);
        let bytes = std::fs::read(&path).map_err(io_err(&path))?;
        package.source = Some(parse_source_pin(&bytes));
        package.source_file = Some(src);
    }
    let from_pin = match &package.source {
        Some(Ok(pin)) => pin.version().map(str::to_owned),
        _ => None,
    };
    let parsed = reader.load(&target)?;
    package.version = from_pin.or_else(|| parsed.as_ref().and_then(literal_version));
    let call = parsed
        .as_ref()
        .and_then(|f| crate::nixrules::package_calls(f).into_iter().next());
    package.lockfile = call.as_ref().is_some_and(|c| c.binds("cargoLock"));
    package.builder = call.map(|c| c.builder);
    Ok(package)
}

fn collect_packages(
    reader: &mut Reader<'_>,
    file_rel: &str,
    prefix: &str,
    depth: usize,
    out: &mut Vec<Package>,
) -> Result<(), Error> {
    let Some(file) = reader.load(file_rel)? else {
        return Ok(());
    };
    for (name, value) in result_entries(&file) {
        let attr = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        let target = value
            .as_ref()
            .and_then(first_path)
            .and_then(|p| reader.resolve(file_rel, &p));
        // A family: a file that is itself a set of packages.
        if let Some(target) = &target
            && depth < 2
            && let Some(member_file) = reader.load(target)?
            && !result_entries(&member_file).is_empty()
            && !member_is_package(&member_file)
        {
            collect_packages(reader, target, &attr, depth + 1, out)?;
            continue;
        }
        out.push(describe_package(reader, attr, target)?);
    }
    Ok(())
}

/// Packages found by convention (pkgs/default.nix reads its directory):
/// `pkgs/<name>/package.nix`, or a family `pkgs/<family>/default.nix` whose
/// members are computed (listed as `<family>.*`, built by its package.nix).
fn discovered_packages(reader: &mut Reader<'_>, out: &mut Vec<Package>) -> Result<(), Error> {
    let dir = reader.root.join("pkgs");
    if !dir.is_dir() {
        return Ok(());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(io_err(&dir))? {
        let entry = entry.map_err(io_err(&dir))?;
        if entry.path().is_dir()
            && let Some(name) = entry.file_name().to_str()
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    for name in names {
        let family = format!("pkgs/{name}/default.nix");
        let single = format!("pkgs/{name}/package.nix");
        let before = out.len();
        if reader.root.join(&family).is_file() {
            collect_packages(reader, &family, &name, 1, out)?;
        }
        if out.len() == before && reader.root.join(&single).is_file() {
            let attr = if reader.root.join(&family).is_file() {
                format!("{name}.*")
            } else {
                name.clone()
            };
            out.push(describe_package(reader, attr, Some(single))?);
        }
    }
    Ok(())
}

/// Whether a file evaluates to a package (a builder call) rather than a set of them.
fn member_is_package(file: &NixFile) -> bool {
    let Some(expr) = file.expr() else {
        return false;
    };
    !matches!(
        unparen(result_expr(expr)),
        Expr::AttrSet(_) | Expr::BinOp(_)
    )
}

/// Units a module defines: `systemd.services.<name>` → `<name>.service`.
fn module_units(file: &NixFile) -> Vec<String> {
    let mut units = BTreeSet::new();
    for apv in descendants::<ast::AttrpathValue>(&file.root) {
        let mut full: Vec<String> = Vec::new();
        let mut node = apv.syntax().clone();
        let mut chain = vec![apv.clone()];
        while let Some(parent) = node.parent() {
            if let Some(outer) = ast::AttrpathValue::cast(parent.clone()) {
                chain.push(outer);
            }
            node = parent;
        }
        for a in chain.iter().rev() {
            if let Some(p) = a.attrpath() {
                full.extend(attrpath_display(&p));
            }
        }
        if full.first().map(String::as_str) == Some("options") {
            continue;
        }
        // lib/service.nix's mkService { unit = "<name>"; ... } defines <name>.service.
        if full.last().map(String::as_str) == Some("unit")
            && let Some(name) = apv.value().as_ref().and_then(expr_str)
        {
            units.insert(format!("{name}.service"));
        }
        for w in full.windows(3) {
            if w[0] != "systemd" {
                continue;
            }
            let suffix = match w[1].as_str() {
                "services" => "service",
                "timers" => "timer",
                "sockets" => "socket",
                "paths" => "path",
                _ => continue,
            };
            units.insert(format!("{}.{suffix}", w[2]));
        }
    }
    units.into_iter().collect()
}

/// Packages of `pkgs/default.nix` and modules of `modules/default.nix`.
pub fn inventory(root: &Path) -> Result<Inventory, Error> {
    let mut reader = Reader {
        root,
        notes: Vec::new(),
    };
    let mut packages = Vec::new();
    collect_packages(&mut reader, "pkgs/default.nix", "", 0, &mut packages)?;
    if packages.is_empty() {
        discovered_packages(&mut reader, &mut packages)?;
    }

    let mut modules = Vec::new();
    if let Some(index) = reader.load("modules/default.nix")? {
        for (name, value) in result_entries(&index) {
            let file = value
                .as_ref()
                .and_then(first_path)
                .and_then(|p| reader.resolve("modules/default.nix", &p));
            let units = match &file {
                Some(f) => reader
                    .load(f)?
                    .map(|m| module_units(&m))
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            modules.push(Module { name, file, units });
        }
    }
    if modules.is_empty() {
        for (name, file) in crate::layout::discovered_modules(root)? {
            let units = reader
                .load(&file)?
                .map(|m| module_units(&m))
                .unwrap_or_default();
            modules.push(Module {
                name,
                file: Some(file),
                units,
            });
        }
    }
    Ok(Inventory {
        packages,
        modules,
        notes: reader.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn packages_families_and_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "pkgs/default.nix",
            "{ pkgs }:\n{\n  foo = pkgs.callPackage ./foo { };\n  fam = import ./fam { inherit pkgs; };\n}\n",
        );
        write(
            root,
            "pkgs/foo/default.nix",
            "{ rustPlatform }: rustPlatform.buildRustPackage { pname = \"foo\"; version = \"1.2\"; }",
        );
        write(
            root,
            "pkgs/foo/source.json",
            "{\"fetcher\":\"github\",\"owner\":\"o\",\"repo\":\"r\",\"rev\":\"0123456789abcdef0123456789abcdef01234567\",\"hash\":\"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}",
        );
        write(
            root,
            "pkgs/fam/default.nix",
            "{ pkgs }: { a = pkgs.callPackage ./a.nix { }; }",
        );
        write(
            root,
            "pkgs/fam/a.nix",
            "{ stdenv }: stdenv.mkDerivation { }",
        );
        write(root, "pkgs/fam/source.json", "{}");
        write(root, "modules/default.nix", "{ svc = ./svc.nix; }");
        write(
            root,
            "modules/svc.nix",
            "{ config, lib, ... }: {\n  options.services.svc.enable = lib.mkEnableOption \"svc\";\n  config = lib.mkIf true {\n    systemd.services.svc = { };\n    systemd.services.\"svc-init\".serviceConfig = { };\n    systemd.timers = { svc-gc = { }; };\n  };\n}",
        );
        let inv = inventory(root).unwrap();
        assert_eq!(inv.packages.len(), 2);
        let foo = &inv.packages[0];
        assert_eq!(foo.attr, "foo");
        assert_eq!(foo.file.as_deref(), Some("pkgs/foo/default.nix"));
        assert_eq!(foo.version.as_deref(), Some("1.2"));
        assert!(matches!(foo.source, Some(Ok(_))));
        assert_eq!(foo.builder.as_deref(), Some("buildRustPackage"));
        assert_eq!(foo.dependency_hash_key(), Some("cargoHash"));
        let a = &inv.packages[1];
        assert_eq!(a.attr, "fam.a");
        assert_eq!(a.source_file.as_deref(), Some("pkgs/fam/source.json"));
        assert!(matches!(a.source, Some(Err(_))));
        assert_eq!(inv.modules.len(), 1);
        assert_eq!(
            inv.modules[0].units,
            ["svc-gc.timer", "svc-init.service", "svc.service"]
        );
    }

    #[test]
    fn packages_and_modules_found_by_convention() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "pkgs/default.nix",
            "{ pkgs }: builtins.foldl' (a: d: a) { } (builtins.attrNames (builtins.readDir ./.))",
        );
        write(
            root,
            "pkgs/solo/package.nix",
            "{ rustPlatform }: rustPlatform.buildRustPackage { pname = \"solo\"; version = \"2\"; }",
        );
        write(
            root,
            "pkgs/fam/default.nix",
            "{ callPackage, lib }: builtins.listToAttrs (map (s: { name = s; value = callPackage ./package.nix { }; }) [ \"x\" ])",
        );
        write(
            root,
            "pkgs/fam/package.nix",
            "{ rustPlatform }: rustPlatform.buildRustPackage { pname = \"fam\"; cargoLock.lockFile = ./Cargo.lock; }",
        );
        write(root, "modules/default.nix", "builtins.readDir ./.");
        write(
            root,
            "modules/fam/app.nix",
            "{ lib, ... }: { config = svc.mkService { unit = \"fam-app\"; }; }",
        );
        let inv = inventory(root).unwrap();
        let attrs: Vec<&str> = inv.packages.iter().map(|p| p.attr.as_str()).collect();
        assert_eq!(attrs, ["fam.*", "solo"]);
        assert!(inv.packages[0].lockfile);
        assert_eq!(inv.packages[0].dependency_hash_key(), None);
        assert_eq!(inv.packages[1].dependency_hash_key(), Some("cargoHash"));
        assert_eq!(inv.modules.len(), 1);
        assert_eq!(inv.modules[0].name, "fam-app");
        assert_eq!(inv.modules[0].units, ["fam-app.service"]);
    }
}
