# Stub of services.restic.backups (nixos/modules/services/backup/restic.nix).
# The search index holds nixpkgs' file only at two 2017-era commits
# (00976b19, bbbf2ee3, without repositoryFile or backupPrepareCommand); these
# declarations follow a later copy of the module (the lib.mdDoc era, with
# repositoryFile, backupPrepareCommand and backupCleanupCommand) found in the
# code index (find_string id 290759404, repository not named), for the
# options our modules set. Options only: the restic units and the
# repository/repositoryFile assertion are not modelled. Facts: ../nixos-facts/restic.json.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  # nixos/lib/systemd-unit-options.nix unitOption, as ./systemd.nix declares it.
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
      in
      if lib.any (def: lib.isList def.value) defs' then
        lib.concatMap (def: lib.toList def.value) defs'
      else
        lib.mergeEqualOption loc defs';
  };
in
{
  options.services.restic.backups = mkOption {
    description = "Periodic backups to create with Restic.";
    default = { };
    type = types.attrsOf (
      types.submodule {
        options = {
          passwordFile = mkOption {
            type = types.str;
            description = "Read the repository password from a file.";
          };
          repository = mkOption {
            type = types.nullOr types.str;
            default = null;
            description = "repository to backup to.";
          };
          repositoryFile = mkOption {
            type = types.nullOr types.path;
            default = null;
            description = "Path to the file containing the repository location to backup to.";
          };
          paths = mkOption {
            type = types.nullOr (types.listOf types.str);
            default = null;
            description = "Which paths to backup.";
          };
          timerConfig = mkOption {
            type = types.attrsOf unitOption;
            default = {
              OnCalendar = "daily";
              Persistent = true;
            };
            description = "When to run the backup.";
          };
          user = mkOption {
            type = types.str;
            default = "root";
            description = "As which user the backup should run.";
          };
          initialize = mkOption {
            type = types.bool;
            default = false;
            description = "Create the repository if it doesn't exist.";
          };
          pruneOpts = mkOption {
            type = types.listOf types.str;
            default = [ ];
            description = "Options for 'restic forget --prune'.";
          };
          backupPrepareCommand = mkOption {
            type = types.nullOr types.str;
            default = null;
            description = "A script that must run before starting the backup process.";
          };
          backupCleanupCommand = mkOption {
            type = types.nullOr types.str;
            default = null;
            description = "A script that must run after finishing the backup process.";
          };
          package = mkOption {
            type = types.package;
            default = pkgs.restic;
            defaultText = lib.literalExpression "pkgs.restic";
            description = "Restic package to use.";
          };
        };
      }
    );
  };
}
