# NixOS module: the port registry behind "no two services on one port".
#
# `atnix.ports` maps the option that sets a port (what the user would change)
# to the TCP ports it claims. Every atnix service claims its `port` and, when
# enabled, `metrics.port` (lib/service.nix, mkService); this module adds the
# NixOS services a host commonly runs beside ours. Two claimants of one port
# fail evaluation, naming both. Addresses are not compared: two listeners on
# one port number are refused even on different addresses, which keeps the
# rule simple and the defaults usable together on any host.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  get = path: default: lib.attrByPath path default config;

  # NixOS services and the option holding their port (with its NixOS
  # default). Only services whose options exist in this configuration are
  # read, so the module works with any set of NixOS modules.
  known = [
    [ "nginx" "defaultHTTPListenPort" 80 ]
    [ "nginx" "defaultSSLListenPort" 443 ]
    [ "prometheus" "port" 9090 ]
    [ "postgresql" "settings.port" 5432 ]
    [ "grafana" "settings.server.http_port" 3000 ]
  ];
  nixosClaims = lib.listToAttrs (
    lib.concatMap (
      entry:
      let
        service = builtins.elemAt entry 0;
        option = builtins.elemAt entry 1;
        path = [
          "services"
          service
        ];
      in
      lib.optional (get (path ++ [ "enable" ]) false) {
        name = "services.${service}.${option}";
        value = [ (get (path ++ lib.splitString "." option) (builtins.elemAt entry 2)) ];
      }
    ) known
  );

  claims = config.atnix.ports // nixosClaims;
  # port -> [ claimant ]
  byPort = lib.zipAttrs (
    lib.concatLists (
      lib.mapAttrsToList (who: ports: map (p: { ${toString p} = who; }) (lib.unique ports)) claims
    )
  );
  clashes = lib.filterAttrs (_: who: lib.length who > 1) byPort;
in
{
  options.atnix.ports = mkOption {
    type = types.attrsOf (types.listOf types.port);
    default = { };
    internal = true;
    description = ''
      TCP ports claimed by enabled services, keyed by the option that sets
      them. Filled by the atnix modules; read by the collision assertion.
    '';
  };

  config.assertions = lib.mapAttrsToList (port: who: {
    assertion = false;
    message = "port ${port} is claimed by ${lib.concatStringsSep " and " who}: set one of them to a free port.";
  }) clashes;
}
