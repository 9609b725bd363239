# relay: indigo's AT Protocol relay. It subscribes to PDS hosts and serves
# their combined firehose at /xrpc/com.atproto.sync.subscribeRepos. Flags and
# environment variables from cmd/relay/main.go at the pin in
# pkgs/indigo/source.json (fixture: tests/fixtures/help/bluesky-relay*.txt).
#
# State: the SQL database (SQLite under the state directory, or PostgreSQL)
# and the firehose playback files (`--persist-dir`).
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    pkgs,
    svc,
    config,
    ...
  }:
  let
    inherit (lib) mkOption types optionals;
    unit = "bluesky-relay";
    stateDir = "/var/lib/${unit}";
    localPostgres =
      cfg.database.type == "postgresql" && cfg.database.urlFile == null && cfg.database.url == null;
    dbUrl =
      if cfg.database.type == "sqlite" then
        "sqlite://${stateDir}/relay.sqlite"
      else
        # Peer authentication over the socket: no password anywhere.
        "postgres=host=/run/postgresql user=${unit} dbname=${unit} sslmode=disable";
    metricsListen = svc.alwaysOnMetricsAddr cfg;
    # Where the admin password is, for the unit's script and ExecStartPost.
    passwordFile =
      if cfg.adminPasswordFile != null then
        ''"$CREDENTIALS_DIRECTORY/admin-password"''
      else
        "${stateDir}/admin-password";
    apiUrl = "http://${svc.connectAddr cfg.listenAddress cfg.port}";

    argv = [
      (lib.getExe cfg.package)
      "--plc-host"
      cfg.plcUrl
      "--log-level"
      cfg.logLevel
      "serve"
      "--bind"
      (svc.socketAddr cfg.listenAddress cfg.port)
      "--metrics-listen"
      metricsListen
      "--persist-dir"
      cfg.persistDir
      "--replay-window"
      cfg.replayWindow
      "--max-db-conn"
      (toString cfg.database.maxConnections)
      "--host-concurrency"
      (toString cfg.limits.hostConcurrency)
      "--default-account-limit"
      (toString cfg.limits.defaultAccountLimit)
      "--new-hosts-per-day-limit"
      (toString cfg.limits.newHostsPerDay)
      "--ident-cache-size"
      (toString cfg.identCacheSize)
      "--initial-seq-number"
      (toString cfg.initialSeqNumber)
      "--env"
      cfg.environmentName
    ]
    ++ lib.concatMap (d: [
      "--trusted-domains"
      d
    ]) cfg.trustedDomains
    ++ lib.concatMap (r: [
      "--sibling-relays"
      r
    ]) cfg.siblingRelays
    ++ optionals cfg.disableRequestCrawl [ "--disable-request-crawl" ]
    ++ optionals cfg.allowInsecureHosts [ "--allow-insecure-hosts" ]
    ++ optionals cfg.lenientSyncValidation [ "--lenient-sync-validation" ]
    ++ cfg.extraArgs;

    # Ask the running relay to crawl each initial host through the admin
    # API, which skips the public requestCrawl's limits. Repeating it for a
    # known host is harmless.
    crawlInitialHosts = pkgs.writeShellScript "${unit}-initial-hosts" ''
      set -eu
      auth="admin:$(< ${passwordFile})"
      for i in $(seq 1 60); do
        ${lib.getExe pkgs.curl} -fsS -o /dev/null ${apiUrl}/xrpc/_health && break
        sleep 1
      done
      for host in ${lib.escapeShellArgs cfg.initialHosts}; do
        ${lib.getExe pkgs.curl} -fsS -u "$auth" -H 'Content-Type: application/json' \
          --data "{\"hostname\": \"$host\"}" ${apiUrl}/admin/pds/requestCrawl
        echo "requested crawl of $host"
      done
    '';

    sqlite = "${pkgs.sqlite}/bin/sqlite3 ${stateDir}/relay.sqlite";
    # The relay reads its hosts once, at start (ResubscribeAllHosts), and
    # creates its tables itself (gorm AutoMigrate): on the first start it
    # runs once until healthy, then the rows go in before the real start.
    # Runs inside the unit's script, as the relay's user, with its env: in a
    # subshell, so its `set -u` and the temporary relay stay there.
    registerLocalHosts = ''
      (
        set -eu
        if [ -z "$(${sqlite} "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'host'")" ]; then
          ${lib.escapeShellArgs argv} &
          pid=$!
          for i in $(seq 1 120); do
            ${lib.getExe pkgs.curl} -fsS -o /dev/null ${apiUrl}/xrpc/_health && break
            sleep 0.5
          done
          kill "$pid"
          wait "$pid" || : # stopped by us: its exit status says nothing
        fi
        for host in ${lib.escapeShellArgs cfg.localHosts}; do
          # Columns of models.Host; an existing row (the relay keeps its
          # cursor in last_seq) is left alone.
          ${sqlite} "INSERT OR IGNORE INTO host (created_at, updated_at, hostname, no_ssl, account_limit, trusted, status, last_seq)
            VALUES (datetime('now'), datetime('now'), '$host', 1, ${toString cfg.limits.defaultAccountLimit}, 0, 'active', -1)"
          echo "local host $host registered"
        done
      )
    '';
  in
  {
    path = [
      "bluesky"
      "relay"
    ];
    name = "relay";
    description = "the indigo AT Protocol relay";
    package = "indigo-relay";
    # Upstream's defaults: API on 2470, metrics on 2471.
    port = 2470;
    metricsPort = 2471;
    environment = { };

    options = {
      plcUrl = mkOption {
        type = types.str;
        default = "https://plc.directory";
        description = "PLC directory the relay resolves DIDs with (`--plc-host`, upstream default).";
      };
      logLevel = mkOption {
        type = types.enum [
          "error"
          "warn"
          "info"
          "debug"
        ];
        default = "info";
        description = "Log verbosity (`--log-level`; upstream treats anything else as info).";
      };
      adminPasswordFile = svc.mkSecretOption {
        description = ''
          File holding the password of the admin API (`/admin/*`, HTTP basic
          auth as user `admin`), passed as `RELAY_ADMIN_PASSWORD`. Null: a
          random one is generated at first start in
          `/var/lib/bluesky-relay/admin-password` (mode 0600), instead of
          upstream's habit of logging a fresh one at every start.
        '';
        example = "/run/secrets/relay-admin-password";
      };
      database = {
        type = mkOption {
          type = types.enum [
            "sqlite"
            "postgresql"
          ];
          default = "sqlite";
          description = ''
            Where the relay keeps host and account state. `sqlite`: a file in
            the state directory (upstream says SQLite is for testing and small
            relays). `postgresql`: with `urlFile` unset, a database
            `bluesky-relay` on this host's `services.postgresql`, reached over
            its socket with peer authentication.
          '';
        };
        urlFile = svc.mkSecretOption {
          description = ''
            File holding the PostgreSQL URL (`DATABASE_URL`, e.g.
            `postgres://relay:PASSWORD@db.example.com/relay`) of a database
            elsewhere. Only with `type = "postgresql"`; unset, the local
            `services.postgresql` is used.
          '';
          example = "/run/secrets/relay-database-url";
        };
        url = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "postgres://relay@db.internal:5432/relay?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem";
          description = ''
            URL of a PostgreSQL database elsewhere, without the password
            (`DATABASE_URL`; TLS through libpq's `sslmode` and `sslrootcert`
            parameters, which pgx reads). The password comes from
            `passwordFile`. Only with `type = "postgresql"`; set this or
            `urlFile`, not both.
          '';
        };
        passwordFile = svc.mkSecretOption {
          description = ''
            File holding the password for `url`, passed as `PGPASSWORD`: pgx,
            the relay's PostgreSQL driver, takes it when the URL has none.
          '';
          example = "/run/secrets/relay-database-password";
        };
        maxConnections = mkOption {
          type = types.ints.positive;
          default = 40;
          description = "Size of the database connection pool (`--max-db-conn`, upstream default; SQLite uses one).";
        };
      };
      persistDir = mkOption {
        type = types.str;
        default = "${stateDir}/persist";
        description = "Directory of the firehose playback files (`--persist-dir`). Under the state directory by default; elsewhere, the directory must be writable by the service.";
      };
      replayWindow = mkOption {
        type = types.str;
        default = "72h0m0s";
        example = "24h";
        description = "How long firehose events stay available for replay (`--replay-window`, a Go duration; upstream default 72h).";
      };
      initialSeqNumber = mkOption {
        type = types.ints.positive;
        default = 1;
        description = "The firehose's first seq number (`--initial-seq-number`); it jumps ahead if needed.";
      };
      initialHosts = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "pds.example.com" ];
        description = ''
          Hosts (PDSes) the relay is asked to crawl after each start, through
          the admin `requestCrawl`. A host must answer `describeServer` at a
          public IP address, or the start fails: the relay checks hosts
          through indigo's SSRF guard (util/ssrf), which refuses loopback and
          private addresses even for the admin API.
        '';
      };
      localHosts = mkOption {
        type = types.listOf (types.strMatching "localhost:[0-9]+");
        default = [ ];
        example = [ "localhost:2583" ];
        description = ''
          Loopback PDSes (`localhost:PORT`, plain HTTP) the relay subscribes
          to, for a local network (profiles/dev). indigo's SSRF guard refuses
          loopback hosts in requestCrawl, admin included, so these are
          written into the relay's `host` table (cmd/relay/relay/models at
          the pin) before each start; its firehose dialer exempts
          `localhost`. On the very first start the relay is started once
          briefly to create its schema. SQLite only.
        '';
      };
      limits = {
        hostConcurrency = mkOption {
          type = types.ints.positive;
          default = 40;
          description = "Concurrent workers per upstream host (`--host-concurrency`, upstream default).";
        };
        defaultAccountLimit = mkOption {
          type = types.ints.unsigned;
          default = 100;
          description = "Maximum active accounts of a new upstream host (`--default-account-limit`, upstream default); raise it per host with the admin API.";
        };
        newHostsPerDay = mkOption {
          type = types.ints.unsigned;
          default = 50;
          description = "New hosts subscribed per day through the public requestCrawl (`--new-hosts-per-day-limit`, upstream default).";
        };
      };
      identCacheSize = mkOption {
        type = types.ints.positive;
        default = 5000000;
        description = "Entries of the in-process identity cache (`--ident-cache-size`, upstream default).";
      };
      trustedDomains = mkOption {
        type = types.listOf types.str;
        default = [ "*.host.bsky.network" ];
        description = "Domains whose hosts are trusted (`--trusted-domains`; a `*.` prefix matches suffixes; upstream default).";
      };
      siblingRelays = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "https://relay2.example.com" ];
        description = "Relays admin changes are forwarded to (`--sibling-relays`).";
      };
      disableRequestCrawl = mkOption {
        type = types.bool;
        default = false;
        description = "Refuse the public, unauthenticated `com.atproto.sync.requestCrawl` (`--disable-request-crawl`).";
      };
      allowInsecureHosts = mkOption {
        type = types.bool;
        default = false;
        description = "Let the public requestCrawl add plain-HTTP hosts (`--allow-insecure-hosts`). Only for a local network.";
      };
      lenientSyncValidation = mkOption {
        type = types.bool;
        default = false;
        description = "Log, instead of dropping, messages that fail Sync 1.1 validation (`--lenient-sync-validation`).";
      };
      environmentName = mkOption {
        type = types.str;
        default = "dev";
        example = "prod";
        description = "Hosting environment named in metrics (`--env`, upstream default `dev`).";
      };
    };

    service = {
      inherit unit;
      description = "indigo AT Protocol relay";
      stateDirectory = true;
      # Postgres peer authentication names the user.
      staticUser = localPostgres;
      websockets = true;
      assertions = [
        {
          assertion = cfg.database.urlFile != null -> cfg.database.type == "postgresql";
          message = "${opt}.database.urlFile is set but ${opt}.database.type = \"sqlite\": set database.type = \"postgresql\", or unset urlFile.";
        }
        {
          assertion = cfg.database.url != null -> cfg.database.type == "postgresql" && cfg.database.urlFile == null;
          message = "${opt}.database.url is set: set ${opt}.database.type = \"postgresql\" and leave ${opt}.database.urlFile unset (one URL only).";
        }
        {
          assertion =
            cfg.database.url != null -> builtins.match "[a-z]+://[^/@]*:[^/@]*@.*" cfg.database.url == null;
          message = "${opt}.database.url holds a password, which would land in the world-readable Nix store: remove it from the URL and set ${opt}.database.passwordFile.";
        }
        {
          assertion = cfg.database.passwordFile != null -> cfg.database.url != null;
          message = "${opt}.database.passwordFile is only read with ${opt}.database.url: set database.url (the URL without the password), or unset passwordFile.";
        }
        {
          assertion = cfg.localHosts != [ ] -> cfg.database.type == "sqlite";
          message = "${opt}.localHosts is written into the relay's SQLite database: set ${opt}.database.type = \"sqlite\", or leave localHosts empty.";
        }
        {
          assertion = localPostgres -> config.services.postgresql.enable;
          message = "${opt}.database.type = \"postgresql\" without urlFile uses this host's PostgreSQL: set services.postgresql.enable = true, or set ${opt}.database.urlFile.";
        }
      ];
      credentials = {
        admin-password = cfg.adminPasswordFile;
        database-url = cfg.database.urlFile;
        database-password = cfg.database.passwordFile;
      };
      # libpq, which the relay's driver uses, reads it.
      credentialEnv = {
        PGPASSWORD = "database-password";
      };
      script = ''
        ${
          if cfg.adminPasswordFile != null then
            ""
          else
            ''
              if [ ! -s ${passwordFile} ]; then
                (umask 077; head -c 24 /dev/urandom | base64 > ${passwordFile})
              fi
            ''
        }
        RELAY_ADMIN_PASSWORD="$(< ${passwordFile})"
        export RELAY_ADMIN_PASSWORD
        ${
          if cfg.database.urlFile != null then
            ''DATABASE_URL="$(< "$CREDENTIALS_DIRECTORY/database-url")"''
          else if cfg.database.url != null then
            "DATABASE_URL=${lib.escapeShellArg cfg.database.url}"
          else
            "DATABASE_URL=${lib.escapeShellArg dbUrl}"
        }
        export DATABASE_URL
        ${lib.optionalString (cfg.localHosts != [ ]) registerLocalHosts}
        exec ${lib.escapeShellArgs argv}
      '';
      serviceConfig = {
        # godotenv reads a `.env` from the working directory: make it ours.
        WorkingDirectory = stateDir;
      }
      // lib.optionalAttrs (cfg.initialHosts != [ ]) {
        ExecStartPost = [ crawlInitialHosts ];
      };
    };

    extraConfig = lib.mkIf localPostgres {
      services.postgresql = {
        ensureDatabases = [ unit ];
        ensureUsers = [
          {
            name = unit;
            ensureDBOwnership = true;
          }
        ];
      };
      systemd.services.${unit} = {
        requires = [ "postgresql.service" ];
        after = [ "postgresql.service" ];
      };
    };
  }
)
