# The atnix package set. Lazy: naming a package here evaluates nothing until it
# is used, so modules can import this set without our overlay.
#
# Found by convention, so adding a package means adding its folder:
#   pkgs/<name>/package.nix    -> <name>, called with callPackage
#   pkgs/<family>/default.nix  -> a family: `{ callPackage, lib }:` returning
#                                 several packages (e.g. one per service of a
#                                 workspace), by their attribute names, which
#                                 it must compute without forcing `lib`
# Our packages see each other through callPackage, so one may take another as
# an argument without the overlay, and get `fetchSource` (lib/fetch-source.nix),
# `mkUpdateScript` (lib/update-script.nix) and `buildWorkspaceService`
# (lib/workspace-service.nix).
#
# Which attributes exist is computed with builtins only: the evaluation
# harness's stub pkgs contains this set, so asking `pkgs.lib` for the names
# would be a cycle.
{ pkgs }:
let
  inherit (pkgs) lib;
  entries = builtins.readDir ./.;
  dirs = builtins.filter (n: entries.${n} == "directory") (builtins.attrNames entries);
  # Helpers every package may ask for; not packages, so not in the set.
  helpers = {
    fetchSource = callPackage ../lib/fetch-source.nix { };
    mkUpdateScript = callPackage ../lib/update-script.nix { };
    buildWorkspaceService = callPackage ../lib/workspace-service.nix { };
  };
  callPackage = lib.callPackageWith (pkgs // self // helpers);
  packagesOf =
    dir:
    let
      files = builtins.readDir (./. + "/${dir}");
    in
    if files ? "default.nix" then
      import (./. + "/${dir}") { inherit callPackage lib; }
    else if files ? "package.nix" then
      { ${dir} = callPackage (./. + "/${dir}/package.nix") { }; }
    else
      { };
  self = builtins.foldl' (acc: dir: acc // packagesOf dir) { } dirs;
in
self
