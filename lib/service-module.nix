# A service module from its description, so a module file is only what is
# particular to its program:
#
#   import ../lib/service-module.nix (
#     { cfg, opt, lib, pkgs, svc, config }:
#     {
#       path = [ "<app>" ];
#       ...   # the rest of svc.mkServiceModule's arguments (lib/service.nix)
#     }
#   )
#
# The function gets the service's own config (`cfg`), its option path as a
# string (`opt`), nixpkgs' `lib` and `pkgs`, the helper (`svc`) and the whole
# `config`.
spec:
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  svc = import ./service.nix { inherit lib; };
  fullPath = [ "services" ] ++ described.path;
  described = spec {
    inherit
      config
      lib
      pkgs
      svc
      ;
    cfg = lib.getAttrFromPath fullPath config;
    opt = lib.concatStringsSep "." fullPath;
  };
in
svc.mkServiceModule { inherit config pkgs utils; } described
