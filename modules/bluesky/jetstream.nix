# jetstream: the AT Protocol firehose as JSON over websockets (`/subscribe`),
# bluesky-social/jetstream's rewrite. Flags and environment variables from
# cmd/jetstream/main.go at the pin in pkgs/jetstream/source.json (fixtures:
# tests/fixtures/help/bluesky-jetstream*.txt).
#
# Unlike the old jetstream, it backfills before it tails: on first start it
# walks the relay's listRepos and downloads every repository (upstream's
# production behaviour). Against bsky.network that is the whole network:
# size the state directory for it, or limit it with `maxBackfillRepos` /
# `backfillRepos` (upstream marks both debug-only).
#
# The zstd dictionaries are compiled into the binary (pkgs/jetstream): the v1
# one for `?compress=true` clients and the current one it serves at
# /xrpc/network.bsky.jetstream.getZstdDictionary. Nothing to configure.
#
# Every other flag has a JETSTREAM_* variable: set it in `environment`.
# jetstream refuses to start on a JETSTREAM_* variable it does not know, so a
# typo fails loudly.
import ../../lib/service-module.nix (
  {
    cfg,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types optionals;
    unit = "bluesky-jetstream";
    stateDir = "/var/lib/${unit}";
  in
  {
    path = [
      "bluesky"
      "jetstream"
    ];
    name = "jetstream";
    description = "jetstream, the AT Protocol firehose as JSON";
    package = "jetstream";
    # Upstream's :8080 is spacedust's here; 6008 was the old jetstream's port.
    port = 6008;
    # The debug listener (metrics, pprof, health), off unless enabled.
    metricsPort = 6009;
    environment = { };
    # For JETSTREAM_TIMESTAMP_IMPORT_TOKEN, a bearer secret.
    environmentFiles = true;

    options = {
      relayUrl = mkOption {
        type = types.str;
        default = "https://bsky.network";
        example = "http://127.0.0.1:2470";
        description = "Base URL of the relay jetstream follows (`--relay-url`, upstream default).";
      };
      plcUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "http://127.0.0.1:2582";
        description = "PLC directory (`--plc-url`); null keeps upstream's https://plc.directory.";
      };
      logLevel = mkOption {
        type = types.enum [
          "debug"
          "info"
          "warn"
          "error"
        ];
        default = "info";
        description = "Log verbosity (`--log-level`, upstream default).";
      };
      logFormat = mkOption {
        type = types.enum [
          "json"
          "text"
        ];
        default = "json";
        description = "Log format (`--log-format`, upstream default).";
      };
      maxBackfillRepos = mkOption {
        type = types.ints.unsigned;
        default = 0;
        description = "Backfill at most this many repositories, 0 for all (`--max-backfill-repos`; upstream: debug only, 0 is production).";
      };
      backfillRepos = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "did:plc:4uz2445cjiw7w4nobfgnu35f" ];
        description = "Backfill only these DIDs instead of walking listRepos (`--backfill-repos`; upstream: debug only).";
      };
      cursorLookback = mkOption {
        type = types.str;
        default = "36h0m0s";
        description = "How far back a subscriber's cursor may reach (`--cursor-lookback`, Go duration, upstream default).";
      };
    };

    service = {
      inherit unit;
      description = "jetstream, the AT Protocol firehose as JSON";
      stateDirectory = true;
      websockets = true;
      exec = [
        (lib.getExe cfg.package)
        "--log-level"
        cfg.logLevel
        "--log-format"
        cfg.logFormat
        "serve"
        "--addr"
        (svc.socketAddr cfg.listenAddress cfg.port)
        "--debug-addr"
        (if cfg.metrics.enable then svc.socketAddr cfg.metrics.listenAddress cfg.metrics.port else "")
        "--relay-url"
        cfg.relayUrl
        "--data-dir"
        stateDir
        "--max-backfill-repos"
        (toString cfg.maxBackfillRepos)
        "--cursor-lookback"
        cfg.cursorLookback
      ]
      ++ optionals (cfg.plcUrl != null) [
        "--plc-url"
        cfg.plcUrl
      ]
      ++ optionals (cfg.backfillRepos != [ ]) [
        "--backfill-repos"
        (lib.concatStringsSep "," cfg.backfillRepos)
      ]
      ++ cfg.extraArgs;
    };
  }
)
