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
import ./lib/module.nix (
  {
    cfg,
    lib,
    svc,
    redisUrlOption,
    ...
  }:
  {
    app = "cadet";
    name = "cadet";
    description = "cadet, teal.fm's Jetstream ingester";
    metricsPort = 3409;
    nginx = false;
    # The Jetstream cursor (CURSOR_FILE), saved every minute.
    stateDirectory = true;

    options.redisUrl = redisUrlOption "aqua fills (without one, cadet still ingests and logs that the worker is idle)";

    variables = {
      CURSOR_FILE = "/var/lib/teal-cadet/cursor.txt";
      ATNIX_METRICS_ADDR = svc.alwaysOnMetricsAddr cfg;
    }
    // lib.optionalAttrs (cfg.redisUrl != null) { REDIS_URL = cfg.redisUrl; };
  }
)
