# spacedust: every link (at-uri, DID, URL) in the firehose, over a websocket.
# Flags from spacedust/src/main.rs at the pin in pkgs/microcosm/source.json
# (fixture: tests/fixtures/help/spacedust.txt). Every flag also has a
# SPACEDUST_* environment variable; the module passes flags and leaves
# `environment` for RUST_LOG (env_logger) and the like.
# spacedust keeps no state: a 21 s in-memory delay queue only.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  cfg = config.services.microcosm.spacedust;
  opt = "services.microcosm.spacedust";
  inherit (lib)
    mkIf
    mkOption
    mkEnableOption
    types
    optionals
    ;
  svc = import ../../lib/service.nix { inherit lib; };
in
{
  imports = [ svc.portsModule ];

  options.services.microcosm.spacedust = {
    enable = mkEnableOption "spacedust, the microcosm link firehose";
    package = svc.packageOption pkgs "microcosm-spacedust";
  }
  # Upstream's default port, 8080 (slingshot's 8080 moves to 8081).
  // svc.mkListenOptions {
    name = "spacedust";
    port = 8080;
  }
  // {
    jetstream = svc.mkJetstreamOption { name = "spacedust"; };
    jetstreamNoZstd = mkOption {
      type = types.bool;
      default = false;
      description = "Ask jetstream for uncompressed events (`--jetstream-no-zstd`): less CPU, more bandwidth.";
    };
    environment = svc.mkEnvironmentOption {
      name = "spacedust";
      defaults.RUST_LOG = "info";
    };
    metrics = svc.mkMetricsOptions {
      name = "spacedust";
      port = 8766;
    };
    nginx = svc.mkNginxOption { name = "spacedust"; };
    extraArgs = svc.extraArgsOption;
  };

  config = mkIf cfg.enable (
    svc.mkService {
      inherit
        config
        cfg
        opt
        utils
        ;
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
    }
  );
}
