# Stub of nixos/modules/config/users-groups.nix
# (nixpkgs @ 013635633ffe11f70df1d639f563f21c42c1f778): the user and group
# options modules set, and the two assertions every service user meets.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  userOpts =
    { name, ... }:
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "Whether this user is created.";
        };
        name = mkOption {
          type = types.passwdEntry types.str;
          default = name;
          description = "The name of the user account.";
        };
        description = mkOption {
          type = types.passwdEntry types.str;
          default = "";
          description = "A short description of the user account (GECOS).";
        };
        uid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The account UID.";
        };
        isSystemUser = mkOption {
          type = types.bool;
          default = false;
          description = "Whether this is a system user.";
        };
        isNormalUser = mkOption {
          type = types.bool;
          default = false;
          description = "Whether this is a normal (human) user.";
        };
        group = mkOption {
          type = types.str;
          default = "";
          description = "The user's primary group.";
        };
        extraGroups = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "The user's auxiliary groups.";
        };
        home = mkOption {
          type = types.passwdEntry types.path;
          default = "/var/empty";
          description = "The user's home directory.";
        };
        homeMode = mkOption {
          type = types.strMatching "[0-7]{1,5}";
          default = "700";
          description = "The permissions of the home directory when created.";
        };
        createHome = mkOption {
          type = types.bool;
          default = false;
          description = "Whether to create the home directory.";
        };
        useDefaultShell = mkOption {
          type = types.bool;
          default = false;
          description = "Use users.defaultUserShell as the shell.";
        };
        shell = mkOption {
          type = types.nullOr (types.either types.package types.path);
          default = null;
          description = "The path to the user's shell.";
        };
        packages = mkOption {
          type = types.listOf types.package;
          default = [ ];
          description = "Packages installed in the user's profile.";
        };
        linger = mkOption {
          type = types.nullOr types.bool;
          default = null;
          description = "Whether to start the user's systemd manager at boot.";
        };
        hashedPasswordFile = mkOption {
          type = with types; nullOr str;
          default = null;
          description = "A file with the hashed password.";
        };
        openssh.authorizedKeys.keys = mkOption {
          type = types.listOf types.singleLineStr;
          default = [ ];
          description = "Authorized SSH public keys.";
        };
      };
    };
  groupOpts =
    { name, ... }:
    {
      options = {
        name = mkOption {
          type = types.passwdEntry types.str;
          default = name;
          description = "The name of the group.";
        };
        gid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The group GID.";
        };
        members = mkOption {
          type = with types; listOf (passwdEntry str);
          default = [ ];
          description = "The user names of the group members.";
        };
      };
    };
in
{
  options.users = {
    users = mkOption {
      default = { };
      type = with types; attrsOf (submodule userOpts);
      description = "Additional user accounts to be created automatically by the system.";
    };
    groups = mkOption {
      default = { };
      type = with types; attrsOf (submodule groupOpts);
      description = "Additional groups to be created automatically by the system.";
    };
  };

  config.assertions = lib.concatMap (
    user:
    [
      {
        assertion = (user.isNormalUser || user.isSystemUser) && !(user.isNormalUser && user.isSystemUser);
        message = "Exactly one of users.users.${user.name}.isSystemUser and users.users.${user.name}.isNormalUser must be set.";
      }
      {
        assertion = user.group != "";
        message = ''
          users.users.${user.name}.group is unset. This used to default to
          nogroup, but this is unsafe. For example you can create a group
          for this user with:
          users.users.${user.name}.group = "${user.name}";
          users.groups.${user.name} = {};
        '';
      }
    ]
  ) (lib.filter (u: u.enable) (lib.attrValues config.users.users));
}
