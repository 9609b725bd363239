# NUR entry point. Pure: no import-from-derivation, no builtins.fetch*, no
# currentTime; evaluating it reads only this repository and `pkgs`.
{
  pkgs ? import <nixpkgs> { },
}:
let
  modules = import ./modules;
in
import ./pkgs { inherit pkgs; }
// {
  lib = import ./lib { inherit (pkgs) lib; };
  inherit modules;
  nixosModules = modules;
  overlays.default = import ./overlay.nix;
}
