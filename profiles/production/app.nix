# profiles/production, role `app`: indigo's relay (services.bluesky.relay) on
# the private address, behind the load balancer, with its own database on the
# shared PostgreSQL server over TLS.
#
# The nodes are not each other's sibling relays (`siblingRelays`, which
# forwards admin actions and requestCrawl): at the pin, relay.ParseHostname
# refuses an IP address or a port for anything but localhost, so a sibling
# must be a public DNS name on 443. Hosts to crawl go into
# services.bluesky.relay.initialHosts, which every node requests at start.
#
# Why one database per node: at the indigo pin the relay keeps its firehose in
# files under --persist-dir and their index (table log_file_refs) in the
# database; a second relay on the same database finds the first one's file
# names there, fails to open them in its own persist dir, and would otherwise
# delete the other's files in its garbage collection. Each node is therefore
# a whole relay of its own (docs/production.md).
#
# A PDS (official or rsky) keeps its accounts in SQLite: single-node by
# design. On a host of this deployment its blobs go to the object store; it
# may not run on an app node while there are several.
{ config, lib, ... }:
let
  inherit (lib) mkDefault;
  cfg = config.atnix.production;
  db = cfg.database;
  s3 = cfg.objectStore;
  topo = import ./topology.nix { inherit lib cfg; };
  relay = config.services.bluesky.relay;
  name = topo.relayDatabase cfg.hostName;
  url =
    "postgres://${name}@${db.host}:${toString db.port}/${name}?sslmode=${db.sslMode}"
    + lib.optionalString (db.caFile != null) "&sslrootcert=${db.caFile}";
  pdsEnabled =
    (config.services.bluesky.pds.enable or false) || (config.services.blacksky.pds.enable or false);
  s3Keys = s3.accessKeyIdFile != null && s3.secretAccessKeyFile != null;
in
{
  imports = [ ./common.nix ];

  config = lib.mkMerge [
    (lib.mkIf (topo.has "app") {
      assertions = [
        {
          assertion = relay.enable && relay.database.type == "sqlite" -> topo.appCount <= 1;
          message = "services.bluesky.relay.database.type = \"sqlite\" keeps the relay's hosts and accounts in a file on this node, but atnix.production.hosts has ${toString topo.appCount} app nodes: set services.bluesky.relay.database.type = \"postgresql\" (the profile's default).";
        }
        {
          assertion = pdsEnabled -> topo.appCount <= 1;
          message = "a PDS (services.bluesky.pds or services.blacksky.pds) keeps its accounts in SQLite on one host and cannot run on ${toString topo.appCount} app nodes: run it on a host without the role app, or give only one host the role app.";
        }
        {
          assertion = relay.enable -> db.host != null;
          message = "the app nodes' relays use PostgreSQL, but no host has the role database: set atnix.production.database.host to an external server, or give a host the role database.";
        }
        {
          assertion = relay.enable -> db.passwordFile != null;
          message = "the app nodes log in to PostgreSQL with a password: set atnix.production.database.passwordFile.";
        }
        {
          assertion =
            lib.elem db.sslMode [
              "verify-ca"
              "verify-full"
            ]
            -> db.caFile != null;
          message = "atnix.production.database.sslMode = \"${db.sslMode}\" verifies the server against a CA: set atnix.production.database.caFile, or sslMode = \"require\" (encrypted, unverified).";
        }
        {
          assertion = relay.port == topo.relayPort;
          message = "the load balancer and the monitoring node reach every app node on port ${toString topo.relayPort}: leave services.bluesky.relay.port at its default.";
        }
        {
          assertion = s3.endpoint != null -> s3Keys;
          message = "atnix.production.objectStore.endpoint is ${toString s3.endpoint} but the app nodes have no keys for it: set atnix.production.objectStore.accessKeyIdFile and secretAccessKeyFile.";
        }
      ];

      services.bluesky.relay = {
        enable = mkDefault true;
        listenAddress = mkDefault topo.this.address;
        database = lib.mkIf (db.host != null) {
          type = mkDefault "postgresql";
          url = mkDefault url;
          passwordFile = mkDefault db.passwordFile;
          maxConnections = mkDefault db.maxConnections;
        };
        environmentName = mkDefault "prod";
        metrics = {
          enable = mkDefault true;
          listenAddress = mkDefault topo.this.address;
        };
      };

      networking.firewall.interfaces = topo.openPrivate (
        [ relay.port ] ++ lib.optional relay.metrics.enable relay.metrics.port
      );
    })

    # A PDS on any host of the deployment keeps its blobs in the object store.
    (lib.mkIf (topo.this != null && s3.endpoint != null && s3Keys) {
      services.bluesky.pds.blobstore = lib.mkIf (config.services.bluesky.pds.enable or false) {
        type = mkDefault "s3";
        s3 = {
          bucket = mkDefault s3.bucket;
          region = mkDefault s3.region;
          endpoint = mkDefault s3.endpoint;
          forcePathStyle = mkDefault true;
          accessKeyIdFile = mkDefault s3.accessKeyIdFile;
          secretAccessKeyFile = mkDefault s3.secretAccessKeyFile;
        };
      };
      services.blacksky.pds.blobstore.s3 = lib.mkIf (config.services.blacksky.pds.enable or false) {
        bucket = mkDefault s3.bucket;
        region = mkDefault s3.region;
        endpoint = mkDefault s3.endpoint;
        accessKeyIdFile = mkDefault s3.accessKeyIdFile;
        secretAccessKeyFile = mkDefault s3.secretAccessKeyFile;
      };
    })
  ];
}
