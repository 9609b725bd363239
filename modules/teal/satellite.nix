# satellite: teal.fm's small stats API over the shared teal database
# (play and user counts, latest plays and sign-ups), which also refreshes the
# play-count materialized views on a cron schedule. Configured by environment
# only (services/satellite/src at the pin in pkgs/teal/source.json; fixture:
# tests/fixtures/help/teal-satellite.txt).
#
# Upstream binds 0.0.0.0:3001, fixed at compile time; the package reads
# ATNIX_LISTEN_ADDR instead (pkgs/teal/services.nix), so listenAddress and
# port work as for every atnix service.
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    pkgs,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "teal-satellite";
    database = import ./lib/database.nix { inherit lib pkgs; };
  in
  {
    path = [
      "teal"
      "satellite"
    ];
    name = "satellite";
    description = "satellite, teal.fm's stats API";
    package = "teal-satellite";
    port = 3401;
    environment = { };
    environmentFiles = true;
    noArguments = true;

    options = {
      refreshCron = mkOption {
        type = types.str;
        default = "0/30 * * * * *";
        example = "0 */5 * * * *";
        description = ''
          When the play-count materialized views are refreshed
          (`REFRESH_MV_CRON`; tokio-cron-scheduler syntax, with seconds).
          The default is upstream's: every 30 seconds.
        '';
      };
    }
    // database.options;

    service = {
      inherit unit;
      description = "satellite, teal.fm's stats API";
      exec = [ (lib.getExe cfg.package) ];
    }
    // database.service cfg opt unit;

    extraConfig = lib.mkMerge [
      {
        systemd.services.${unit}.environment = {
          ATNIX_LISTEN_ADDR = svc.socketAddr cfg.listenAddress cfg.port;
          REFRESH_MV_CRON = cfg.refreshCron;
        };
      }
      (database.config cfg unit)
    ];
  }
)
