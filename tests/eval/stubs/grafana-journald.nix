# Stubs of services.grafana (nixos/modules/services/monitoring/grafana.nix,
# read at NixOS/nixpkgs 88c82ee3ecd674f2a7a7f599170d505260849c49, the copy
# the search index holds; the flake.lock commit is not indexed) and
# services.journald (nixos/modules/system/boot/systemd/journald.nix at
# NixOS/nixpkgs e9ab2a06ab44b0bc2f0cb9e1869f8c715a305d81): the options the
# enterprise-pds profile sets, declared as there. Options only; the units are
# not modelled. Facts: ../nixos-facts/grafana-journald.json.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  provisioningSettingsFormat = pkgs.formats.yaml { };
  settingsFormatIni = pkgs.formats.ini {
    listToValue = lib.concatMapStringsSep " " (lib.generators.mkValueStringDefault { });
  };
  datasourceConfig = types.submodule {
    freeformType = provisioningSettingsFormat.type;
    options = {
      name = mkOption {
        type = types.str;
        description = "Name of the datasource. Required.";
      };
      type = mkOption {
        type = types.str;
        description = "Datasource type. Required.";
      };
      access = mkOption {
        type = types.enum [
          "proxy"
          "direct"
        ];
        default = "proxy";
        description = "Access mode.";
      };
      uid = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Custom UID of this datasource.";
      };
      url = mkOption {
        type = types.str;
        default = "localhost";
        description = "Url of the datasource.";
      };
      editable = mkOption {
        type = types.bool;
        default = false;
        description = "Allow users to edit datasources from the UI.";
      };
    };
  };
  dashboardConfig = types.submodule {
    freeformType = provisioningSettingsFormat.type;
    options = {
      name = mkOption {
        type = types.str;
        default = "default";
        description = "A unique provider name.";
      };
      type = mkOption {
        type = types.str;
        default = "file";
        description = "Dashboard provider type.";
      };
      options.path = mkOption {
        type = types.path;
        description = "Path grafana will watch for dashboards.";
      };
    };
  };
in
{
  options.services.grafana = {
    enable = lib.mkEnableOption "grafana";
    settings = mkOption {
      default = { };
      description = "Grafana settings (grafana.ini).";
      type = types.submodule {
        freeformType = settingsFormatIni.type;
        options.server = {
          http_addr = mkOption {
            type = types.str;
            default = "127.0.0.1";
            description = "Listening address.";
          };
          http_port = mkOption {
            type = types.port;
            default = 3000;
            description = "Listening port.";
          };
        };
      };
    };
    provision = {
      enable = lib.mkEnableOption "provision";
      datasources = mkOption {
        default = { };
        description = "Declaratively provision Grafana's datasources.";
        type = types.submodule {
          options.settings = mkOption {
            default = null;
            description = "Grafana datasource configuration in Nix.";
            type = types.nullOr (
              types.submodule {
                options = {
                  apiVersion = mkOption {
                    type = types.int;
                    default = 1;
                    description = "Config file version.";
                  };
                  datasources = mkOption {
                    type = types.listOf datasourceConfig;
                    default = [ ];
                    description = "List of datasources to insert/update.";
                  };
                };
              }
            );
          };
        };
      };
      dashboards = mkOption {
        default = { };
        description = "Declaratively provision Grafana's dashboards.";
        type = types.submodule {
          options.settings = mkOption {
            default = null;
            description = "Grafana dashboard configuration in Nix.";
            type = types.nullOr (
              types.submodule {
                options.apiVersion = mkOption {
                  type = types.int;
                  default = 1;
                  description = "Config file version.";
                };
                options.providers = mkOption {
                  type = types.listOf dashboardConfig;
                  default = [ ];
                  description = "List of dashboards to insert/update.";
                };
              }
            );
          };
        };
      };
    };
  };

  options.services.journald.extraConfig = mkOption {
    default = "";
    type = types.lines;
    example = "Storage=volatile";
    description = "Extra config options for systemd-journald.";
  };
}
