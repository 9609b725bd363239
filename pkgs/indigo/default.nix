# The indigo family: one package per command of bluesky-social/indigo that
# atnix runs as a service (./commands.nix), all from the one pin in
# ./source.json. Names come from builtins only (pkgs/default.nix says why).
#
# nixpkgs has an `indigo` package, but it follows the `tap-v*` release tags
# (its mainProgram is `tap`): at tap-v0.1.10 the relay, rainbow and hepa
# sources differ from this pin in 18 files, so their flags would not match
# the modules' --help fixtures. Each command is built here on its own
# (`subPackages`), with the one vendorHash of the indigo module.
{ callPackage, lib }:
builtins.listToAttrs (
  map (command: {
    name = "indigo-${command}";
    value = callPackage ./package.nix { inherit command; };
  }) (builtins.attrNames (import ./commands.nix))
)
