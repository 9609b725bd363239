# Every NixOS VM test, by name -> path. The flake turns each into
# `checks.<system>.nixos-<name>` with `pkgs.testers.runNixOSTest`, importing
# all of our modules on every node. Add one line per test file here.
{
  allegedly = ./allegedly.nix;
  atproto-exporter = ./atproto-exporter.nix;
  microcosm-constellation = ./microcosm-constellation.nix;
  microcosm-pocket = ./microcosm-pocket.nix;
  microcosm-slingshot = ./microcosm-slingshot.nix;
  microcosm-spacedust = ./microcosm-spacedust.nix;
  microcosm-ufos = ./microcosm-ufos.nix;
}
