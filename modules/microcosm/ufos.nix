# ufos: AT Protocol collection timeseries and statistics.
# Flags from ufos/src/main.rs at the pin in pkgs/microcosm/source.json
# (fixture: tests/fixtures/help/ufos.txt). Every flag also has a UFOS_*
# environment variable; the module passes flags and leaves `environment` for
# RUST_LOG (env_logger).
#
# Not exposed: `--jetstream-no-zstd` (accepted, but main.rs calls
# consumer::consume(.., false, ..) so it has no effect at this rev), and the
# DEBUG flags `--pause-writer`, `--pause-rw`, `--jetstream-fixture`, plus the
# one-off `--reroll`; pass them with `extraArgs` if you need them.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  cfg = config.services.microcosm.ufos;
  opt = "services.microcosm.ufos";
  inherit (lib)
    mkIf
    mkOption
    mkEnableOption
    types
    optionals
    ;
  mlib = import ./lib.nix { inherit lib; };
  atnixPkgs = import ../../pkgs { inherit pkgs; };
  stateDir = "/var/lib/microcosm-ufos";
in
{
  options.services.microcosm.ufos = {
    enable = mkEnableOption "ufos, the microcosm collection statistics service";
    package = lib.mkPackageOption atnixPkgs "microcosm-ufos" {
      pkgsText = "atnix.packages.\${system}";
    };
  }
  // mlib.mkListenOptions {
    name = "ufos";
    defaultPort = 9990;
  }
  // {
    jetstream = mkOption {
      type = types.str;
      default = "us-east-1";
      example = "wss://jetstream2.us-west.bsky.network/subscribe";
      description = ''
        Jetstream to consume (`--jetstream`): a `wss://` URL or one of the
        shorthands `us-east-1`, `us-east-2`, `us-west-1`, `us-west-2`.
        Upstream requires the flag; `us-east-1` is the jetstream crate's
        default endpoint. The database remembers the endpoint: changing it
        later needs `jetstreamForce`.
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
    environment = mkOption {
      type = types.attrsOf types.str;
      default = {
        RUST_LOG = "info";
      };
      description = "Environment of the unit; ufos logs through env_logger (`RUST_LOG`).";
    };
    metrics = mlib.mkMetricsOptions { name = "ufos"; };
    nginx = mlib.mkNginxOptions { name = "ufos"; };
    extraArgs = mlib.extraArgsOption;
  };

  config = mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = mlib.commonAssertions opt cfg;

        systemd.services.microcosm-ufos = {
          description = "ufos, microcosm's collection statistics";
          wantedBy = [ "multi-user.target" ];
          wants = [ "network-online.target" ];
          after = [ "network-online.target" ];
          inherit (cfg) environment;
          serviceConfig = mlib.serviceConfig { stateDirectory = "microcosm-ufos"; } // {
            WorkingDirectory = stateDir;
            ExecStart = utils.escapeSystemdExecArgs (
              [
                (lib.getExe cfg.package)
                "--bind"
                (mlib.socketAddr cfg.listenAddress cfg.port)
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
                (mlib.socketAddr cfg.metrics.listenAddress cfg.metrics.port)
              ]
              ++ cfg.extraArgs
            );
          };
        };

        networking.firewall.allowedTCPPorts = optionals cfg.openFirewall [ cfg.port ];
      }
      (mlib.nginxConfig { inherit cfg; })
    ]
  );
}
