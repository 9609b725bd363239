# constellation: global AT Protocol backlink index.
# Flags from constellation/src/bin/main.rs at the pin in
# pkgs/microcosm/source.json (fixture: tests/fixtures/help/constellation.txt).
# constellation reads no environment variables.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  cfg = config.services.microcosm.constellation;
  opt = "services.microcosm.constellation";
  inherit (lib)
    mkIf
    mkOption
    mkEnableOption
    types
    optionals
    ;
  mlib = import ./lib.nix { inherit lib; };
  atnixPkgs = import ../../pkgs { inherit pkgs; };
  stateDir = "/var/lib/microcosm-constellation";
in
{
  options.services.microcosm.constellation = {
    enable = mkEnableOption "constellation, the microcosm global backlink index";
    package = lib.mkPackageOption atnixPkgs "microcosm-constellation" {
      pkgsText = "atnix.packages.\${system}";
    };
  }
  // mlib.mkListenOptions {
    name = "constellation";
    defaultPort = 6789;
  }
  // {
    jetstream = mkOption {
      type = types.str;
      default = "us-east-1";
      example = "wss://jetstream2.us-west.bsky.network/subscribe";
      description = ''
        Jetstream to consume (`--jetstream`): a `wss://` URL or one of the
        shorthands `us-east-1`, `us-east-2`, `us-west-1`, `us-west-2`.
        Upstream requires the flag; `us-east-1` is the jetstream crate's own
        default endpoint.
      '';
    };
    backend = mkOption {
      type = types.enum [
        "memory"
        "rocks"
      ];
      default = "rocks";
      description = ''
        Storage backend (`--backend`). Upstream defaults to `memory`, which
        loses the index on every restart; the module defaults to RocksDB
        under the state directory.
      '';
    };
    dataDir = mkOption {
      type = types.str;
      default = "${stateDir}/db";
      readOnly = true;
      description = "RocksDB directory (`--data`), inside the unit's StateDirectory.";
    };
    didWebDomain = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "constellation.example.com";
      description = "Serve a did:web document for this domain at /.well-known/did.json (`--did-web-domain`).";
    };
    backup = {
      enable = mkEnableOption "RocksDB backups into `${stateDir}/backups` (`--backup`)";
      interval = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        example = 24;
        description = "Take a backup every this many hours (`--backup-interval`). Null takes one backup at start only.";
      };
      maxOld = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        example = 7;
        description = "Keep at most this many backups (`--max-old-backups`); needs `backup.interval`.";
      };
    };
    metrics = mlib.mkMetricsOptions { name = "constellation"; };
    nginx = mlib.mkNginxOptions { name = "constellation"; };
    extraArgs = mlib.extraArgsOption;
  };

  config = mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = mlib.commonAssertions opt cfg ++ [
          {
            assertion = cfg.backup.enable -> cfg.backend == "rocks";
            message = "${opt}.backup.enable needs ${opt}.backend = \"rocks\" (the memory backend has nothing to back up).";
          }
          {
            assertion = cfg.backup.maxOld != null -> (cfg.backup.enable && cfg.backup.interval != null);
            message = "${opt}.backup.maxOld is set: also set ${opt}.backup.enable = true and ${opt}.backup.interval (constellation refuses --max-old-backups without --backup-interval).";
          }
        ];

        systemd.services.microcosm-constellation = {
          description = "constellation, microcosm's global backlink index";
          wantedBy = [ "multi-user.target" ];
          wants = [ "network-online.target" ];
          after = [ "network-online.target" ];
          serviceConfig = mlib.serviceConfig { stateDirectory = "microcosm-constellation"; } // {
            # RocksDB and relative fallbacks stay inside the state directory.
            WorkingDirectory = stateDir;
            # After 7 failed jetstream connects the consumer gives up and the
            # process exits 0 (src/consumer/jetstream.rs, bin/main.rs): restart
            # it anyway.
            Restart = "always";
            ExecStart = utils.escapeSystemdExecArgs (
              [
                (lib.getExe cfg.package)
                "--bind"
                (mlib.socketAddr cfg.listenAddress cfg.port)
                "--jetstream"
                cfg.jetstream
                "--backend"
                cfg.backend
              ]
              ++ optionals (cfg.backend == "rocks") [
                "--data"
                cfg.dataDir
              ]
              ++ optionals (cfg.didWebDomain != null) [
                "--did-web-domain"
                cfg.didWebDomain
              ]
              ++ optionals cfg.backup.enable [
                "--backup"
                "${stateDir}/backups"
              ]
              ++ optionals (cfg.backup.enable && cfg.backup.interval != null) [
                "--backup-interval"
                (toString cfg.backup.interval)
              ]
              ++ optionals (cfg.backup.enable && cfg.backup.maxOld != null) [
                "--max-old-backups"
                (toString cfg.backup.maxOld)
              ]
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
