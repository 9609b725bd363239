# rsky-feedgen: Blacksky's feed generator, serving feed skeletons from
# PostgreSQL. Configured by environment only (rsky-feedgen/src/main.rs and
# routes.rs at the pin in pkgs/rsky/source.json; fixture:
# tests/fixtures/help/blacksky-feedgen.txt). The listen socket is Rocket's
# (ROCKET_ADDRESS, ROCKET_PORT, as upstream's Dockerfile sets them).
#
# The database: rsky-feedgen opens three diesel pools (the writer and two
# read replicas; main.rs), and a pool whose URL is empty fails Rocket's
# launch, so without replicas all three point at the one database. Upstream
# applies its diesel migrations with diesel_cli; the pre-start does the same
# with nixpkgs' diesel-cli, from the migrations the package ships.
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
    unit = "blacksky-feedgen";
    localUrl = svc.localPostgresUrl unit;
    # The writer and the two read replicas.
    dbVars = [
      "DATABASE_URL"
      "READ_REPLICA_URL_1"
      "READ_REPLICA_URL_2"
    ];
  in
  {
    path = [
      "blacksky"
      "feedgen"
    ];
    name = "rsky-feedgen";
    description = "rsky-feedgen, Blacksky's AT Protocol feed generator";
    package = "rsky-feedgen";
    # Rocket's default is 8000, which allegedly already uses here.
    port = 8010;
    environmentFiles = true;
    noArguments = true;
    environment = {
      # Rocket's own log level; its default in a release build is "critical".
      ROCKET_LOG_LEVEL = "normal";
    };

    options = {
      hostname = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "feeds.example.com";
        description = ''
          Public hostname (`FEEDGEN_HOSTNAME`): /.well-known/did.json names
          https://<hostname> as the feed generator's endpoint.
        '';
      };
      serviceDid = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "did:web:feeds.example.com";
        description = ''
          The feed generator's DID (`FEEDGEN_SERVICE_DID`); null:
          `did:web:<hostname>`. /.well-known/did.json answers only when it ends
          with the hostname (routes.rs).
        '';
      };
      apiKeyFile = svc.mkSecretOption {
        description = ''
          File holding the key (`RSKY_API_KEY`) the queue and ban endpoints
          expect in `X-RSKY-KEY`; rsky-firehose and
          rsky-jetstream-subscriber send it. Null: those endpoints refuse
          every request.
        '';
      };
      database.createLocally = svc.mkCreateLocallyOption {
        inherit unit;
        vars = dbVars;
      };
    };

    service = {
      inherit unit;
      description = "rsky-feedgen, Blacksky's AT Protocol feed generator";
      # Postgres peer authentication names this user.
      staticUser = true;
      assertions = [
        {
          assertion = cfg.hostname != null;
          message = "${opt}.hostname is not set: set it to the feed generator's public hostname, e.g. \"feeds.example.com\".";
        }
        (svc.createLocallyAssertion {
          inherit cfg opt;
          vars = dbVars;
        })
      ];
      credentials.rsky-api-key = cfg.apiKeyFile;
      # diesel migration run applies what is pending and records it in
      # __diesel_schema_migrations, so it is safe at every start.
      preStart = ''
        ${lib.getExe pkgs.diesel-cli} migration run \
          --migration-dir ${cfg.package}/share/rsky-feedgen/migrations \
          --database-url "$DATABASE_URL"
      '';
      credentialEnv = {
        RSKY_API_KEY = "rsky-api-key";
      };
      script = "exec ${lib.getExe cfg.package}\n";
    };

    extraConfig = lib.mkMerge [
      {
        systemd.services.${unit}.environment = {
          ROCKET_ADDRESS = cfg.listenAddress;
          ROCKET_PORT = toString cfg.port;
          FEEDGEN_HOSTNAME = cfg.hostname;
          FEEDGEN_SERVICE_DID =
            if cfg.serviceDid != null then cfg.serviceDid else "did:web:${toString cfg.hostname}";
        }
        // lib.optionalAttrs cfg.database.createLocally {
          DATABASE_URL = localUrl;
          READ_REPLICA_URL_1 = localUrl;
          READ_REPLICA_URL_2 = localUrl;
        };
      }
      (lib.mkIf cfg.database.createLocally (svc.localPostgres unit))
    ];
  }
)
