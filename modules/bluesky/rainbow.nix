# rainbow: indigo's firehose fan-out (the "splitter"). It subscribes once to
# an upstream relay and serves the firehose to many subscribers, proxying
# the relay's sync and admin endpoints. Flags and environment variables from
# cmd/rainbow/main.go at the pin in pkgs/indigo/source.json (fixture:
# tests/fixtures/help/bluesky-rainbow.txt).
#
# State: the event buffer (`--persist-db`, a pebble directory) and the
# upstream cursor (`--cursor-file`), both under the state directory.
import ../../lib/service-module.nix (
  {
    cfg,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "bluesky-rainbow";
    stateDir = "/var/lib/${unit}";
  in
  {
    path = [
      "bluesky"
      "rainbow"
    ];
    name = "rainbow";
    description = "rainbow, the indigo firehose fan-out";
    package = "indigo-rainbow";
    # Upstream's defaults: API on 2480, metrics on 2481.
    port = 2480;
    metricsPort = 2481;
    environment = { };

    options = {
      upstreamHost = mkOption {
        type = types.str;
        default = "http://localhost:2470";
        example = "https://bsky.network";
        description = ''
          The relay rainbow subscribes to (`--upstream-host`: scheme and host,
          no path). Upstream's default, which is where
          `services.bluesky.relay` listens by default.
        '';
      };
      logLevel = mkOption {
        type = types.enum [
          "error"
          "warn"
          "info"
          "debug"
        ];
        default = "info";
        description = "Log verbosity (`--log-level`).";
      };
      persistHours = mkOption {
        type = types.either types.ints.unsigned types.float;
        default = 72;
        description = "Hours of events kept for replay (`--persist-hours`, may be fractional; upstream default 72).";
      };
      persistBytes = mkOption {
        type = types.ints.unsigned;
        default = 0;
        description = "Byte target of the event buffer, 0 for none (`--persist-bytes`, upstream default).";
      };
      nextCrawlers = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "https://relay2.example.com" ];
        description = "Hosts requestCrawl is also forwarded to (`--next-crawler`; scheme and host, no path).";
      };
      collectiondirHost = mkOption {
        type = types.str;
        default = "http://localhost:2510";
        description = "collectiondir instance behind `com.atproto.sync.listReposByCollection` (`--collectiondir-host`, upstream default).";
      };
      environmentName = mkOption {
        type = types.str;
        default = "dev";
        example = "prod";
        description = "Operating environment named in metrics and traces (`--env`, upstream default `dev`).";
      };
    };

    service = {
      inherit unit;
      description = "rainbow, the indigo firehose fan-out";
      stateDirectory = true;
      websockets = true;
      exec = [
        (lib.getExe cfg.package)
        "--log-level"
        cfg.logLevel
        "--upstream-host"
        cfg.upstreamHost
        "--persist-db"
        "${stateDir}/rainbow.db"
        "--cursor-file"
        "${stateDir}/rainbow-cursor"
        "--api-listen"
        (svc.socketAddr cfg.listenAddress cfg.port)
        "--metrics-listen"
        (svc.alwaysOnMetricsAddr cfg)
        "--persist-hours"
        (toString cfg.persistHours)
        "--persist-bytes"
        (toString cfg.persistBytes)
        "--collectiondir-host"
        cfg.collectiondirHost
        "--env"
        cfg.environmentName
      ]
      ++ lib.concatMap (h: [
        "--next-crawler"
        h
      ]) cfg.nextCrawlers
      ++ cfg.extraArgs;
      # godotenv reads a `.env` from the working directory: make it ours.
      serviceConfig.WorkingDirectory = stateDir;
    };
  }
)
