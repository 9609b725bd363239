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
  mlib = import ./lib.nix { inherit lib; };
  atnixPkgs = import ../../pkgs { inherit pkgs; };
in
{
  options.services.microcosm.spacedust = {
    enable = mkEnableOption "spacedust, the microcosm link firehose";
    package = lib.mkPackageOption atnixPkgs "microcosm-spacedust" {
      pkgsText = "atnix.packages.\${system}";
    };
  }
  // mlib.mkListenOptions {
    name = "spacedust";
    defaultPort = 8080;
  }
  // {
    jetstream = mkOption {
      type = types.str;
      default = "us-east-1";
      example = "wss://jetstream2.us-west.bsky.network/subscribe";
      description = ''
        Jetstream to consume (`--jetstream`): a `wss://` URL or one of the
        shorthands `us-east-1`, `us-east-2`, `us-west-1`, `us-west-2`
        (jetstream crate, `DefaultJetstreamEndpoints`). Upstream requires the
        flag; `us-east-1` is the jetstream crate's default endpoint.
      '';
    };
    jetstreamNoZstd = mkOption {
      type = types.bool;
      default = false;
      description = "Ask jetstream for uncompressed events (`--jetstream-no-zstd`): less CPU, more bandwidth.";
    };
    environment = mkOption {
      type = types.attrsOf types.str;
      default = {
        RUST_LOG = "info";
      };
      description = "Environment of the unit; spacedust logs through env_logger (`RUST_LOG`).";
    };
    metrics = mlib.mkMetricsOptions { name = "spacedust"; };
    nginx = mlib.mkNginxOptions { name = "spacedust"; };
    extraArgs = mlib.extraArgsOption;
  };

  config = mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = mlib.commonAssertions opt cfg;

        systemd.services.microcosm-spacedust = {
          description = "spacedust, microcosm's link firehose";
          wantedBy = [ "multi-user.target" ];
          wants = [ "network-online.target" ];
          after = [ "network-online.target" ];
          inherit (cfg) environment;
          serviceConfig = mlib.serviceConfig { } // {
            ExecStart = utils.escapeSystemdExecArgs (
              [
                (lib.getExe cfg.package)
                "--bind"
                (mlib.socketAddr cfg.listenAddress cfg.port)
                "--jetstream"
                cfg.jetstream
              ]
              ++ optionals cfg.jetstreamNoZstd [ "--jetstream-no-zstd" ]
              ++ optionals cfg.metrics.enable [
                "--collect-metrics"
                "--bind-metrics"
                (mlib.socketAddr cfg.metrics.listenAddress cfg.metrics.port)
              ]
              ++ cfg.extraArgs
            );
          };
        };

        networking.firewall.allowedTCPPorts = optionals cfg.openFirewall [ cfg.port ];
      }
      # /subscribe is a websocket.
      (mlib.nginxConfig {
        inherit cfg;
        websockets = true;
      })
    ]
  );
}
