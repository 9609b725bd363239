# The one update script every package's passthru.updateScript runs:
#
#   passthru.updateScript = mkUpdateScript { package = "<name>"; };  # pkgs/<name>/
#
# It is `atnix update <name> --write`, run from the repository root (as
# nixpkgs' updater runs scripts from its root). The policy (newest release tag
# or newest commit of a branch) is the `update` field of pkgs/<name>/source.json;
# atnix re-pins the source, recomputes its dependency hash, refreshes a kept
# Cargo.lock and refuses an update whose --help fixtures drop a flag a module
# passes (see docs/upgrades.md). git comes with the atnix package.
{
  lib,
  writeShellApplication,
  atnix,
}:
{ package }:
let
  script = writeShellApplication {
    name = "atnix-update-package";
    runtimeInputs = [ atnix ];
    text = ''
      if [ ! -f "pkgs/$1/source.json" ]; then
        echo "atnix-update-package: pkgs/$1/source.json not found; run from the repository root" >&2
        exit 1
      fi
      exec atnix update "$1" --write
    '';
  };
in
[
  (lib.getExe script)
  package
]
