# Stub of services.caddy (nixos/modules/services/web-servers/caddy/default.nix
# at NixOS/nixpkgs 5f729d65cf95656299fa8b557b57101826c39631 and
# vhost-options.nix at 0b8aa77df10e1750f7f91fe4bdfa24685792c964, the copies
# the search index holds; not the flake.lock commit): the options
# services.bluesky.pds sets for its Caddy proxy, declared as there. Options
# only; the unit, user and Caddyfile are not modelled.
# Facts: ../nixos-facts/caddy.json.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.services.caddy = {
    enable = lib.mkEnableOption "Caddy web server";
    email = mkOption {
      default = null;
      type = types.nullOr types.str;
      description = "Your email address, for the ACME account.";
    };
    globalConfig = mkOption {
      type = types.lines;
      default = "";
      description = "Lines appended to the global section of the Caddyfile.";
    };
    virtualHosts = mkOption {
      default = { };
      description = "Virtual hosts served by Caddy.";
      type = types.attrsOf (
        types.submodule (
          { name, ... }:
          {
            options = {
              hostName = mkOption {
                type = types.str;
                default = name;
                description = "Canonical hostname for the server.";
              };
              serverAliases = mkOption {
                type = types.listOf types.str;
                default = [ ];
                description = "Additional names of virtual hosts served by this virtual host configuration.";
              };
              extraConfig = mkOption {
                type = types.lines;
                default = "";
                description = "Lines appended to this virtual host in the Caddyfile.";
              };
            };
          }
        )
      );
    };
  };
}
