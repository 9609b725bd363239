# Helpers shared by atnix packages and modules. Needs only nixpkgs' lib, so it
# can be imported from a module without our overlay.
{ lib }:
{
  mkHardening = import ./hardening.nix { inherit lib; };

  # Reads a package's pin. Every fetched source is described by a source.json.
  importSource = path: lib.importJSON path;
}
