# Role `database`: PostgreSQL on the private address, TLS only for the app
# nodes, one role and database per app node, passwords set from a file.
{ pkgs, lib, ... }:
let
  # The hive's shared module is plain config: a case's config cannot import.
  hive = import ../../../templates/production/production.nix { inherit lib; };
  db =
    extra:
    lib.mkMerge [
      hive
      extra
      { networking.hostName = "db"; }
    ];
in
{
  module = "production-database";
  cases = {
    minimal.config = db { };
    full.config = db {
      atnix.production.database = {
        port = 6432;
        server.maxConnections = 300;
      };
      services.postgresql.settings.shared_buffers = "4GB";
    };
    # Plain TCP on a network you trust: host (not hostssl) rules, no certificate.
    without-tls.config = db {
      atnix.production.database = {
        sslMode = "disable";
        server = {
          certificateFile = lib.mkForce null;
          keyFile = lib.mkForce null;
        };
      };
    };
    bad-tls-without-certificate = {
      config = db { atnix.production.database.server.keyFile = lib.mkForce null; };
      expectAssertion = "set atnix.production.database.server.certificateFile and keyFile on the database host";
    };
    bad-no-password-file = {
      config = db { atnix.production.database.passwordFile = lib.mkForce null; };
      expectAssertion = "the database host sets the app nodes' PostgreSQL passwords: set atnix.production.database.passwordFile";
    };
    bad-pools-exceed-max-connections = {
      config = db {
        atnix.production.database = {
          maxConnections = 60;
          server.maxConnections = 100;
        };
      };
      expectAssertion = "cannot hold 2 app node pools of 60";
    };
  };
}
