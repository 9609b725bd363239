# The production profile (every role) on each host of the example hive
# (templates/production: hosts.nix, production.nix), as colmena would build
# it minus colmena's own deployment options; then the assertions that span
# roles.
{ pkgs, lib, ... }:
let
  # The hive's shared module is plain config: a case's config cannot import.
  hive = import ../../../templates/production/production.nix { inherit lib; };
  host =
    name: extra:
    lib.mkMerge [
      hive
      extra
      { networking.hostName = name; }
    ];
in
{
  module = "production";
  cases = {
    minimal.config = host "app1" { };
    full.config = host "lb" {
      atnix.production = {
        database.maxConnections = 10;
        loadBalancer.healthCheckPath = "/xrpc/_health";
        monitoring.alertmanagerConfiguration = {
          route.receiver = "pager";
          receivers = [
            {
              name = "pager";
              webhook_configs = [ { url = "http://127.0.0.1:9999/hook"; } ];
            }
          ];
        };
      };
    };
    hive-db.config = host "db" { };
    hive-s3.config = host "s3" { };
    hive-app1.config = host "app1" { };
    hive-app2.config = host "app2" { };
    hive-lb.config = host "lb" { };
    # The PDS on a host of its own: its blobs go to Garage.
    pds-host.config = host "pds" {
      atnix.production.hosts.pds = {
        address = "10.0.0.41";
        roles = [ ];
      };
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
    # rsky-pds on a host of its own: its blobs go to Garage too.
    rsky-pds-host.config = host "pds" {
      atnix.production.hosts.pds = {
        address = "10.0.0.41";
        roles = [ ];
      };
      services.blacksky.pds = {
        enable = true;
        hostname = "pds.example.com";
      };
    };
    # With a single app node, a PDS may share it.
    pds-on-single-app-node.config = host "app1" {
      atnix.production.hosts.app2.roles = lib.mkForce [ ];
      services.blacksky.pds = {
        enable = true;
        hostname = "pds.example.com";
      };
    };
    bad-host-not-in-table = {
      config = host "stranger" { };
      expectAssertion = "add atnix.production.hosts.stranger with its address and roles";
    };
    bad-no-private-interface = {
      config = host "app1" { atnix.production.privateInterface = lib.mkForce null; };
      expectAssertion = "atnix.production.privateInterface is not set";
    };
    bad-no-hosts = {
      config = {
        networking.hostName = "app1";
        atnix.production.privateInterface = "eth1";
      };
      expectAssertion = "atnix.production.hosts is empty";
    };
    bad-two-database-hosts = {
      config = host "app1" {
        atnix.production.hosts.db2 = {
          address = "10.0.0.13";
          roles = [ "database" ];
        };
      };
      expectAssertion = "gives the role database to several hosts";
    };
  };
}
