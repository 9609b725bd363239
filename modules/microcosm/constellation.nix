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
  svc = import ../../lib/service.nix { inherit lib; };
  stateDir = "/var/lib/microcosm-constellation";
in
{
  imports = [ svc.portsModule ];

  options.services.microcosm.constellation = {
    enable = mkEnableOption "constellation, the microcosm global backlink index";
    package = svc.packageOption pkgs "microcosm-constellation";
  }
  # Upstream's default port, 6789.
  // svc.mkListenOptions {
    name = "constellation";
    port = 6789;
  }
  // {
    jetstream = svc.mkJetstreamOption { name = "constellation"; };
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
    # Upstream's 8765 stays with constellation; the other microcosm services
    # move to 8766-8768 (upstream uses 8765 for all of them).
    metrics = svc.mkMetricsOptions {
      name = "constellation";
      port = 8765;
    };
    nginx = svc.mkNginxOption { name = "constellation"; };
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
      unit = "microcosm-constellation";
      description = "constellation, microcosm's global backlink index";
      stateDirectory = true;
      assertions = [
        {
          assertion = cfg.backup.enable -> cfg.backend == "rocks";
          message = "${opt}.backup.enable needs ${opt}.backend = \"rocks\" (the memory backend has nothing to back up).";
        }
        {
          assertion = cfg.backup.maxOld != null -> (cfg.backup.enable && cfg.backup.interval != null);
          message = "${opt}.backup.maxOld is set: also set ${opt}.backup.enable = true and ${opt}.backup.interval (constellation refuses --max-old-backups without --backup-interval).";
        }
      ];
      exec = [
        (lib.getExe cfg.package)
        "--bind"
        (svc.socketAddr cfg.listenAddress cfg.port)
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
        (svc.socketAddr cfg.metrics.listenAddress cfg.metrics.port)
      ]
      ++ cfg.extraArgs;
      serviceConfig = {
        # RocksDB and relative fallbacks stay inside the state directory.
        WorkingDirectory = stateDir;
        # After 7 failed jetstream connects the consumer gives up and the
        # process exits 0 (src/consumer/jetstream.rs, bin/main.rs): restart
        # it anyway.
        Restart = "always";
      };
    }
  );
}
