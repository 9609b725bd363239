{ pkgs, lib, ... }:
{
  module = "dev";
  cases = {
    minimal.config = { };
    full.config = {
      services.bluesky.pds.invites.required = true;
      services.bluesky.relay = {
        localHosts = [
          "localhost:2583"
          "localhost:12583"
        ];
        adminPasswordFile = "/run/secrets/relay-admin";
      };
      services.bluesky.jetstream.maxBackfillRepos = 10;
      services.microcosm.constellation = {
        enable = true;
        jetstream = "ws://127.0.0.1:6008/subscribe";
      };
    };
    # Local hosts are written into the relay's SQLite database.
    bad-local-hosts-postgresql = {
      config = {
        services.postgresql.enable = true;
        services.bluesky.relay.database.type = "postgresql";
      };
      expectAssertion = "localHosts is written into the relay's SQLite database";
    };
    # What `atnix smoke dev` runs: the profile as it is, plus a PLC directory.
    smoke.config = {
      # TEST-ONLY stand-in for a PLC directory: tests/pds/fake-plc.js
      # (validates operations with @did-plc/lib, serves Multikey documents,
      # which jetstream needs), placed inside the smoke stand-in of
      # bluesky-pds by tests/pds/smoke-bins.sh. A scenario installs only the
      # units it starts, so a PLC service the profile may enable is left
      # alone; to run that one instead, put its unit in `start` in place of
      # fake-plc.service (and what it needs, e.g. postgresql.service).
      systemd.services.fake-plc = {
        description = "PLC directory stand-in for atnix smoke (test only)";
        before = [ "pds.service" ];
        environment = {
          FAKE_PLC_PORT = "2582";
          FAKE_PLC_DOC_FORMAT = "multikey";
        };
        serviceConfig =
          import ../../../lib/hardening.nix { inherit lib; } {
            jit = true; # node
            loopbackOnly = true;
          }
          // {
            ExecStart = "${pkgs.bluesky-pds}/bin/node ${pkgs.bluesky-pds}/lib/pds/fake-plc.js";
            DynamicUser = true;
          };
      };
      # The rendered data carries unit scripts but not generated files, so
      # the exporter runs without the profile's relay_dev module (its
      # --config file); the check passes that module's `pds_host` as the
      # probe's `host` parameter instead.
      services.atproto-exporter.settings.modules = lib.mkForce { };
    };
  };
  # A scenario: one container, the chain started in order, the exporter
  # checked last. tests/network/smoke-chain-check.sh says what is checked.
  smoke = {
    unit = "atproto-exporter.service";
    case = "smoke";
    start = [
      "fake-plc.service"
      "pds.service"
      "bluesky-relay.service"
      "bluesky-jetstream.service"
      "microcosm-spacedust.service"
    ];
    # A debug build of spacedust takes long (microcosm at its pin); without
    # one the chain ends at jetstream, and the run says so loudly.
    optional = [ "microcosm-spacedust.service" ];
    command = "bash /nix/store/*-pds-0.4.208/share/atnix-smoke/chain-check.sh";
    needs = [ ];
  };
}
