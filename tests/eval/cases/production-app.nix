# Role `app`: the relay on the private address with its own database on the
# shared PostgreSQL server over TLS, the other app node as sibling.
{ pkgs, lib, ... }:
let
  # The hive's shared module is plain config: a case's config cannot import.
  hive = import ../../../templates/production/production.nix { inherit lib; };
  app1 =
    extra:
    lib.mkMerge [
      hive
      extra
      { networking.hostName = "app1"; }
    ];
in
{
  module = "production-app";
  cases = {
    minimal.config = app1 { };
    full.config = app1 {
      atnix.production.database = {
        host = "pg.internal.example.com";
        port = 6432;
        maxConnections = 30;
        sslMode = "verify-ca";
      };
      services.bluesky.relay.limits.hostConcurrency = 20;
    };
    # One app node may keep SQLite.
    single-node-sqlite.config = app1 {
      atnix.production.hosts.app2.roles = lib.mkForce [ ];
      services.bluesky.relay.database.type = lib.mkForce "sqlite";
      services.bluesky.relay.database.url = lib.mkForce null;
      services.bluesky.relay.database.passwordFile = lib.mkForce null;
    };
    bad-sqlite-on-two-app-nodes = {
      config = app1 {
        services.bluesky.relay.database = {
          type = lib.mkForce "sqlite";
          url = lib.mkForce null;
          passwordFile = lib.mkForce null;
        };
      };
      expectAssertion = "atnix.production.hosts has 2 app nodes: set services.bluesky.relay.database.type = \"postgresql\"";
    };
    bad-pds-on-two-app-nodes = {
      config = app1 {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.pds = {
          enable = true;
          hostname = "pds.example.com";
          proxy.acme = {
            dnsProvider = "cloudflare";
            credentialsFile = "/run/secrets/acme-cloudflare.env";
          };
        };
      };
      expectAssertion = "keeps its accounts in SQLite on one host and cannot run on 2 app nodes";
    };
    bad-rsky-pds-on-two-app-nodes = {
      config = app1 {
        services.blacksky.pds = {
          enable = true;
          hostname = "pds.example.com";
        };
      };
      expectAssertion = "keeps its accounts in SQLite on one host and cannot run on 2 app nodes";
    };
    bad-s3-endpoint-without-keys = {
      config = app1 {
        atnix.production.objectStore = {
          accessKeyIdFile = lib.mkForce null;
          secretAccessKeyFile = lib.mkForce null;
        };
      };
      expectAssertion = "set atnix.production.objectStore.accessKeyIdFile and secretAccessKeyFile";
    };
    bad-verify-without-ca = {
      config = app1 { atnix.production.database.caFile = lib.mkForce null; };
      expectAssertion = "verifies the server against a CA: set atnix.production.database.caFile";
    };
    bad-no-database-host = {
      config = app1 { atnix.production.hosts.db.roles = lib.mkForce [ ]; };
      expectAssertion = "no host has the role database: set atnix.production.database.host";
    };
    bad-no-database-password = {
      config = app1 { atnix.production.database.passwordFile = lib.mkForce null; };
      expectAssertion = "log in to PostgreSQL with a password: set atnix.production.database.passwordFile";
    };
    bad-relay-port-moved = {
      config = app1 { services.bluesky.relay.port = 2480; };
      expectAssertion = "leave services.bluesky.relay.port at its default";
    };
  };
}
