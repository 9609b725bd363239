# profiles/production, shared part: the options every role reads
# (atnix.production.*: the hosts and their roles, the database, the object
# store, the load balancer, monitoring) and what every node gets: the
# exporter on the private network, scraped by the monitoring node.
#
# The hosts table is the same on every node (set it once, e.g. in a colmena
# hive's `defaults`); each node finds itself in it by networking.hostName.
# Ports between nodes open on `privateInterface` only.
{ config, lib, ... }:
let
  inherit (lib) mkOption mkDefault types;
  svc = import ../../lib/service.nix { inherit lib; };
  cfg = config.atnix.production;
  topo = import ./topology.nix { inherit lib cfg; };
  roleNames = [
    "database"
    "objectstore"
    "app"
    "loadbalancer"
    "monitoring"
  ];
in
{
  options.atnix.production = {
    hosts = mkOption {
      type = types.attrsOf (
        types.submodule {
          options = {
            address = mkOption {
              type = types.str;
              example = "10.0.0.21";
              description = "The host's address on the private network; the other nodes reach its services there.";
            };
            roles = mkOption {
              type = types.listOf (types.enum roleNames);
              default = [ ];
              example = [ "app" ];
              description = "The roles this host plays: ${lib.concatStringsSep ", " roleNames}.";
            };
          };
        }
      );
      default = { };
      description = ''
        Every host of the deployment by name (its `networking.hostName`), the
        same on each node: the roles read it to find each other (the database
        and object store addresses, the load balancer's backends, the
        monitoring node's scrape targets).
      '';
    };
    hostName = mkOption {
      type = types.str;
      default = config.networking.hostName;
      defaultText = lib.literalExpression "config.networking.hostName";
      description = "This host's entry in `hosts`.";
    };
    privateInterface = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "eth1";
      description = ''
        Interface of the private network. The ports the nodes use between
        themselves (PostgreSQL, S3, the app backends, the exporter) are
        opened on it only.
      '';
    };

    database = {
      host = mkOption {
        type = types.nullOr types.str;
        default = topo.firstAddress "database";
        defaultText = lib.literalMD "the address of the host with role `database`, if any";
        example = "db.internal.example.com";
        description = "PostgreSQL server the app nodes use: the `database` host, or an external one.";
      };
      port = mkOption {
        type = types.port;
        default = 5432;
        description = "PostgreSQL port.";
      };
      sslMode = mkOption {
        type = types.enum [
          "disable"
          "require"
          "verify-ca"
          "verify-full"
        ];
        default = "verify-full";
        description = ''
          libpq `sslmode` of the app nodes' connections. `verify-ca` and
          `verify-full` need `caFile`; `verify-full` also checks that the
          server certificate names `host`. The `database` role accepts
          only TLS connections from the app nodes unless this is `disable`.
        '';
      };
      caFile = mkOption {
        type = types.nullOr types.path;
        default = null;
        example = "/etc/ssl/atnix-db-ca.pem";
        description = "CA certificate the app nodes verify the server with (`sslrootcert`). Public, so it may be in the store.";
      };
      passwordFile = svc.mkSecretOption {
        description = ''
          File holding the password of the app nodes' PostgreSQL roles
          (`relay_<host>`), on the app nodes and on the `database` host, which
          sets it on each role at every start. Outside the store.
        '';
        example = "/run/secrets/atnix-db-password";
      };
      maxConnections = mkOption {
        type = types.ints.positive;
        default = 20;
        description = "Connection pool of each app node's relay (`--max-db-conn`).";
      };
      server = {
        certificateFile = mkOption {
          type = types.nullOr types.path;
          default = null;
          example = "/var/lib/postgresql-tls/server.crt";
          description = "Server certificate (`ssl_cert_file`) on the `database` host; readable by the postgres user.";
        };
        keyFile = svc.mkSecretOption {
          description = "Server key (`ssl_key_file`) on the `database` host: owned by postgres, mode 0600, outside the store.";
          example = "/var/lib/postgresql-tls/server.key";
        };
        maxConnections = mkOption {
          type = types.ints.positive;
          default = 100;
          description = "PostgreSQL `max_connections` on the `database` host; must hold every app node's pool.";
        };
      };
    };

    objectStore = {
      endpoint = mkOption {
        type = types.nullOr types.str;
        default =
          let
            a = topo.firstAddress "objectstore";
          in
          if a == null then null else "http://${a}:${toString topo.garageS3Port}";
        defaultText = lib.literalMD "Garage's S3 API on the host with role `objectstore`, if any";
        example = "https://s3.eu-central-1.amazonaws.com";
        description = "S3 endpoint for blobs (PDS blob store) and backups.";
      };
      bucket = mkOption {
        type = types.str;
        default = "atproto";
        description = "S3 bucket.";
      };
      region = mkOption {
        type = types.str;
        default = "garage";
        description = "S3 region (Garage's default `s3_region` is `garage`).";
      };
      accessKeyIdFile = svc.mkSecretOption {
        description = "File holding the S3 access key id, on the nodes that use the object store.";
        example = "/run/secrets/s3-access-key-id";
      };
      secretAccessKeyFile = svc.mkSecretOption {
        description = "File holding the S3 secret access key, on the nodes that use the object store.";
        example = "/run/secrets/s3-secret-access-key";
      };
      server.environmentFile = svc.mkSecretOption {
        description = ''
          On the `objectstore` host: `KEY=value` file with Garage's secrets,
          `GARAGE_RPC_SECRET` (64 hex digits) and `GARAGE_ADMIN_TOKEN`
          (services.garage.environmentFile). Outside the store.
        '';
        example = "/run/secrets/garage.env";
      };
    };

    loadBalancer = {
      backends = mkOption {
        type = types.listOf types.str;
        default = map (a: "${a}:${toString topo.relayPort}") (topo.addresses topo.appHosts);
        defaultText = lib.literalMD "the relay on every host with role `app`";
        example = [
          "10.0.0.21:2470"
          "10.0.0.22:2470"
        ];
        description = "Backends (`address:port`) the load balancer spreads requests over, health-checked.";
      };
      port = mkOption {
        type = types.port;
        default = 80;
        description = "Public HTTP port of the load balancer.";
      };
      tlsCertificateFile = mkOption {
        type = types.nullOr svc.externalPath;
        default = null;
        example = "/var/lib/acme/relay.example.com/full.pem";
        description = ''
          PEM file with the certificate chain and its key (HAProxy's `crt`),
          outside the store. Set: HTTPS on 443, and `port` redirects there.
        '';
      };
      healthCheckPath = mkOption {
        type = types.str;
        default = "/xrpc/_health";
        description = "Path each backend must answer with 200 to stay in the pool.";
      };
    };

    monitoring.alertmanagerConfiguration = mkOption {
      type = types.attrs;
      default = {
        route.receiver = "operators";
        receivers = [ { name = "operators"; } ];
      };
      description = ''
        Alertmanager configuration on the `monitoring` host. The default
        receiver has no integration: alerts are shown by Alertmanager only.
        Add e.g. `webhook_configs` or `email_configs` to be told.
      '';
    };
  };

  config = {
    assertions = [
      {
        assertion = cfg.hosts != { };
        message = "atnix.production.hosts is empty: list every host of the deployment with its address and roles (docs/production.md).";
      }
      {
        assertion = cfg.hosts != { } -> topo.this != null;
        message = "atnix.production.hosts has no entry for this host (atnix.production.hostName = \"${cfg.hostName}\"): add atnix.production.hosts.${cfg.hostName} with its address and roles.";
      }
      {
        assertion = cfg.hosts != { } -> cfg.privateInterface != null;
        message = "atnix.production.privateInterface is not set: set it to the interface of the private network (e.g. \"eth1\"), where the nodes' ports are opened.";
      }
      {
        assertion = lib.length (lib.attrNames (topo.hostsWith "database")) <= 1;
        message = "atnix.production.hosts gives the role database to several hosts: PostgreSQL runs on one (replicas are not set up by this profile); keep one.";
      }
    ];

    # Every node: the exporter on the private address, scraped and asked for
    # probes by the monitoring node; it may only talk to the deployment's
    # hosts (and loopback).
    services.atproto-exporter = lib.mkIf (topo.this != null) {
      enable = mkDefault true;
      listenAddress = mkDefault topo.this.address;
      allowedIPs = mkDefault (topo.addresses cfg.hosts);
    };
    networking.firewall.interfaces = lib.mkIf (topo.this != null) (
      topo.openPrivate [ config.services.atproto-exporter.port ]
    );
  };
}
