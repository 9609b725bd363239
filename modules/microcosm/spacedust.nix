# spacedust: every link (at-uri, DID, URL) in the firehose, over a websocket.
# Flags from spacedust/src/main.rs at the pin in pkgs/microcosm/source.json
# (fixture: tests/fixtures/help/microcosm-spacedust.txt). Every flag also has a
# SPACEDUST_* environment variable; the module passes flags and leaves
# `environment` for RUST_LOG (env_logger) and the like.
# spacedust keeps no state: a 21 s in-memory delay queue only.
import ../../lib/service-module.nix (
  {
    cfg,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types optionals;
  in
  {
    path = [
      "microcosm"
      "spacedust"
    ];
    name = "spacedust";
    description = "spacedust, the microcosm link firehose";
    package = "microcosm-spacedust";
    # Upstream's default port, 8080 (slingshot's 8080 moves to 8081); upstream's
    # metrics port 8765 is constellation's here.
    port = 8080;
    metricsPort = 8766;
    environment.RUST_LOG = "info";

    options = {
      jetstream = svc.mkJetstreamOption { name = "spacedust"; };
      jetstreamNoZstd = mkOption {
        type = types.bool;
        default = false;
        description = "Ask jetstream for uncompressed events (`--jetstream-no-zstd`): less CPU, more bandwidth.";
      };
    };

    service = {
      unit = "microcosm-spacedust";
      description = "spacedust, microcosm's link firehose";
      # /subscribe is a websocket.
      websockets = true;
      exec = [
        (lib.getExe cfg.package)
        "--bind"
        (svc.socketAddr cfg.listenAddress cfg.port)
        "--jetstream"
        cfg.jetstream
      ]
      ++ optionals cfg.jetstreamNoZstd [ "--jetstream-no-zstd" ]
      ++ optionals cfg.metrics.enable [
        "--collect-metrics"
        "--bind-metrics"
        (svc.socketAddr cfg.metrics.listenAddress cfg.metrics.port)
      ]
      ++ cfg.extraArgs;
    };
  }
)
