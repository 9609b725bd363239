# Pieces shared by the microcosm service modules (and allegedly): listen,
# metrics and nginx options, the `host:port` formatting the upstream
# `SocketAddr` flags expect, and the hardened unit body. The flags themselves
# stay in each module, where tests/…/help_fixtures.rs checks them against the
# program's --help output.
{ lib }:
let
  inherit (lib) mkOption mkEnableOption types;
  atnixLib = import ../../lib { inherit lib; };
in
rec {
  # `SocketAddr` parsing needs brackets around IPv6 literals.
  socketAddr =
    address: port:
    if lib.hasInfix ":" address then "[${address}]:${toString port}" else "${address}:${toString port}";

  # Where nginx should proxy to: a wildcard listen address is still reachable
  # on loopback.
  proxyAddr =
    address: port:
    let
      host =
        if address == "0.0.0.0" then
          "127.0.0.1"
        else if address == "::" then
          "[::1]"
        else if lib.hasInfix ":" address then
          "[${address}]"
        else
          address;
    in
    "http://${host}:${toString port}";

  mkListenOptions =
    { name, defaultPort }:
    {
      listenAddress = mkOption {
        type = types.str;
        default = "127.0.0.1";
        example = "::";
        description = ''
          Address ${name} listens on. Loopback by default: put it behind the
          nginx virtual host (`nginx.enable`) or set `openFirewall` and a
          public address.
        '';
      };
      port = mkOption {
        type = types.port;
        default = defaultPort;
        description = "TCP port ${name} listens on (upstream's default is ${toString defaultPort}).";
      };
      openFirewall = mkOption {
        type = types.bool;
        default = false;
        description = "Open `port` in the firewall. Only useful with a non-loopback `listenAddress`.";
      };
    };

  mkMetricsOptions =
    { name }:
    {
      enable = mkEnableOption "the Prometheus listener of ${name} (`--collect-metrics`); it answers scrapes on any path, usually /metrics";
      listenAddress = mkOption {
        type = types.str;
        default = "127.0.0.1";
        description = "Address of the Prometheus listener.";
      };
      port = mkOption {
        type = types.port;
        default = 8765;
        description = "Port of the Prometheus listener (upstream default 8765, the same for every microcosm service: change it when running several on one host).";
      };
    };

  mkNginxOptions =
    { name }:
    {
      enable = mkEnableOption "an nginx virtual host proxying to ${name}";
      hostName = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "${name}.example.com";
        description = "Domain name of the nginx virtual host. Required with `nginx.enable`.";
      };
      enableACME = mkOption {
        type = types.bool;
        default = true;
        description = "Get a certificate for `hostName` with ACME (security.acme).";
      };
      forceSSL = mkOption {
        type = types.bool;
        default = true;
        description = "Redirect plain HTTP to HTTPS on the virtual host.";
      };
    };

  extraArgsOption = mkOption {
    type = types.listOf types.str;
    default = [ ];
    example = [ "--help" ];
    description = "Extra command-line arguments, appended after the ones the module sets.";
  };

  # Assertions every service with the options above shares.
  commonAssertions = opt: cfg: [
    {
      assertion = cfg.nginx.enable -> cfg.nginx.hostName != null;
      message = "${opt}.nginx.enable is set: also set ${opt}.nginx.hostName to the domain of the virtual host.";
    }
  ];

  nginxConfig =
    {
      cfg,
      websockets ? false,
    }:
    lib.mkIf cfg.nginx.enable {
      services.nginx.enable = true;
      services.nginx.virtualHosts.${cfg.nginx.hostName} = {
        inherit (cfg.nginx) enableACME forceSSL;
        locations."/" = {
          proxyPass = proxyAddr cfg.listenAddress cfg.port;
          proxyWebsockets = websockets;
        };
      };
    };

  # The unit body every service gets: its own (dynamic) user, state under
  # StateDirectory, the shared hardening preset.
  serviceConfig =
    {
      stateDirectory ? null,
      hardening ? { },
    }:
    atnixLib.mkHardening hardening
    // {
      DynamicUser = true;
      Restart = "on-failure";
      RestartSec = 5;
    }
    // lib.optionalAttrs (stateDirectory != null) {
      StateDirectory = stateDirectory;
      StateDirectoryMode = "0700";
    };
}
