# Stub of nixpkgs' services.bluesky-pds
# (nixos/modules/services/web-apps/bluesky-pds.nix, read at NixOS/nixpkgs
# 13dccba1afcf884c5bd2aec01eeec486dea15885; the search index does not hold it
# at the flake.lock commit 2c423e03). Options only: our services.bluesky.pds
# asserts against enabling both, which needs them declared. Facts:
# ../nixos-facts/bluesky-pds.json.
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.services.bluesky-pds = {
    enable = lib.mkEnableOption "pds";
    package = lib.mkPackageOption pkgs "bluesky-pds" { };
    settings = mkOption {
      type = types.submodule {
        freeformType = types.attrsOf (
          types.oneOf [
            (types.nullOr types.str)
            types.port
          ]
        );
        options = {
          PDS_PORT = mkOption {
            type = types.port;
            default = 3000;
            description = "Port to listen on";
          };
          PDS_HOSTNAME = mkOption {
            type = types.str;
            example = "pds.example.com";
            description = "Instance hostname (base domain name)";
          };
          PDS_DATA_DIRECTORY = mkOption {
            type = types.str;
            default = "/var/lib/pds";
            description = "Directory to store state";
          };
        };
      };
      description = "Environment variables to set for the service.";
    };
    environmentFiles = mkOption {
      type = types.listOf types.path;
      default = [ ];
      description = "File to load environment variables from.";
    };
    pdsadmin.enable = mkOption {
      type = types.bool;
      default = config.services.bluesky-pds.enable;
      defaultText = lib.literalExpression "config.services.bluesky-pds.enable";
      description = "Add pdsadmin script to PATH";
    };
  };
}
