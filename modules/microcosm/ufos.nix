# ufos: AT Protocol collection timeseries and statistics.
# Flags from ufos/src/main.rs at the pin in pkgs/microcosm/source.json
# (fixture: tests/fixtures/help/microcosm-ufos.txt). Every flag also has a UFOS_*
# environment variable; the module passes flags and leaves `environment` for
# RUST_LOG (env_logger).
#
# Not exposed: `--jetstream-no-zstd` (accepted, but main.rs calls
# consumer::consume(.., false, ..) so it has no effect at this rev), and the
# DEBUG flags `--pause-writer`, `--pause-rw`, `--jetstream-fixture`, plus the
# one-off `--reroll`; pass them with `extraArgs` if you need them.
import ../../lib/service-module.nix (
  {
    cfg,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types optionals;
    stateDir = "/var/lib/microcosm-ufos";
  in
  {
    path = [
      "microcosm"
      "ufos"
    ];
    name = "ufos";
    description = "ufos, the microcosm collection statistics service";
    package = "microcosm-ufos";
    # Upstream's default port, 9990; upstream's metrics port 8765 is
    # constellation's here.
    port = 9990;
    metricsPort = 8768;
    environment.RUST_LOG = "info";

    options = {
      jetstream = svc.mkJetstreamOption { name = "ufos"; } // {
        description = ''
          Jetstream ufos consumes (`--jetstream`): a `wss://` URL or one of the
          shorthands `us-east-1`, `us-east-2`, `us-west-1`, `us-west-2`.
          The database remembers the endpoint: changing it later needs
          `jetstreamForce`.
        '';
      };
      jetstreamForce = mkOption {
        type = types.bool;
        default = false;
        description = "Allow a different jetstream endpoint than the one the database was created with (`--jetstream-force`).";
      };
      backfill = mkOption {
        type = types.bool;
        default = false;
        description = "Tune background task intervals for an efficient backfill (`--backfill`).";
      };
      dataDir = mkOption {
        type = types.str;
        default = "${stateDir}/data";
        readOnly = true;
        description = "fjall keyspace (`--data`), inside the unit's StateDirectory.";
      };
    };

    service = {
      unit = "microcosm-ufos";
      description = "ufos, microcosm's collection statistics";
      stateDirectory = true;
      exec = [
        (lib.getExe cfg.package)
        "--bind"
        (svc.socketAddr cfg.listenAddress cfg.port)
        "--jetstream"
        cfg.jetstream
        "--data"
        cfg.dataDir
      ]
      ++ optionals cfg.jetstreamForce [ "--jetstream-force" ]
      ++ optionals cfg.backfill [ "--backfill" ]
      ++ optionals cfg.metrics.enable [
        "--collect-metrics"
        "--bind-metrics"
        (svc.socketAddr cfg.metrics.listenAddress cfg.metrics.port)
      ]
      ++ cfg.extraArgs;
      serviceConfig.WorkingDirectory = stateDir;
    };
  }
)
