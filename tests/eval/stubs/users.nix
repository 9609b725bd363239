# Stub of nixos/modules/config/users-groups.nix. The search index holds no
# copy at the flake.lock commit (2c423e03bbafcff28bfadc6781a4a8257f205cb5);
# this follows a current copy (NixOS 25.11 era: users.manageLingering,
# `enable`, usersWithoutExistingGroup), cross-checked with nixpkgs @
# b69a0b599fef1d6fd5aff59e1e07135fff17c359 for the options that did not
# change. Facts: ../nixos-facts/users-groups.json.
#
# Modelled: the user and group options modules set (same types, defaults and
# the 31-character `apply` checks on name and group), the groups NixOS itself
# defines (so a user in `nogroup` or `users` is fine), and the assertions every
# service user meets: the name pattern, exactly one of isSystemUser and
# isNormalUser, a primary group that is set and defined, and unique ids.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.users;
  userOpts =
    { name, config, ... }:
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "If set to false, the user account will not be created.";
        };
        name = mkOption {
          type = types.passwdEntry types.str;
          apply =
            x:
            assert (
              builtins.stringLength x < 32 || abort "Username '${x}' is longer than 31 characters which is not allowed!"
            );
            x;
          description = "The name of the user account. If undefined, the name of the attribute set will be used.";
        };
        description = mkOption {
          type = types.passwdEntry types.str;
          default = "";
          description = "A short description of the user account (GECOS).";
        };
        uid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The account UID. If the UID is null, a free UID is picked on activation.";
        };
        isSystemUser = mkOption {
          type = types.bool;
          default = false;
          description = "Indicates if the user is a system user or not.";
        };
        isNormalUser = mkOption {
          type = types.bool;
          default = false;
          description = "Indicates whether this is an account for a real user.";
        };
        group = mkOption {
          type = types.str;
          apply =
            x:
            assert (
              builtins.stringLength x < 32 || abort "Group name '${x}' is longer than 31 characters which is not allowed!"
            );
            x;
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
          description = "The user's home directory mode in numeric format.";
        };
        createHome = mkOption {
          type = types.bool;
          default = false;
          description = "Whether to create the home directory and ensure ownership as well as permissions to match the user.";
        };
        useDefaultShell = mkOption {
          type = types.bool;
          default = false;
          description = "If true, the user's shell will be set to users.defaultUserShell.";
        };
        shell = mkOption {
          type = types.nullOr (types.either types.shellPackage (types.passwdEntry types.path));
          default = pkgs.shadow;
          defaultText = lib.literalExpression "pkgs.shadow";
          description = "The path to the user's shell.";
        };
        packages = mkOption {
          type = types.listOf types.package;
          default = [ ];
          description = "The set of packages that should be made available to the user.";
        };
        linger = mkOption {
          type = types.nullOr types.bool;
          default = null;
          description = "Whether to enable or disable lingering for this user.";
        };
        hashedPassword = mkOption {
          type = with types; nullOr (passwdEntry str);
          default = null;
          description = "Specifies the hashed password for the user.";
        };
        hashedPasswordFile = mkOption {
          type = with types; nullOr str;
          default = null;
          description = "The full path to a file that contains the hash of the user's password.";
        };
        openssh.authorizedKeys.keys = mkOption {
          type = types.listOf types.singleLineStr;
          default = [ ];
          description = "Authorized SSH public keys.";
        };
      };
      config.name = lib.mkDefault name;
    };
  groupOpts =
    { name, config, ... }:
    {
      options = {
        name = mkOption {
          type = types.passwdEntry types.str;
          description = "The name of the group. If undefined, the name of the attribute set will be used.";
        };
        gid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The group GID. If the GID is null, a free GID is picked on activation.";
        };
        members = mkOption {
          type = with types; listOf (passwdEntry str);
          default = [ ];
          description = "The user names of the group members, added to the /etc/group file.";
        };
      };
      config.name = lib.mkDefault name;
    };

  users = lib.filterAttrs (_: u: u.enable) cfg.users;
  groupNames = lib.mapAttrsToList (_: g: g.name) cfg.groups;
  usersWithoutExistingGroup = lib.filterAttrs (
    _: u: u.group != "" && !lib.elem u.group groupNames
  ) users;
  idsAreUnique =
    set: idAttr:
    let
      ids = lib.mapAttrsToList (_: v: toString v.${idAttr}) set;
    in
    lib.length ids == lib.length (lib.unique ids);
  # Shadow's is_valid_name, as users-groups.nix checks it.
  nameRegex = "[a-zA-Z0-9_.][a-zA-Z0-9_.-]*";
  xor = a: b: a && !b || b && !a;
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
    enforceIdUniqueness = mkOption {
      type = types.bool;
      default = true;
      description = "Whether to require that no two users/groups share the same uid/gid.";
    };
  };

  config = {
    # The groups users-groups.nix defines itself (config.ids.gids), so that a
    # service user in one of them passes the "primary group" assertion.
    users.groups = lib.genAttrs [
      "root"
      "wheel"
      "disk"
      "kmem"
      "tty"
      "floppy"
      "uucp"
      "lp"
      "cdrom"
      "tape"
      "audio"
      "video"
      "dialout"
      "nogroup"
      "users"
      "nixbld"
      "utmp"
      "adm"
      "input"
      "kvm"
      "render"
      "sgx"
      "shadow"
    ] (_: { });

    assertions = [
      {
        assertion =
          !cfg.enforceIdUniqueness
          || (
            idsAreUnique (lib.filterAttrs (_: u: u.uid != null) users) "uid"
            && idsAreUnique (lib.filterAttrs (_: g: g.gid != null) cfg.groups) "gid"
          );
        message = "UIDs and GIDs must be unique!";
      }
      {
        assertion = usersWithoutExistingGroup == { };
        message =
          let
            errUsers = lib.attrNames usersWithoutExistingGroup;
            missingGroups = lib.unique (lib.mapAttrsToList (_: u: u.group) usersWithoutExistingGroup);
            mkConfigHint = group: "users.groups.${group} = {};";
          in
          ''
            The following users have a primary group that is undefined: ${lib.concatStringsSep " " errUsers}
            Hint: Add this to your NixOS configuration:
              ${lib.concatStringsSep "\n  " (map mkConfigHint missingGroups)}
          '';
      }
    ]
    ++ lib.concatMap (user: [
      {
        assertion = builtins.match nameRegex user.name != null;
        message = "The username \"${user.name}\" is not valid, it does not match the regex \"${nameRegex}\".";
      }
      {
        assertion = (user.hashedPassword != null) -> (builtins.match ".*:.*" user.hashedPassword == null);
        message = ''
          The password hash of user "${user.name}" contains a ":" character.
          This is invalid and would break the login system because the fields
          of /etc/shadow (file where hashes are stored) are colon-separated.
          Please check the value of option `users.users."${user.name}".hashedPassword`.'';
      }
      {
        assertion = user.isNormalUser && user.uid != null -> user.uid >= 1000;
        message = ''
          A user cannot have a users.users.${user.name}.uid set below 1000 and set users.users.${user.name}.isNormalUser.
          Either users.users.${user.name}.isSystemUser must be set to true instead of users.users.${user.name}.isNormalUser
          or users.users.${user.name}.uid must be changed to 1000 or above.
        '';
      }
      {
        assertion =
          let
            isEffectivelySystemUser =
              user.isSystemUser || (user.uid != null && user.uid < 1000 && !user.isNormalUser);
          in
          xor isEffectivelySystemUser user.isNormalUser;
        message = ''
          Exactly one of users.users.${user.name}.isSystemUser and users.users.${user.name}.isNormalUser must be set.
        '';
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
    ]) (lib.attrValues users);
  };
}
