# slingshot: AT Protocol record and identity edge cache.
# Flags from slingshot/src/main.rs at the pin in pkgs/microcosm/source.json
# (fixture: tests/fixtures/help/slingshot.txt). Every flag also has a
# SLINGSHOT_* environment variable; the module passes flags and leaves
# `environment` for RUST_LOG.
#
# Not exposed: slingshot's own ACME mode (`--acme-domain` …). It conflicts with
# `--bind`, forces :443 and would need CAP_NET_BIND_SERVICE; use the nginx
# virtual host (`nginx.enable`) for TLS instead.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:
let
  cfg = config.services.microcosm.slingshot;
  opt = "services.microcosm.slingshot";
  inherit (lib)
    mkIf
    mkOption
    mkEnableOption
    types
    optionals
    ;
  mlib = import ./lib.nix { inherit lib; };
  atnixPkgs = import ../../pkgs { inherit pkgs; };
  stateDir = "/var/lib/microcosm-slingshot";
in
{
  options.services.microcosm.slingshot = {
    enable = mkEnableOption "slingshot, the microcosm record and identity edge cache";
    package = lib.mkPackageOption atnixPkgs "microcosm-slingshot" {
      pkgsText = "atnix.packages.\${system}";
    };
  }
  // mlib.mkListenOptions {
    name = "slingshot";
    defaultPort = 8080;
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
        default endpoint.
      '';
    };
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
      memoryMB = mkOption {
        type = types.ints.positive;
        default = 64;
        description = "Memory cache for records, in MB (`--record-cache-memory-mb`, upstream default 64).";
      };
      diskGB = mkOption {
        type = types.ints.positive;
        default = 1;
        description = "Disk cache for records, in GB (`--record-cache-disk-gb`, upstream default 1).";
      };
    };
    identityCache = {
      memoryMB = mkOption {
        type = types.ints.positive;
        default = 64;
        description = "Memory cache for identities, in MB (`--identity-cache-memory-mb`, upstream default 64).";
      };
      diskGB = mkOption {
        type = types.ints.positive;
        default = 1;
        description = "Disk cache for identities, in GB (`--identity-cache-disk-gb`, upstream default 1).";
      };
    };
    healthcheckUrl = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "https://hc-ping.com/your-uuid";
      description = "URL slingshot pings every ~51 s while healthy (`--healthcheck`); an outbound check, not an endpoint.";
    };
    environment = mkOption {
      type = types.attrsOf types.str;
      default = {
        RUST_LOG = "info";
      };
      description = "Environment of the unit; slingshot logs through tracing-subscriber (`RUST_LOG`).";
    };
    metrics = mlib.mkMetricsOptions { name = "slingshot"; };
    nginx = mlib.mkNginxOptions { name = "slingshot"; };
    extraArgs = mlib.extraArgsOption;
  };

  config = mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = mlib.commonAssertions opt cfg;

        systemd.services.microcosm-slingshot = {
          description = "slingshot, microcosm's record and identity edge cache";
          wantedBy = [ "multi-user.target" ];
          wants = [ "network-online.target" ];
          after = [ "network-online.target" ];
          inherit (cfg) environment;
          serviceConfig = mlib.serviceConfig { stateDirectory = "microcosm-slingshot"; } // {
            # `/` is StaticFileEndpoint::new("./static/index.html")
            # (slingshot/src/server.rs): the package ships static/ under
            # share/slingshot, which must be the working directory.
            WorkingDirectory = "${cfg.package}/share/slingshot";
            # foyer's disk caches hold one descriptor per block file; with
            # systemd's soft default of 1024 slingshot exits at start with
            # "Too many open files" (found by `atnix smoke`).
            LimitNOFILE = 65536;
            ExecStart = utils.escapeSystemdExecArgs (
              [
                (lib.getExe cfg.package)
                "--bind"
                (mlib.socketAddr cfg.listenAddress cfg.port)
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
