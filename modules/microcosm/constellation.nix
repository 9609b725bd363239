# constellation: global AT Protocol backlink index.
# Flags from constellation/src/bin/main.rs at the pin in
# pkgs/microcosm/source.json (fixture: tests/fixtures/help/microcosm-constellation.txt).
# constellation reads no environment variables.
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib)
      mkOption
      mkEnableOption
      types
      optionals
      ;
    stateDir = "/var/lib/microcosm-constellation";
  in
  {
    path = [
      "microcosm"
      "constellation"
    ];
    name = "constellation";
    description = "constellation, the microcosm global backlink index";
    package = "microcosm-constellation";
    # Upstream's defaults, 6789 and 8765 (the other microcosm services move
    # their metrics to 8766-8768; upstream uses 8765 for all of them).
    port = 6789;
    metricsPort = 8765;

    options = {
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
    };

    service = {
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
    };
  }
)
