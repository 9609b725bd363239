{ lib, ... }:
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
  };
}
