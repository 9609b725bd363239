# satellite: teal.fm's small stats API over the shared teal database
# (play and user counts, latest plays and sign-ups), which also refreshes the
# play-count materialized views on a cron schedule. Configured by environment
# only (services/satellite/src at the pin in pkgs/teal/source.json; fixture:
# tests/fixtures/help/teal-satellite.txt).
#
# Upstream binds 0.0.0.0:3001, fixed at compile time; the package reads
# ATNIX_LISTEN_ADDR instead (pkgs/teal/services.nix), so listenAddress and
# port work as for every atnix service.
import ./lib/module.nix (
  {
    cfg,
    lib,
    svc,
    ...
  }:
  {
    app = "satellite";
    name = "satellite";
    description = "satellite, teal.fm's stats API";
    port = 3401;

    options.refreshCron = lib.mkOption {
      type = lib.types.str;
      default = "0/30 * * * * *";
      example = "0 */5 * * * *";
      description = ''
        When the play-count materialized views are refreshed
        (`REFRESH_MV_CRON`; tokio-cron-scheduler syntax, with seconds).
        The default is upstream's: every 30 seconds.
      '';
    };

    variables = {
      ATNIX_LISTEN_ADDR = svc.socketAddr cfg.listenAddress cfg.port;
      REFRESH_MV_CRON = cfg.refreshCron;
    };
  }
)
