# The atnix package set. Lazy: naming a package here evaluates nothing until it
# is used, so modules can import this set without our overlay.
{ pkgs }:
{
  atnix = pkgs.callPackage ./atnix/package.nix { };
  atproto-exporter = pkgs.callPackage ./atnix/exporter.nix { };
  allegedly = pkgs.callPackage ./allegedly/package.nix { };
  microcosm-constellation = pkgs.callPackage ./microcosm/package.nix { service = "constellation"; };
  microcosm-pocket = pkgs.callPackage ./microcosm/package.nix { service = "pocket"; };
  microcosm-slingshot = pkgs.callPackage ./microcosm/package.nix { service = "slingshot"; };
  microcosm-spacedust = pkgs.callPackage ./microcosm/package.nix { service = "spacedust"; };
  microcosm-ufos = pkgs.callPackage ./microcosm/package.nix { service = "ufos"; };
}
