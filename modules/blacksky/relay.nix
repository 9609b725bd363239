# rsky-relay: crawls PDSes and serves their combined firehose
# (com.atproto.sync.subscribeRepos), with listHosts, getHostStatus,
# requestCrawl and an admin ban list. Facts from rsky-relay/src at the pin in
# pkgs/rsky/source.json (main.rs, config.rs, server/server.rs, types.rs,
# validator/resolver.rs); flags: tests/fixtures/help/blacksky-relay.txt,
# variables: tests/fixtures/help/blacksky-relay-env.txt.
#
# The HTTP listener is fixed upstream at 127.0.0.1:9000 (server.rs binds
# "127.0.0.1:{PORT}" with a constant PORT), so address and port are read-only
# here; the nginx virtual host is the way to publish it. Everything else lives
# in the working directory: relay.db (hosts, bans), plc_directory.db (the PLC
# operations it mirrors from https://plc.directory), db/ (the fjall firehose
# and queue, up to 320 GiB) and rsky-relay.log (upstream's JSON log, rotated
# daily, 7 kept).
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    pkgs,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "blacksky-relay";
    seedPython = "${pkgs.python3.withPackages (ps: [ ps.requests ])}/bin/python3";
    stateDir = "/var/lib/${unit}";
    upstreamDiscovery = [
      "relay1.us-west.bsky.network"
      "relay1.us-east.bsky.network"
      "bsky.network"
    ];
  in
  {
    path = [
      "blacksky"
      "relay"
    ];
    name = "rsky-relay";
    description = "rsky-relay, the relay crawling PDSes and serving their combined firehose";
    package = "rsky-relay";
    # No upstream default: the listener is off unless RELAY_METRICS_LISTEN is set.
    metricsPort = 9002;
    # Upstream's logger is an EnvFilter from RUST_LOG; unset, it logs errors only.
    environment = {
      RUST_LOG = "info";
    };

    options = {
      listenAddress = mkOption {
        type = types.str;
        default = "127.0.0.1";
        readOnly = true;
        description = ''
          Address of the HTTP and websocket listener. Fixed upstream (rsky-relay
          binds 127.0.0.1 and has no setting); publish it through `nginx`.
        '';
      };
      port = mkOption {
        type = types.port;
        default = 9000;
        readOnly = true;
        description = "Port of the HTTP and websocket listener. Fixed upstream (9000; the labeler build uses 9001).";
      };
      adminPasswordFile = svc.mkSecretOption {
        description = ''
          File holding the admin password (`RELAY_ADMIN_PASSWORD`), sent as
          `Authorization: Bearer <password>` to `/admin/pds/ban`,
          `/admin/pds/unban` and `/admin/pds/listBans`. Unset, the admin
          endpoints refuse every request.
        '';
      };
      lenientValidation = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Publish events that strict validation would defer or drop
          (`RELAY_LENIENT_VALIDATION`; upstream's default, as consumers verify
          signatures themselves).
        '';
      };
      discoveryUpstreams = mkOption {
        type = types.listOf types.str;
        default = upstreamDiscovery;
        description = ''
          Relays whose `com.atproto.sync.listHosts` is read every five minutes
          to discover PDSes to crawl (`RELAY_DISCOVERY_UPSTREAMS`, host names
          reached over HTTPS; upstream's default). `[ ]` discovers nothing: the
          relay then crawls only hosts that ask through requestCrawl.
        '';
      };
      tls = {
        certificateFile = svc.mkSecretOption {
          description = ''
            PEM certificate chain for serving HTTPS and WSS directly (`--certs`).
            Set with `tls.keyFile`; usually TLS ends at the `nginx` virtual host
            instead.
          '';
        };
        keyFile = svc.mkSecretOption {
          description = "PEM private key of `tls.certificateFile` (`--private-key`).";
        };
      };
    };

    service = {
      inherit unit;
      description = "rsky-relay, the relay crawling PDSes and serving their combined firehose";
      # The plan asks for static users for Blacksky's services.
      staticUser = true;
      stateDirectory = true;
      websockets = true;
      assertions = [
        {
          assertion = (cfg.tls.certificateFile == null) == (cfg.tls.keyFile == null);
          message = "${opt}.tls.certificateFile and ${opt}.tls.keyFile go together: set both or neither.";
        }
      ];
      credentials = {
        admin-password = cfg.adminPasswordFile;
        tls-cert = cfg.tls.certificateFile;
        tls-key = cfg.tls.keyFile;
      };
      # rsky-relay selects the newest row of plc_operations in
      # plc_directory.db before anything else and exits when there is none;
      # only upstream's crawler.py creates that table and fills it. So the
      # first start runs the crawler's own functions: the schema, then the
      # first page of https://plc.directory/export. Later pages the relay
      # fetches itself, every minute.
      preStart = ''
        ${seedPython} - ${cfg.package}/share/rsky-relay <<'EOF'
        import sqlite3, sys
        try:
            seeded = sqlite3.connect("plc_directory.db").execute(
                "SELECT 1 FROM plc_operations LIMIT 1").fetchone()
        except sqlite3.OperationalError:
            seeded = None
        if not seeded:
            sys.path.insert(0, sys.argv[1])
            import crawler, requests
            conn = crawler.create_database()
            session = requests.Session()
            session.headers.update({"User-Agent": "rsky-relay", "Accept": "application/json"})
            operations = crawler.fetch_plc_operations(session)
            if not operations:
                sys.exit("rsky-relay needs one page of https://plc.directory/export in plc_directory.db before its first start, and none could be fetched")
            crawler.insert_operations(conn, operations)
        EOF
      '';
      credentialEnv = {
        RELAY_ADMIN_PASSWORD = "admin-password";
      };
      script = ''
        args=()
        ${lib.optionalString (cfg.tls.certificateFile != null) ''
          args+=("--certs" "$CREDENTIALS_DIRECTORY/tls-cert" "--private-key" "$CREDENTIALS_DIRECTORY/tls-key")
        ''}
        exec ${lib.getExe cfg.package} "''${args[@]}" ${lib.escapeShellArgs cfg.extraArgs}
      '';
      serviceConfig = {
        # Every file is opened relative to the working directory.
        WorkingDirectory = stateDir;
      };
    };

    extraConfig = {
      systemd.services.${unit}.environment = {
        RELAY_LENIENT_VALIDATION = if cfg.lenientValidation then "true" else "false";
        RELAY_DISCOVERY_UPSTREAMS = lib.concatStringsSep "," cfg.discoveryUpstreams;
      }
      // lib.optionalAttrs cfg.metrics.enable {
        RELAY_METRICS_LISTEN = svc.socketAddr cfg.metrics.listenAddress cfg.metrics.port;
      };
    };
  }
)
