# profiles/production, role `objectstore`: NixOS' Garage (services.garage),
# S3 on the private address, one node (replication_factor 1). Garage rather
# than MinIO: it is built for small self-hosted clusters (add nodes and raise
# replication_factor to 3 for redundancy), reads its secrets from the
# environment file NixOS passes (GARAGE_RPC_SECRET), and its nixpkgs module
# takes the package explicitly, so an upgrade across major versions is a
# deliberate change. The layout, the access key and the bucket are created
# once by hand (docs/production.md, "Object store").
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkDefault;
  cfg = config.atnix.production;
  topo = import ./topology.nix { inherit lib cfg; };
  mkHardening = import ../../lib/hardening.nix { inherit lib; };
  address = topo.this.address;
in
{
  imports = [ ./common.nix ];

  config = lib.mkIf (topo.has "objectstore") {
    assertions = [
      {
        assertion = cfg.objectStore.server.environmentFile != null;
        message = "the objectstore host runs Garage, whose nodes share an RPC secret: set atnix.production.objectStore.server.environmentFile to a file with GARAGE_RPC_SECRET=<64 hex digits>.";
      }
    ];

    services.garage = {
      enable = mkDefault true;
      package = mkDefault pkgs.garage_2;
      environmentFile = cfg.objectStore.server.environmentFile;
      settings = {
        replication_factor = mkDefault 1;
        db_engine = mkDefault "lmdb";
        rpc_bind_addr = "${address}:${toString topo.garageRpcPort}";
        rpc_public_addr = mkDefault "${address}:${toString topo.garageRpcPort}";
        s3_api = {
          api_bind_addr = "${address}:${toString topo.garageS3Port}";
          s3_region = cfg.objectStore.region;
        };
        # The admin API (layout, keys, metrics) stays on loopback.
        admin.api_bind_addr = "127.0.0.1:3903";
      };
    };

    # NixOS' garage unit sets only DynamicUser, ProtectHome and
    # NoNewPrivileges: the shared preset fills in the rest (its own values win
    # where it sets one).
    systemd.services.garage.serviceConfig = lib.mapAttrs (_: mkDefault) (mkHardening { });

    networking.firewall.interfaces = topo.openPrivate [
      topo.garageS3Port
      topo.garageRpcPort
    ];
  };
}
