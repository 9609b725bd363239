# Stubs of services.haproxy (nixos/modules/services/networking/haproxy.nix),
# services.garage (nixos/modules/services/web-servers/garage.nix) and
# services.prometheus.alertmanager
# (nixos/modules/services/monitoring/prometheus/alertmanager.nix), the options
# profiles/production sets, declared as there. Read at faukah/nixpkgs
# 3b20077cd82fd1f099e92e2792d73e3176d4869d, a current fork of nixpkgs: the
# search index holds no copy of these files at the flake.lock commit
# (2c423e03bbafcff28bfadc6781a4a8257f205cb5), and its NixOS/nixpkgs copies are
# old (haproxy and garage at 05924f714f31, with merge conflict markers;
# garage at deeeb85b9321 has the same options as the fork). Options and
# assertions; of the units only garage's is modelled (as garage.nix writes it). Facts:
# ../nixos-facts/haproxy-garage.json and ../nixos-facts/prometheus.json.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  toml = pkgs.formats.toml { };
  haproxy = config.services.haproxy;
  garage = config.services.garage;
  am = config.services.prometheus.alertmanager;
in
{
  options.services.haproxy = {
    enable = lib.mkEnableOption "HAProxy, the reliable, high performance TCP/HTTP load balancer";
    package = lib.mkPackageOption pkgs "haproxy" { };
    user = mkOption {
      type = types.str;
      default = "haproxy";
      description = "User account under which haproxy runs.";
    };
    group = mkOption {
      type = types.str;
      default = "haproxy";
      description = "Group account under which haproxy runs.";
    };
    config = mkOption {
      type = types.nullOr types.lines;
      default = null;
      description = "Contents of the HAProxy configuration file, {file}`haproxy.conf`.";
    };
  };

  options.services.garage = {
    enable = lib.mkEnableOption "Garage Object Storage (S3 compatible)";
    extraEnvironment = mkOption {
      type = types.attrsOf types.str;
      default = { };
      description = "Extra environment variables to pass to the Garage server.";
    };
    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      description = "File containing environment variables to be passed to the Garage server.";
    };
    logLevel = mkOption {
      type = types.enum [
        "error"
        "warn"
        "info"
        "debug"
        "trace"
      ];
      default = "info";
      description = "Garage log level.";
    };
    settings = mkOption {
      type = types.submodule {
        freeformType = toml.type;
        options = {
          metadata_dir = mkOption {
            default = "/var/lib/garage/meta";
            type = types.path;
            description = "The metadata directory, put this on a fast disk (e.g. SSD) if possible.";
          };
          data_dir = mkOption {
            default = "/var/lib/garage/data";
            type = with types; either path (listOf attrs);
            description = "The directory in which Garage will store the data blocks of objects.";
          };
        };
      };
      description = "Garage configuration.";
    };
    # No default in NixOS: "needs to be set explicitly".
    package = mkOption {
      type = types.package;
      description = "Garage package to use, needs to be set explicitly.";
    };
  };

  options.services.prometheus.alertmanager = {
    enable = lib.mkEnableOption "Prometheus Alertmanager";
    package = lib.mkPackageOption pkgs "prometheus-alertmanager" { };
    configuration = mkOption {
      type = types.nullOr types.attrs;
      default = null;
      description = "Alertmanager configuration as nix attribute set.";
    };
    configText = mkOption {
      type = types.nullOr types.lines;
      default = null;
      description = "Alertmanager configuration as YAML text.";
    };
    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = "Check configuration with `amtool check-config`.";
    };
    logFormat = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "If set use a syslog logger or JSON logging.";
    };
    logLevel = mkOption {
      type = types.enum [
        "debug"
        "info"
        "warn"
        "error"
        "fatal"
      ];
      default = "warn";
      description = "Only log messages with the given severity or above.";
    };
    webExternalUrl = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The URL under which Alertmanager is externally reachable.";
    };
    listenAddress = mkOption {
      type = types.str;
      default = "";
      description = "Address to listen on for the web interface and API. Empty string will listen on all interfaces.";
    };
    port = mkOption {
      type = types.port;
      default = 9093;
      description = "Port to listen on for the web interface and API.";
    };
    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open port in firewall for incoming connections.";
    };
    clusterPeers = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Initial peers for HA cluster.";
    };
    extraFlags = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Extra commandline options when launching the Alertmanager.";
    };
    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      description = "File to load as environment file.";
    };
  };

  config = lib.mkMerge [
    (lib.mkIf haproxy.enable {
      assertions = [
        {
          assertion = haproxy.config != null;
          message = "You must provide services.haproxy.config.";
        }
      ];
      users.users = lib.optionalAttrs (haproxy.user == "haproxy") {
        haproxy = {
          inherit (haproxy) group;
          isSystemUser = true;
        };
      };
      users.groups = lib.optionalAttrs (haproxy.group == "haproxy") { haproxy = { }; };
    })
    (lib.mkIf garage.enable (
      let
        # NixOS writes /etc/garage.toml from the settings: a value TOML
        # cannot hold fails there.
        configFile = toml.generate "garage.toml" garage.settings;
        paths = lib.flatten (
          [ garage.settings.metadata_dir ]
          ++ lib.optional (lib.isList garage.settings.data_dir) (map (item: item.path) garage.settings.data_dir)
          ++ lib.optional (lib.isString garage.settings.data_dir) [ garage.settings.data_dir ]
        );
        isDefault = lib.hasPrefix "/var/lib/garage";
      in
      {
        # The unit as garage.nix writes it, so that the shared hardening
        # preset a profile adds is graded on the real thing.
        systemd.services.garage = {
          description = "Garage Object Storage (S3 compatible)";
          after = [
            "network.target"
            "network-online.target"
          ];
          wants = [
            "network.target"
            "network-online.target"
          ];
          wantedBy = [ "multi-user.target" ];
          restartTriggers = [ configFile ] ++ lib.optional (garage.environmentFile != null) garage.environmentFile;
          serviceConfig = {
            ExecStart = "${garage.package}/bin/garage server";
            StateDirectory = lib.mkIf (lib.any isDefault paths) "garage";
            DynamicUser = lib.mkDefault true;
            ProtectHome = true;
            NoNewPrivileges = true;
            EnvironmentFile = lib.optional (garage.environmentFile != null) garage.environmentFile;
            ReadWritePaths = lib.filter (x: !(isDefault x)) paths;
          };
          environment = {
            RUST_LOG = lib.mkDefault "garage=${garage.logLevel}";
          }
          // garage.extraEnvironment;
        };
      }
    ))
    (lib.mkIf am.enable {
      assertions = [
        {
          assertion = am.configuration != null || am.configText != null;
          message = "Can not enable alertmanager without a configuration. Set either the `configuration` or `configText` attribute.";
        }
      ];
      networking.firewall.allowedTCPPorts = lib.optional am.openFirewall am.port;
    })
  ];
}
