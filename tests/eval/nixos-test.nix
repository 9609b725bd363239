# Stub of the test-level options of runNixOSTest / runTest (nixos/lib/testing/),
# read at these nixpkgs commits (the search index holds no copy at the
# flake.lock commit 2c423e03bbafcff28bfadc6781a4a8257f205cb5):
#   name.nix, meta.nix                   (name, meta)
#   nodes.nix       @ 003d58163f469fbeb0d51e4ef8d46af622759627
#   testScript.nix  @ 00f5ae0602cb0b82fca5916fb1b68b6b2f4ea531
#   driver.nix      @ 01fbdeef22b76df85ea168fbfe1bfd9e63681b30
# The driver (driver.nix, mode vmtest) evaluates this with one VM test file and
# then every node as a NixOS configuration of the stubs plus all our modules.
# A test setting an option not declared here fails, as it would in nixpkgs;
# `hostPkgs` is the module argument runTest gives (there is no `pkgs` at the
# test level).
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options = {
    name = mkOption {
      type = types.str;
      description = "The name of the test.";
    };
    meta = mkOption {
      type = types.submodule {
        options = {
          maintainers = mkOption {
            type = types.listOf types.raw;
            default = [ ];
            description = "The list of maintainers for this test.";
          };
          timeout = mkOption {
            type = types.nullOr types.int;
            default = 3600;
            description = "The test will fail if it takes longer than this number of seconds.";
          };
          broken = mkOption {
            type = types.bool;
            default = false;
            description = "Sets the meta.broken attribute on the test derivation.";
          };
          platforms = mkOption {
            type = types.listOf types.raw;
            default = lib.platforms.linux ++ lib.platforms.darwin;
            description = "Sets the meta.platforms attribute on the test derivation.";
          };
        };
      };
      default = { };
      description = "The meta attributes that will be set on the returned derivations.";
    };
    nodes = mkOption {
      type = types.lazyAttrsOf types.deferredModule;
      default = { };
      description = "An attribute set of NixOS configuration modules representing QEMU vms.";
    };
    containers = mkOption {
      type = types.lazyAttrsOf types.deferredModule;
      default = { };
      description = "An attribute set of NixOS configuration modules representing systemd-nspawn containers.";
    };
    defaults = mkOption {
      type = types.deferredModule;
      default = { };
      description = "NixOS configuration that is applied to all nodes and containers.";
    };
    nodeDefaults = mkOption {
      type = types.deferredModule;
      default = { };
      description = "NixOS configuration that is applied to all nodes.";
    };
    extraBaseModules = mkOption {
      type = types.deferredModule;
      default = { };
      description = "NixOS configuration applied to all nodes and containers that cannot be undone.";
    };
    testScript = mkOption {
      type = types.either types.str (types.functionTo types.str);
      description = "A series of python declarations and statements that you write to perform the test.";
    };
    globalTimeout = mkOption {
      type = types.int;
      default = 60 * 60;
      description = "A global timeout for the complete test, expressed in seconds.";
    };
    enableOCR = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable Optical Character Recognition functionality.";
    };
    extraPythonPackages = mkOption {
      type = types.functionTo (types.listOf types.package);
      default = ps: [ ];
      description = "Python packages to add to the test driver.";
    };
    extraDriverArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Extra arguments to pass to the test driver.";
    };
    skipLint = mkOption {
      type = types.bool;
      default = false;
      description = "Do not run the linters.";
    };
    skipTypeCheck = mkOption {
      type = types.bool;
      default = false;
      description = "Disable type checking.";
    };
    logLevel = mkOption {
      type = types.enum [
        "debug"
        "info"
        "warning"
        "error"
      ];
      default = "info";
      description = "Log level for the test driver.";
    };
  };
}
