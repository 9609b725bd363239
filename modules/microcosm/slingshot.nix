# slingshot: AT Protocol record and identity edge cache.
# Flags from slingshot/src/main.rs at the pin in pkgs/microcosm/source.json
# (fixture: tests/fixtures/help/microcosm-slingshot.txt). Every flag also has a
# SLINGSHOT_* environment variable; the module passes flags and leaves
# `environment` for RUST_LOG.
#
# Not exposed: slingshot's own ACME mode (`--acme-domain` …). It conflicts with
# `--bind`, forces :443 and would need CAP_NET_BIND_SERVICE; use the nginx
# virtual host (`nginx.enable`) for TLS instead.
import ../../lib/service-module.nix (
  {
    cfg,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types optionals;
    stateDir = "/var/lib/microcosm-slingshot";
    cacheSize =
      what: unit: default:
      mkOption {
        type = types.ints.positive;
        inherit default;
        description = "${what} in ${unit} (upstream default ${toString default}).";
      };
  in
  {
    path = [
      "microcosm"
      "slingshot"
    ];
    name = "slingshot";
    description = "slingshot, the microcosm record and identity edge cache";
    package = "microcosm-slingshot";
    # Upstream's default is 8080, which spacedust keeps: slingshot moves to 8081.
    # Upstream's metrics port 8765 is constellation's here.
    port = 8081;
    metricsPort = 8767;
    # slingshot logs through tracing-subscriber.
    environment.RUST_LOG = "info";

    options = {
      jetstream = svc.mkJetstreamOption { name = "slingshot"; };
      jetstreamNoZstd = mkOption {
        type = types.bool;
        default = false;
        description = "Ask jetstream for uncompressed events (`--jetstream-no-zstd`): less CPU, more bandwidth.";
      };
      cacheDir = mkOption {
        type = types.str;
        default = stateDir;
        readOnly = true;
        description = "Disk caches (`--cache-dir`): `firehose/` and `identity/` inside the unit's StateDirectory.";
      };
      recordCache = {
        memoryMB = cacheSize "Memory cache for records (`--record-cache-memory-mb`)" "MB" 64;
        diskGB = cacheSize "Disk cache for records (`--record-cache-disk-gb`)" "GB" 1;
      };
      identityCache = {
        memoryMB = cacheSize "Memory cache for identities (`--identity-cache-memory-mb`)" "MB" 64;
        diskGB = cacheSize "Disk cache for identities (`--identity-cache-disk-gb`)" "GB" 1;
      };
      healthcheckUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://hc-ping.com/your-uuid";
        description = "URL slingshot pings every ~51 s while healthy (`--healthcheck`); an outbound check, not an endpoint.";
      };
    };

    service = {
      unit = "microcosm-slingshot";
      description = "slingshot, microcosm's record and identity edge cache";
      stateDirectory = true;
      exec = [
        (lib.getExe cfg.package)
        "--bind"
        (svc.socketAddr cfg.listenAddress cfg.port)
        "--jetstream"
        cfg.jetstream
        "--cache-dir"
        cfg.cacheDir
        "--record-cache-memory-mb"
        (toString cfg.recordCache.memoryMB)
        "--record-cache-disk-gb"
        (toString cfg.recordCache.diskGB)
        "--identity-cache-memory-mb"
        (toString cfg.identityCache.memoryMB)
        "--identity-cache-disk-gb"
        (toString cfg.identityCache.diskGB)
      ]
      ++ optionals cfg.jetstreamNoZstd [ "--jetstream-no-zstd" ]
      ++ optionals (cfg.healthcheckUrl != null) [
        "--healthcheck"
        cfg.healthcheckUrl
      ]
      ++ optionals cfg.metrics.enable [
        "--collect-metrics"
        "--bind-metrics"
        (svc.socketAddr cfg.metrics.listenAddress cfg.metrics.port)
      ]
      ++ cfg.extraArgs;
      serviceConfig = {
        # `/` is StaticFileEndpoint::new("./static/index.html")
        # (slingshot/src/server.rs): the package ships static/ under
        # share/slingshot, which must be the working directory.
        WorkingDirectory = "${cfg.package}/share/slingshot";
        # foyer's disk caches hold one descriptor per block file; with
        # systemd's soft default of 1024 slingshot exits at start with
        # "Too many open files" (found by `atnix smoke`).
        LimitNOFILE = 65536;
      };
    };
  }
)
