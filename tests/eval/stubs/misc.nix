# Stubs of the small NixOS options modules touch:
#   nixos/modules/misc/assertions.nix (assertions, warnings)
#   nixos/modules/misc/meta.nix (meta.maintainers, meta.doc)
#   nixos/modules/config/system-path.nix (environment.systemPackages)
#   nixos/modules/system/etc/etc.nix (environment.etc)
#   nixos/modules/config/shells-environment.nix (environment.variables)
#   nixos/modules/misc/version.nix (system.stateVersion)
# Written after those nixpkgs files; the commit they were read at was not
# recorded (this header used to name 013635633ffe11f70df1d639f563f21c42c1f778,
# which was not checked) and they have no facts in ../nixos-facts/.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      internal = true;
      default = [ ];
      description = "Assertions: { assertion = bool; message = str; }.";
    };
    warnings = mkOption {
      internal = true;
      default = [ ];
      type = types.listOf types.str;
      description = "Warnings printed when the configuration is built.";
    };
    meta = {
      maintainers = mkOption {
        type = types.listOf types.raw;
        default = [ ];
        description = "Maintainers of this module.";
      };
      doc = mkOption {
        type = types.path;
        internal = true;
        description = "Documentation prologue for the module.";
      };
      buildDocsInSandbox = mkOption {
        type = types.bool;
        default = true;
        internal = true;
        description = "Whether the docs of this module can be built in the sandbox.";
      };
    };
    environment = {
      systemPackages = mkOption {
        type = types.listOf types.package;
        default = [ ];
        description = "Packages installed in the system profile.";
      };
      variables = mkOption {
        type = with types; attrsOf (oneOf [
          (listOf (oneOf [ int str path ]))
          int
          str
          path
        ]);
        default = { };
        description = "Environment variables set at login.";
      };
      etc = mkOption {
        default = { };
        description = "Files in /etc.";
        type = types.attrsOf (
          types.submodule (
            { name, ... }:
            {
              options = {
                enable = mkOption {
                  type = types.bool;
                  default = true;
                  description = "Whether this /etc file is generated.";
                };
                target = mkOption {
                  type = types.str;
                  default = name;
                  description = "Name of the file relative to /etc.";
                };
                text = mkOption {
                  type = types.nullOr types.lines;
                  default = null;
                  description = "Text of the file.";
                };
                source = mkOption {
                  type = types.path;
                  description = "Path of the source file.";
                };
                mode = mkOption {
                  type = types.str;
                  default = "symlink";
                  description = "The file mode, or symlink.";
                };
                user = mkOption {
                  type = types.str;
                  default = "+0";
                  description = "Owner of the file if mode is not symlink.";
                };
                group = mkOption {
                  type = types.str;
                  default = "+0";
                  description = "Group of the file if mode is not symlink.";
                };
              };
            }
          )
        );
      };
    };
    system.stateVersion = mkOption {
      type = types.str;
      default = "25.11";
      description = "The NixOS release the stateful data was created with.";
    };
  };
}
