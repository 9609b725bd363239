# Template: a hardened NixOS module for one service. Rename `example`
# throughout; a family's modules live in modules/<family>/<app>.nix (and then
# import ../../lib and ../../pkgs), under services.<family>.<app>.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.example;
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    mkPackageOption
    types
    ;

  # Our packages and helpers, without requiring the user to apply our overlay.
  atnixPkgs = import ../pkgs { inherit pkgs; };
  inherit (import ../lib { inherit lib; }) mkHardening;

  isLoopback = address: lib.hasPrefix "127." address || address == "::1" || address == "localhost";
in
{
  options.services.example = {
    enable = mkEnableOption "example, an ATProto service";

    package = mkPackageOption atnixPkgs "example" { pkgsText = "atnix.packages.\${system}"; };

    listenAddress = mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "0.0.0.0";
      description = ''
        Address the service listens on. Loopback by default: put a reverse
        proxy in front, or set a public address together with `openFirewall`.
      '';
    };

    port = mkOption {
      type = types.port;
      # Upstream's default port, read from its source at the pinned rev.
      default = 8080;
      description = "TCP port the service listens on.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to open `port` in the firewall. Needs a non-loopback `listenAddress`.";
    };

    settings = mkOption {
      type = types.submodule {
        # Environment variables, as upstream reads them. Declare the main keys
        # here as typed options with upstream's defaults (cite the file and rev).
        freeformType = types.attrsOf (
          types.nullOr (
            types.oneOf [
              types.str
              types.int
            ]
          )
        );
      };
      default = { };
      example = {
        RUST_LOG = "info";
      };
      description = ''
        Environment of the service (RFC 42 settings). Entries set to null are
        left out. These values are world-readable in the Nix store: put secrets
        in `environmentFiles` instead.
      '';
    };

    environmentFiles = mkOption {
      type = types.listOf (
        types.pathWith {
          inStore = false;
          absolute = true;
        }
      );
      default = [ ];
      example = [ "/run/secrets/example.env" ];
      description = ''
        Files of `NAME=value` lines added to the environment, for secrets.
        They are read at start and never copied to the Nix store.
      '';
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.openFirewall -> !(isLoopback cfg.listenAddress);
        message = "services.example.openFirewall opens port ${toString cfg.port}, but services.example.listenAddress is ${cfg.listenAddress} (loopback): set services.example.listenAddress to a public address such as \"0.0.0.0\", or set services.example.openFirewall = false.";
      }
    ];

    systemd.services.example = {
      description = "example ATProto service";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];

      environment = lib.mapAttrs (_: toString) (lib.filterAttrs (_: v: v != null) cfg.settings);

      serviceConfig = mkHardening { } // {
        # The program's real flags, checked against its --help fixture.
        ExecStart = "${lib.getExe cfg.package} --listen ${cfg.listenAddress}:${toString cfg.port}";
        EnvironmentFile = cfg.environmentFiles;
        DynamicUser = true; # its own user, allocated by systemd
        StateDirectory = "example";
        WorkingDirectory = "/var/lib/example";
        Restart = "on-failure";
        RestartSec = 5;
      };
    };

    networking.firewall.allowedTCPPorts = lib.optionals cfg.openFirewall [ cfg.port ];
  };
}
