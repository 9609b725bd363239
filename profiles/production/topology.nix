# What every role reads from atnix.production: this host's entry and roles,
# the other hosts by role, and the names derived from them. A plain function
# (no options), imported by ./common.nix and each role.
{ lib, cfg }:
let
  hostsWith = role: lib.filterAttrs (_: h: lib.elem role h.roles) cfg.hosts;
  # PostgreSQL role and database of an app node's relay: `relay_<host>`.
  relayDatabase = name: "relay_" + lib.replaceStrings [ "-" "." ] [ "_" "_" ] name;
in
rec {
  inherit hostsWith relayDatabase;
  # Ports opened on the private interface only; none while it is unset (an
  # assertion in ./common.nix asks for it).
  openPrivate =
    ports:
    lib.optionalAttrs (cfg.privateInterface != null) {
      ${cfg.privateInterface}.allowedTCPPorts = ports;
    };
  this = cfg.hosts.${cfg.hostName} or null;
  has = role: this != null && lib.elem role this.roles;
  appHosts = hostsWith "app";
  appCount = lib.length (lib.attrNames appHosts);
  addresses = hosts: lib.mapAttrsToList (_: h: h.address) hosts;
  firstAddress =
    role:
    let
      found = addresses (hostsWith role);
    in
    if found == [ ] then null else lib.head found;
  # The relay port on every app node (services.bluesky.relay's default, which
  # the profile leaves alone so that all nodes agree).
  relayPort = 2470;
  relayMetricsPort = 2471;
  exporterPort = 9197;
  garageS3Port = 3900;
  garageRpcPort = 3901;
}
