# cadet: teal.fm's ingester. It follows Jetstream for the fm.teal records
# (plays, profiles, statuses), writes them into the shared teal database and
# works off CAR-import jobs queued in Redis. Configured by environment only
# (services/cadet/src at the pin in pkgs/teal/source.json; fixture:
# tests/fixtures/help/teal-cadet.txt).
#
# Its Jetstream endpoint is rocketman's default, fixed at compile time
# (JetstreamOptions in main.rs sets only the collections), so there is no
# option for it. Its only listener is the Prometheus exporter, which upstream
# binds to 0.0.0.0:9000; the package reads ATNIX_METRICS_ADDR instead
# (pkgs/teal/services.nix), so it stays on loopback, or on a random loopback
# port when metrics are off.
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
    unit = "teal-cadet";
    database = import ./lib/database.nix { inherit lib pkgs; };
  in
  {
    path = [
      "teal"
      "cadet"
    ];
    name = "cadet";
    description = "cadet, teal.fm's Jetstream ingester";
    package = "teal-cadet";
    metricsPort = 3409;
    environment = { };
    environmentFiles = true;
    nginx = false;
    noArguments = true;

    options = {
      redisUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "redis://127.0.0.1:6379";
        description = ''
          Redis holding the CAR-import job queue (`REDIS_URL`) that aqua
          fills. Null: upstream's default, redis://127.0.0.1:6379; without a
          Redis there, cadet still ingests and logs that the worker is idle.
          A URL with a password belongs in `environmentFiles`.
        '';
      };
    }
    // database.options;

    service = {
      inherit unit;
      description = "cadet, teal.fm's Jetstream ingester";
      # The Jetstream cursor (CURSOR_FILE), saved every minute.
      stateDirectory = true;
      exec = [ (lib.getExe cfg.package) ];
    }
    // database.service cfg opt unit;

    extraConfig = lib.mkMerge [
      {
        systemd.services.${unit}.environment = {
          CURSOR_FILE = "/var/lib/${unit}/cursor.txt";
          ATNIX_METRICS_ADDR = svc.alwaysOnMetricsAddr cfg;
        }
        // lib.optionalAttrs (cfg.redisUrl != null) { REDIS_URL = cfg.redisUrl; };
      }
      (database.config cfg unit)
    ];
  }
)
