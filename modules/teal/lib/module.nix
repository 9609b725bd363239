# The teal service module: lib/service-module.nix plus what every teal module
# shares, so a module file is only what is particular to its program.
#
#   import ./lib/module.nix (
#     { cfg, opt, lib, pkgs, svc, config, redisUrlOption }:
#     {
#       app = "<app>";          # services.teal.<app>, unit and package teal-<app>
#       name, description;      # as for service-module.nix
#       port | metricsPort;     # as for service-module.nix
#       nginx ? true;
#       stateDirectory ? false; # /var/lib/teal-<app>
#       options ? { };          # the program's own options
#       variables;              # the unit's environment, from the options
#       assertions ? [ ];
#     }
#   )
#
# Shared: the package attribute, `environment` and `environmentFiles`, no
# command-line arguments (every teal program is configured by environment),
# ExecStart, and the database (./database.nix). `redisUrlOption` makes the
# `redisUrl` option of the programs that use the CAR-import queue.
#
# Not a module: modules/default.nix only takes the .nix files directly under
# modules/teal.
spec:
import ../../../lib/service-module.nix (
  args@{
    cfg,
    opt,
    lib,
    pkgs,
    svc,
    ...
  }:
  let
    redisUrlOption =
      role:
      lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "redis://127.0.0.1:6379";
        description = ''
          Redis holding the CAR-import job queue (`REDIS_URL`), which ${role}.
          Null: upstream's default, redis://127.0.0.1:6379. A URL with a
          password belongs in `environmentFiles`.
        '';
      };
    s = spec (args // { inherit redisUrlOption; });
    unit = "teal-${s.app}";
    database = import ./database.nix { inherit lib pkgs svc; };
    databaseService = database.service cfg opt unit;
  in
  {
    path = [
      "teal"
      s.app
    ];
    inherit (s) name description;
    package = unit;
    environment = { };
    environmentFiles = true;
    noArguments = true;
    nginx = s.nginx or true;
    options = (s.options or { }) // database.options;

    service = {
      inherit unit;
      inherit (s) description;
      exec = [ (lib.getExe cfg.package) ];
      stateDirectory = s.stateDirectory or false;
    }
    // databaseService
    // {
      assertions = databaseService.assertions ++ (s.assertions or [ ]);
    };

    extraConfig = lib.mkMerge [
      { systemd.services.${unit}.environment = s.variables; }
      (database.config cfg unit)
    ];
  }
  // lib.optionalAttrs (s ? port) { inherit (s) port; }
  // lib.optionalAttrs (s ? metricsPort) { inherit (s) metricsPort; }
)
