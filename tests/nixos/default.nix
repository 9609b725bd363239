# Every NixOS VM test, by name -> path, found by convention: a test of the
# module or profile `<name>` (its nixosModules or profiles name) is
# tests/nixos/<name>.nix. Files
# that start with `_` or are not named after a module are helpers (e.g. fakes
# shared by several tests). The flake turns each test into
# `checks.<system>.nixos-<name>` with `pkgs.testers.runNixOSTest`, importing
# all of our modules on every node.
let
  # Profiles (profiles/default.nix) are found the same way.
  modules = import ../../modules // import ../../profiles;
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
