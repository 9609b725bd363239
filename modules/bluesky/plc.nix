# services.bluesky.plc: a did:plc directory, the reference server
# (did-method-plc/did-method-plc packages/server, package `did-method-plc`),
# the one plc.directory runs. It stores and validates signed PLC operations
# (POST /<did>) and serves DID documents (GET /<did>), audit logs and
# /export.
#
# Configured by environment only: packages/server/src/bin.ts, env.ts and
# logger.ts at the pin in pkgs/did-method-plc/source.json (fixture:
# tests/fixtures/help/bluesky-plc.txt). bin.ts applies the database
# migrations (kysely) itself at every start before it listens, as upstream
# runs them, so there is no separate migration step.
#
# - bin.ts calls listen(PORT) without a host, i.e. on every interface; the
#   preload lib/node-listen.cjs binds it to `listenAddress` (loopback by
#   default).
# - env.ts loads ./.env (dotenv) from the working directory: the unit runs
#   in the package, which has none, so only this unit's environment counts.
# - PostgreSQL: the local services.postgresql with peer authentication, so
#   the unit has a static user named after it.
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    ...
  }:
  let
    unit = "bluesky-plc";
  in
  {
    path = [
      "bluesky"
      "plc"
    ];
    name = "the did:plc directory";
    description = "the reference did:plc directory server (did-method-plc)";
    package = "did-method-plc";
    # bin.ts's default PORT.
    port = 2582;
    environmentFiles = true;
    noArguments = true;
    environment = {
      # logger.ts: pino logs nothing unless LOG_ENABLED is true/t/1.
      LOG_ENABLED = "true";
      LOG_LEVEL = "info";
    };

    options = {
      adminSecretFile = svc.mkSecretOption {
        description = ''
          File holding the admin secret (`ADMIN_SECRET`) that
          POST /admin/removeInvalidOps expects. Null: that endpoint refuses
          every request.
        '';
      };
      database.createLocally = svc.mkCreateLocallyOption {
        inherit unit;
        note = " That role needs to create tables: the server migrates at start.";
      };
    };

    service = {
      inherit unit;
      description = "did:plc directory (did-method-plc)";
      # Postgres peer authentication names this user.
      staticUser = true;
      hardening = {
        jit = true; # V8
        # A loopback directory on the local database's socket talks to nothing else.
        loopbackOnly = svc.isLoopback cfg.listenAddress && cfg.database.createLocally;
      };
      assertions = [
        (svc.createLocallyAssertion { inherit cfg opt; })
      ];
      credentials.admin-secret = cfg.adminSecretFile;
      credentialEnv = {
        ADMIN_SECRET = "admin-secret";
      };
      script = "exec ${lib.getExe cfg.package}\n";
      serviceConfig = {
        # dotenv reads ./.env: the package has none.
        WorkingDirectory = cfg.package;
        Restart = "on-failure";
      };
    };

    extraConfig = lib.mkMerge [
      {
        systemd.services.${unit}.environment = {
          PORT = toString cfg.port;
          ATNIX_NODE_LISTEN_ADDRESS = cfg.listenAddress;
          NODE_OPTIONS = "--require ${../../lib/node-listen.cjs}";
        }
        // lib.optionalAttrs cfg.database.createLocally {
          DATABASE_URL = svc.localPostgresUrl unit;
          # node-postgres takes the role from USER otherwise; name it.
          PGUSER = unit;
        };
      }
      (lib.mkIf cfg.database.createLocally (svc.localPostgres unit))
    ];
  }
)
