# NUR entry point: no import-from-derivation, no currentTime; evaluating it
# reads only this repository and `pkgs`.
#
# NUR lists a repository with `nix-env -qa --meta --drv-path` under
# restrict-eval, where a builtins.fetchGit that nixpkgs makes while
# evaluating (importCargoLock's allowBuiltinFetchGit) is refused and fails
# the whole repository. A package that needs one says so with
# `passthru.fetchesAtEvaluation = true`; it is exported under `unrestricted`,
# which nix-env does not descend into (no recurseForDerivations), and still
# evaluates and builds wherever evaluation may fetch:
# `nur.repos.<owner>.unrestricted.<name>`. `atnix eval` runs NUR's check.
{
  pkgs ? import <nixpkgs> { },
}:
let
  modules = import ./modules;
  packages = import ./pkgs { inherit pkgs; };
  fetchesAtEvaluation = _: p: p.fetchesAtEvaluation or false;
in
pkgs.lib.filterAttrs (name: p: !fetchesAtEvaluation name p) packages
// {
  unrestricted = pkgs.lib.filterAttrs fetchesAtEvaluation packages;
  lib = import ./lib { inherit (pkgs) lib; };
  inherit modules;
  nixosModules = modules;
  overlays.default = import ./overlay.nix;
}
