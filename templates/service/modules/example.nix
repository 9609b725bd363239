# Template: a hardened NixOS module for one service. Rename `example`
# throughout; a family's modules live in modules/<family>/<app>.nix (then
# import ../../lib/service-module.nix), under services.<family>.<app>.
# Nothing to register: modules/default.nix finds the file, and `atnix check`
# asks for its cases, VM test and --help fixture by the module's name.
#
# lib/service.nix (read its header) gives the shared options and the unit:
# loopback by default, openFirewall guarded by an assertion, a port that
# collides with no other enabled service, DynamicUser, the hardening preset,
# secrets as paths outside the store.
import ../lib/service-module.nix (
  {
    cfg,
    lib,
    pkgs,
    svc,
    ...
  }:
  let
    format = pkgs.formats.toml { };
  in
  {
    path = [ "example" ];
    name = "example";
    description = "example, an ATProto service";
    package = "example";
    # Upstream's default port, read from its source at the pinned rev; pick
    # another when an atnix service already uses it by default.
    port = 8080;
    environment.RUST_LOG = "info";
    environmentFiles = true;

    options.settings = svc.mkSettingsOption {
      inherit format;
      # Declare the main keys as typed options with upstream's defaults (cite
      # the file and rev); null leaves a key out of the file.
      description = "Configuration file of example (RFC 42), written as TOML.";
    };

    service = {
      unit = "example";
      description = "example ATProto service";
      stateDirectory = true;
      # The program's real flags, checked against tests/fixtures/help/example.txt.
      exec = [
        (lib.getExe cfg.package)
        "--listen"
        (svc.socketAddr cfg.listenAddress cfg.port)
        "--config"
        (svc.settingsFile format "example.toml" cfg.settings)
      ]
      ++ cfg.extraArgs;
      serviceConfig.WorkingDirectory = "/var/lib/example";
    };
  }
)
