# Every NixOS VM test, by name -> path, found by convention: a test of the
# module `<name>` (its nixosModules name) is tests/nixos/<name>.nix. Files
# that start with `_` or are not named after a module are helpers (e.g. fakes
# shared by several tests). The flake turns each test into
# `checks.<system>.nixos-<name>` with `pkgs.testers.runNixOSTest`, importing
# all of our modules on every node.
let
  modules = import ../../modules;
  files = builtins.readDir ./.;
in
builtins.listToAttrs (
  builtins.concatMap (
    name:
    if files ? "${name}.nix" then
      [
        {
          inherit name;
          value = ./. + "/${name}.nix";
        }
      ]
    else
      [ ]
  ) (builtins.attrNames modules)
)
