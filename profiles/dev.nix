# dev: a whole ATProto network on one host, on loopback, to develop against
# (docs/dev.md): PLC directory, PDS -> relay -> jetstream -> spacedust, and
# the exporter probing each. Ports:
#
#   PLC directory  127.0.0.1:2582  (services.bluesky.plc, PostgreSQL)
#   PDS            127.0.0.1:2583  (hostname `localhost`, handles `.test`)
#   relay          127.0.0.1:2470  (metrics 2471)
#   jetstream      127.0.0.1:6008  (debug/metrics 6009)
#   spacedust      127.0.0.1:8080
#   exporter       127.0.0.1:9197  (modules pds, relay_dev, jetstream, plc)
#
# The PLC directory is the reference did:plc server (did-method-plc, the one
# plc.directory runs) on the local PostgreSQL: it checks every operation's
# signature as the real network does, and serves DID documents with
# Multikey verification methods, the only kind jetstream reads. The PDS, the
# relay and jetstream all resolve DIDs from it, so no account of the dev
# network reaches plc.directory.
#
# Everything is lib.mkDefault. Relaxations for local work, each needed:
# - PDS_DEV_MODE: the PDS's public URL is http://localhost, which its OAuth
#   provider accepts in dev mode only;
# - no invite codes: accounts are created by scripts and tests;
# - the relay subscribes to the PDS over plain HTTP (`localHosts`), since a
#   loopback host has no certificate;
# - jetstream backfills at most 1000 repositories, enough for a dev network.
# Listeners stay on 127.0.0.1 and the firewall stays closed.
{ lib, ... }:
let
  inherit (lib) mkDefault;
  plc = "http://127.0.0.1:2582";
in
{
  services.bluesky.plc.enable = mkDefault true;

  services.bluesky.pds = {
    enable = mkDefault true;
    hostname = mkDefault "localhost";
    serviceHandleDomains = mkDefault [ ".test" ];
    didPlcUrl = mkDefault plc;
    # The relay finds the PDS through `localHosts`; a requestCrawl from the
    # PDS would be refused by the relay's SSRF guard anyway.
    crawlers = mkDefault [ ];
    invites.required = mkDefault false; # relaxation: scripted accounts
    settings.PDS_DEV_MODE = mkDefault true; # relaxation: http://localhost OAuth
  };

  services.bluesky.relay = {
    enable = mkDefault true;
    plcUrl = mkDefault plc;
    localHosts = mkDefault [ "localhost:2583" ]; # relaxation: plain HTTP to the loopback PDS
    metrics.enable = mkDefault true;
  };

  services.bluesky.jetstream = {
    enable = mkDefault true;
    relayUrl = mkDefault "http://127.0.0.1:2470";
    plcUrl = mkDefault plc;
    maxBackfillRepos = mkDefault 1000; # relaxation: bounded backfill for a dev network
    metrics.enable = mkDefault true;
  };

  services.microcosm.spacedust = {
    enable = mkDefault true;
    jetstream = mkDefault "ws://127.0.0.1:6008/subscribe";
  };

  # Start along the chain: jetstream backfills from the relay's listRepos
  # first, and a consumer that starts before its source only retries.
  systemd.services = {
    pds.after = [ "bluesky-plc.service" ];
    bluesky-relay.after = [ "pds.service" ];
    bluesky-jetstream.after = [ "bluesky-relay.service" ];
    microcosm-spacedust.after = [ "bluesky-jetstream.service" ];
  };

  services.atproto-exporter = {
    enable = mkDefault true;
    # Every target is on this host.
    allowedIPs = mkDefault [ ];
    settings.modules.relay_dev = {
      prober = mkDefault "relay";
      pds_host = mkDefault "http://localhost:2583";
    };
  };
}
