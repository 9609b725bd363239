# Stub of networking.hostName/domain/enableIPv6
# (nixos/modules/tasks/network-interfaces.nix) and networking.firewall
# (nixos/modules/services/networking/firewall.nix). The firewall options follow
# firewall.nix @ 2e1d0989bcf8968780ca0bd92030d15464791450 (the search index
# holds no copy at the flake.lock commit 2c423e03bbafcff28bfadc6781a4a8257f205cb5;
# facts: ../nixos-facts/firewall.json); extraCommands (firewall-iptables.nix)
# and the network-interfaces options were not re-read and have no facts. (This
# header used to name 013635633ffe11f70df1d639f563f21c42c1f778, which was not
# checked.)
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  canonicalizePortList = ports: lib.unique (builtins.sort builtins.lessThan ports);
  portOptions = {
    allowedTCPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
      apply = canonicalizePortList;
      description = "TCP ports on which incoming connections are accepted.";
    };
    allowedTCPPortRanges = mkOption {
      type = types.listOf (types.attrsOf types.port);
      default = [ ];
      description = "Ranges of TCP ports on which incoming connections are accepted.";
    };
    allowedUDPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
      apply = canonicalizePortList;
      description = "UDP ports on which incoming packets are accepted.";
    };
    allowedUDPPortRanges = mkOption {
      type = types.listOf (types.attrsOf types.port);
      default = [ ];
      description = "Ranges of UDP ports on which incoming packets are accepted.";
    };
  };
in
{
  options.networking = {
    hostName = mkOption {
      type = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
      default = "nixos";
      description = "The name of the machine.";
    };
    enableIPv6 = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to enable support for IPv6.";
    };
    domain = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The domain.";
    };
    firewall = portOptions // {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Whether to enable the firewall.";
      };
      trustedInterfaces = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Interfaces whose traffic is always accepted.";
      };
      extraCommands = mkOption {
        type = types.lines;
        default = "";
        description = "Additional shell commands executed as part of the firewall script.";
      };
      interfaces = mkOption {
        default = { };
        type = types.attrsOf (types.submodule { options = portOptions; });
        description = "Interface-specific open ports.";
      };
    };
  };

  config = lib.mkIf config.networking.firewall.enable {
    networking.firewall.trustedInterfaces = [ "lo" ];
  };
}
