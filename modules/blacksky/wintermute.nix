# rsky-wintermute (binary wintermute): Blacksky's app-view indexer. One
# process runs the ingester (relays' subscribeRepos, labelers'
# subscribeLabels), the backfiller (whole repos fetched from PDSes) and the
# indexer, writing into the PostgreSQL schema of the bsky app-view's data
# plane. Facts from rsky-wintermute at the pin in pkgs/rsky/source.json
# (src/main.rs: the clap arguments; src/config.rs: the tunables read from the
# environment; src/storage.rs: the queues; README.md): flags in
# tests/fixtures/help/blacksky-wintermute.txt, variables in
# blacksky-wintermute-env.txt.
#
# - The schema is not wintermute's: it writes into the tables the bsky
#   app-view's data plane creates (@atproto/bsky's migrations, schema `bsky`)
#   and queries them unqualified, so the connection's search_path starts
#   with `bsky`. Upstream's migrations/ directory holds SQL its operators run
#   by hand; three of them add what the indexer's own queries need
#   (bsky.sub_state for the cursors, actor."accountEventAt", the unique index
#   behind notification's ON CONFLICT). The pre-start applies those, and
#   refuses to start on a database without the data plane's schema.
# - The queues (fjall, plus LMDB for firehose_backfill) live in
#   backfill_cache/ under the working directory, the state directory.
# - /metrics and /_health share one listener that upstream binds on 0.0.0.0
#   (no address setting); when the port is taken it moves to the next free
#   one of the following nine.
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
    unit = "blacksky-wintermute";
    stateDir = "/var/lib/${unit}";
    # Unqualified table names (sub_state, actor, ...) resolve in `bsky`. A
    # key/value connection string, which tokio-postgres and psql both read:
    # the URL form would need percent signs, which systemd's Environment=
    # takes for specifiers.
    localUrl = "host=/run/postgresql dbname=${unit} options='-c search_path=bsky,public'";
    psql = "${lib.getBin pkgs.postgresql}/bin/psql";
    migrations = "${cfg.package}/share/rsky-wintermute/migrations";
    tunable =
      description:
      mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        inherit description;
      };
  in
  {
    path = [
      "blacksky"
      "wintermute"
    ];
    name = "rsky-wintermute";
    description = "rsky-wintermute, Blacksky's app-view indexer (ingester, backfiller and indexer)";
    package = "rsky-wintermute";
    # The /metrics and /_health listener (`--metrics-port`); upstream's 9090
    # is Prometheus' port. When it is taken, wintermute binds the next free
    # one of the nine after it.
    port = 9120;
    nginx = false;
    environmentFiles = true;
    # Upstream's logger is an EnvFilter from RUST_LOG; unset, it logs errors only.
    environment = {
      RUST_LOG = "info";
    };

    options = {
      listenAddress = mkOption {
        type = types.str;
        default = "0.0.0.0";
        readOnly = true;
        description = ''
          Address of the /metrics and /_health listener. Fixed upstream
          (wintermute binds every IPv4 address and has no setting); the NixOS
          firewall keeps `port` (the `--metrics-port`) closed unless
          `openFirewall` is set.
        '';
      };
      relayHosts = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "bsky.network" ];
        description = ''
          Relays to index (`--relay-hosts`): host names whose
          com.atproto.sync.subscribeRepos wintermute reads over `wss://` and
          whose listRepos seeds the backfill. Upstream has no default and
          refuses to start without one.
        '';
      };
      labelerHosts = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "mod.bsky.app" ];
        description = "Labelers whose com.atproto.label.subscribeLabels is indexed (`--labeler-hosts`, over `wss://`).";
      };
      initialCursor = mkOption {
        type = types.nullOr types.ints.unsigned;
        default = null;
        description = ''
          Where a relay subscription without a saved cursor starts
          (`FIREHOSE_INITIAL_CURSOR`): null at the live tail (upstream's
          default), 0 at the oldest event the relay keeps, N at sequence N.
          Saved cursors (table sub_state) always win.
        '';
      };
      recordCollections = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [
          "app.bsky."
          "chat.bsky."
          "site.standard."
        ];
        description = ''
          NSID prefixes kept in the generic `record` table
          (`RECORD_COLLECTION_ALLOWLIST`). `[ ]`: every collection live, and
          `app.bsky.`/`chat.bsky.` in backfills (upstream's default).
        '';
      };
      cacheSizeGB = tunable "Fjall block cache, GiB (`FJALL_CACHE_SIZE_GB`); null: upstream's 32. Upstream suggests 20-25 % of RAM.";
      writeBufferSizeGB = tunable "Fjall write buffer, GiB (`FJALL_WRITE_BUFFER_SIZE_GB`); null: upstream's 2.";
      dbPoolSize = tunable ''
        PostgreSQL connections per pool (`DB_POOL_SIZE`); null: upstream's 20.
        There is one pool per relay and per labeler host plus the indexer's,
        so the total grows with `relayHosts` and `labelerHosts`: keep it
        below PostgreSQL's max_connections.
      '';
      database.createLocally = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Create the database `${unit}` and its owner role in the local
          `services.postgresql` and connect as the unit's user over the
          socket (peer authentication, no password), with `search_path`
          `bsky, public`. The data plane's schema must be loaded into it
          before the first start. False: put `DATABASE_URL` (its search_path
          starting with `bsky`) in one of `environmentFiles`.
        '';
      };
    };

    service = {
      inherit unit;
      description = "rsky-wintermute, Blacksky's app-view indexer";
      # Postgres peer authentication names this user; the plan asks for
      # static users for Blacksky's services.
      staticUser = true;
      stateDirectory = true;
      assertions = [
        {
          assertion = cfg.relayHosts != [ ];
          message = "${opt}.relayHosts is empty: set the relays to index, e.g. [ \"bsky.network\" ] (wintermute refuses to start without one).";
        }
        {
          assertion = cfg.database.createLocally || cfg.environmentFiles != [ ];
          message = "${opt}.database.createLocally is false: put DATABASE_URL in a file listed in ${opt}.environmentFiles.";
        }
      ];
      # The data plane's schema first, then the three upstream migrations the
      # indexer's queries rely on. The first two are idempotent; the third
      # deletes duplicate notifications over the whole table before building
      # its index, so it runs only while that index is missing.
      preStart = ''
        schema=$(${psql} "$DATABASE_URL" -tAc "select to_regclass('bsky.actor') is not null")
        if [ "$schema" != t ]; then
          echo "${unit}: the database has no table bsky.actor. wintermute writes into the bsky app-view data plane's schema (@atproto/bsky's migrations) and does not create it: load that schema into the database first." >&2
          exit 1
        fi
        ${psql} "$DATABASE_URL" -q -vON_ERROR_STOP=1 -f ${migrations}/create_sub_state.sql
        ${psql} "$DATABASE_URL" -q -vON_ERROR_STOP=1 -f ${migrations}/add_actor_account_event_at.sql
        index=$(${psql} "$DATABASE_URL" -tAc "select to_regclass('bsky.notification_did_recorduri_reason_unique_idx') is not null")
        if [ "$index" != t ]; then
          ${psql} "$DATABASE_URL" -q -vON_ERROR_STOP=1 -f ${migrations}/add_notification_unique_constraint.sql >/dev/null
        fi
      '';
      exec = [
        (lib.getExe cfg.package)
        "--relay-hosts"
        (lib.concatStringsSep "," cfg.relayHosts)
        "--metrics-port"
        (toString cfg.port)
      ]
      ++ lib.optionals (cfg.labelerHosts != [ ]) [
        "--labeler-hosts"
        (lib.concatStringsSep "," cfg.labelerHosts)
      ]
      ++ cfg.extraArgs;
      serviceConfig = {
        # The queues are opened relative to the working directory.
        WorkingDirectory = stateDir;
        # SIGTERM drains in-flight work and saves the cursors first.
        TimeoutStopSec = 120;
      };
    };

    extraConfig = lib.mkMerge [
      {
        systemd.services.${unit}.environment =
          lib.optionalAttrs cfg.database.createLocally { DATABASE_URL = localUrl; }
          // lib.optionalAttrs (cfg.initialCursor != null) {
            FIREHOSE_INITIAL_CURSOR = toString cfg.initialCursor;
          }
          // lib.optionalAttrs (cfg.recordCollections != [ ]) {
            RECORD_COLLECTION_ALLOWLIST = lib.concatStringsSep "," cfg.recordCollections;
          }
          // lib.optionalAttrs (cfg.cacheSizeGB != null) {
            FJALL_CACHE_SIZE_GB = toString cfg.cacheSizeGB;
          }
          // lib.optionalAttrs (cfg.writeBufferSizeGB != null) {
            FJALL_WRITE_BUFFER_SIZE_GB = toString cfg.writeBufferSizeGB;
          }
          // lib.optionalAttrs (cfg.dbPoolSize != null) { DB_POOL_SIZE = toString cfg.dbPoolSize; };
      }
      (lib.mkIf cfg.database.createLocally (svc.localPostgres unit))
    ];
  }
)
