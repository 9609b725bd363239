# Role `objectstore`: Garage's S3 API and RPC on the private address, the
# shared hardening preset under NixOS' unit.
{ pkgs, lib, ... }:
let
  # The hive's shared module is plain config: a case's config cannot import.
  hive = import ../../../templates/production/production.nix { inherit lib; };
  s3 =
    extra:
    lib.mkMerge [
      hive
      extra
      { networking.hostName = "s3"; }
    ];
in
{
  module = "production-objectstore";
  cases = {
    minimal.config = s3 { };
    full.config = s3 {
      atnix.production.objectStore.region = "eu-home-1";
      services.garage.settings = {
        data_dir = [
          {
            path = "/srv/garage/data";
            capacity = "2T";
          }
        ];
        compression_level = 3;
      };
    };
    bad-no-rpc-secret = {
      config = s3 { atnix.production.objectStore.server.environmentFile = lib.mkForce null; };
      expectAssertion = "set atnix.production.objectStore.server.environmentFile to a file with GARAGE_RPC_SECRET";
    };
    # TOML has no null: Garage's configuration file could not be written.
    bad-null-setting = {
      config = s3 { services.garage.settings.compression_level = null; };
      expectAssertion = "is not of type `TOML value'";
    };
  };
}
