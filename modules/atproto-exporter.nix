# atproto-exporter: blackbox-style Prometheus exporter for ATProto services
# (crates/atproto-exporter in this repository; docs/exporter.md). Flags from its
# clap definition: --listen, --config, --default-timeout, --timeout-offset,
# --max-concurrent-probes.
import ../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    pkgs,
    svc,
    config,
    ...
  }:
  let
    inherit (lib)
      mkIf
      mkOption
      types
      optionals
      ;
    format = pkgs.formats.toml { };

    # The probers the exporter knows (crates/atnix-probe/src/config.rs, PROBERS);
    # each is also a module of the same name with default options.
    probers = [
      "pds"
      "relay"
      "jetstream"
      "plc"
      "labeler"
      "feedgen"
      "handle"
    ];
    moduleNames = lib.unique (probers ++ lib.attrNames cfg.settings.modules);

    # Where Prometheus reaches the exporter.
    scrapeAddress = svc.connectAddr cfg.listenAddress cfg.port;

    configFile = svc.settingsFile format "atproto-exporter.toml" cfg.settings;

    # The multi-target exporter pattern: the listed target becomes ?target=,
    # then the instance label, and Prometheus scrapes the exporter instead.
    probeJob = module: targets: {
      job_name = "${cfg.prometheus.jobPrefix}-${module}";
      metrics_path = "/probe";
      params.module = [ module ];
      scrape_interval = cfg.prometheus.scrapeInterval;
      scrape_timeout = cfg.prometheus.scrapeTimeout;
      static_configs = [ { inherit targets; } ];
      relabel_configs = [
        {
          source_labels = [ "__address__" ];
          target_label = "__param_target";
        }
        {
          source_labels = [ "__param_target" ];
          target_label = "instance";
        }
        {
          target_label = "__address__";
          replacement = scrapeAddress;
        }
      ];
    };
  in
  {
    path = [ "atproto-exporter" ];
    name = "the exporter";
    description = "atproto-exporter, a Prometheus exporter probing PDS, relay, jetstream, PLC, labeler, feed generator and handle health";
    package = "atproto-exporter";
    # The program's own default; blackbox_exporter's 9115 is left free.
    port = 9197;
    # Prometheus scrapes it on the host; no reverse proxy.
    nginx = false;

    options = {
      settings = mkOption {
        default = { };
        description = ''
          Module options, written as the TOML file given to `--config`
          (docs/exporter.md lists every key). Each entry of `modules` names a
          prober and its options; every prober is also available as a module of
          its own name with defaults. TOML has no null: leave a key out
          instead.
        '';
        example = lib.literalExpression ''
          {
            modules.pds_quick = { prober = "pds"; firehose = false; };
            modules.relay_mine = { prober = "relay"; pds_host = "pds.example.com"; };
          }
        '';
        type = types.submodule {
          freeformType = format.type;
          options.modules = mkOption {
            type = types.attrsOf (
              types.submodule {
                freeformType = format.type;
                options.prober = mkOption {
                  type = types.enum probers;
                  description = "The prober this module runs.";
                };
              }
            );
            default = { };
            description = "Named probe modules.";
          };
        };
      };
      defaultTimeout = mkOption {
        type = types.numbers.positive;
        default = 10;
        description = "Probe timeout in seconds when a scrape carries no X-Prometheus-Scrape-Timeout-Seconds (`--default-timeout`).";
      };
      maxConcurrentProbes = mkOption {
        type = types.ints.positive;
        default = 16;
        description = "Probes running at once at most (`--max-concurrent-probes`); more wait for a slot within their timeout.";
      };
      allowedIPs = mkOption {
        type = types.nullOr (types.listOf types.str);
        default = null;
        example = [
          "10.0.0.0/8"
          "192.0.2.53"
        ];
        description = ''
          If set, the unit may only talk to loopback and these addresses
          (systemd IPAddressDeny=any plus IPAddressAllow). The exporter probes
          remote services by design, so there is no filter by default; set this
          when every target (and the DNS resolvers the handle module asks) is on
          known networks. An empty list confines it to loopback.
        '';
      };
      prometheus = {
        enable = mkOption {
          type = types.bool;
          default = config.services.prometheus.enable;
          defaultText = lib.literalExpression "config.services.prometheus.enable";
          description = "Add a scrape configuration per module in `prometheus.targets` (and one for the exporter's own /metrics) to services.prometheus.scrapeConfigs.";
        };
        targets = mkOption {
          type = types.attrsOf (types.listOf types.str);
          default = { };
          example = {
            pds = [ "https://pds.example.com" ];
            handle = [ "alice.example.com" ];
            relay = [ "https://relay1.us-east.bsky.network" ];
          };
          description = "Targets to probe, by module name: service URLs, or handles for handle modules.";
        };
        jobPrefix = mkOption {
          type = types.str;
          default = "atproto";
          description = "Scrape jobs are named `<jobPrefix>-<module>`; the exporter's own is `<jobPrefix>-exporter`.";
        };
        scrapeInterval = mkOption {
          type = types.str;
          default = "60s";
          description = "How often each target is probed.";
        };
        scrapeTimeout = mkOption {
          type = types.str;
          default = "15s";
          description = "Scrape timeout; the exporter finishes each probe 0.5 s before it (X-Prometheus-Scrape-Timeout-Seconds).";
        };
      };
    };

    service = {
      unit = "atproto-exporter";
      description = "atproto-exporter, Prometheus probes for ATProto services";
      assertions = [
        {
          assertion = cfg.prometheus.enable -> config.services.prometheus.enable;
          message = "${opt}.prometheus.enable adds scrape configurations to services.prometheus: also set services.prometheus.enable = true, or set ${opt}.prometheus.enable = false.";
        }
      ]
      ++ map (m: {
        assertion = lib.elem m moduleNames;
        message = "${opt}.prometheus.targets.${m}: no such module; use one of ${lib.concatStringsSep ", " probers} or define ${opt}.settings.modules.${m}.";
      }) (lib.attrNames cfg.prometheus.targets);
      # Not loopbackOnly: probing remote PDSes, relays and DNS is the point.
      # `allowedIPs` adds an IP firewall when the targets are known.
      serviceConfig = lib.optionalAttrs (cfg.allowedIPs != null) {
        IPAddressDeny = "any";
        IPAddressAllow = [ "localhost" ] ++ cfg.allowedIPs;
      };
      exec = [
        (lib.getExe cfg.package)
        "--listen"
        (svc.socketAddr cfg.listenAddress cfg.port)
        "--default-timeout"
        (toString cfg.defaultTimeout)
        "--max-concurrent-probes"
        (toString cfg.maxConcurrentProbes)
      ]
      # Without settings the built-in modules (one per prober) are enough.
      ++ optionals (svc.filterNulls cfg.settings != { modules = { }; }) [
        "--config"
        configFile
      ]
      ++ cfg.extraArgs;
    };

    extraConfig = {
      services.prometheus.scrapeConfigs = mkIf cfg.prometheus.enable (
        lib.mapAttrsToList probeJob cfg.prometheus.targets
        ++ [
          {
            job_name = "${cfg.prometheus.jobPrefix}-exporter";
            metrics_path = "/metrics";
            static_configs = [ { targets = [ scrapeAddress ]; } ];
          }
        ]
      );
    };
  }
)
