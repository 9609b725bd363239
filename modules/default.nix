# Every NixOS module we ship, by the name it has in `nixosModules`. Paths, not
# functions, as NUR requires.
{
  allegedly = ./microcosm/allegedly.nix;
  atproto-exporter = ./atproto-exporter.nix;
  microcosm-constellation = ./microcosm/constellation.nix;
  microcosm-pocket = ./microcosm/pocket.nix;
  microcosm-slingshot = ./microcosm/slingshot.nix;
  microcosm-spacedust = ./microcosm/spacedust.nix;
  microcosm-ufos = ./microcosm/ufos.nix;
}
