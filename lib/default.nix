# Helpers shared by atnix packages and modules. Needs only nixpkgs' lib, so it
# can be imported from a module without our overlay.
{ lib }:
{
  mkHardening = import ./hardening.nix { inherit lib; };

  # The service helper every module builds on (option builders, mkService,
  # mkServiceModule); see the header of ./service.nix.
  service = import ./service.nix { inherit lib; };

  # Reads a package's pin. Every fetched source is described by a source.json;
  # packages fetch it with `fetchSource` (./fetch-source.nix).
  importSource = path: lib.importJSON path;
}
