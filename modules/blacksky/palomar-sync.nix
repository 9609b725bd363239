# palomar-sync: a batch job copying ranking signals from the bsky app-view's
# PostgreSQL into the OpenSearch profile index that Palomar (Bluesky's
# search service) queries. `followers` sets each profile's followersFuzzy
# from bsky.profile_agg; `pagerank` exports bsky.follow and bsky.actor with
# psql, runs an external PageRank program over the CSV files and indexes
# the ranks. Facts from palomar-sync/src/main.rs at the pin in
# pkgs/rsky/source.json (subcommands and flags:
# tests/fixtures/help/blacksky-palomar-sync*.txt; variables:
# blacksky-palomar-sync-env.txt). It exits when done, so the unit is a
# oneshot started by a timer (`startAt`).
#
# The tables it reads belong to the data plane's database (the one
# services.blacksky.wintermute fills), not to palomar-sync: locally it
# connects with its own role over the socket (peer authentication) and
# needs SELECT on those tables, which only their owner can grant.
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    pkgs,
    config,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "blacksky-palomar-sync";
    wintermute = config.services.blacksky.wintermute or { };
    localWintermute = (wintermute.enable or false) && (wintermute.database.createLocally or false);
    localDb = cfg.database.name != null;
  in
  {
    path = [
      "blacksky"
      "palomar-sync"
    ];
    name = "palomar-sync";
    description = "palomar-sync, the job copying followersFuzzy (and PageRank) from the bsky app-view's PostgreSQL to Palomar's OpenSearch index";
    package = "rsky-palomar-sync";
    nginx = false;
    environmentFiles = true;
    # Upstream logs at info when RUST_LOG is unset.
    environment = { };

    options = {
      startAt = mkOption {
        type = types.either types.str (types.listOf types.str);
        default = "daily";
        example = "*-*-* 04:00:00";
        description = ''
          When the job runs (systemd.time(7) calendar events, the unit's
          timer). It runs `followers`, then `pagerank` when enabled.
        '';
      };
      opensearch = {
        url = mkOption {
          type = types.str;
          default = "http://localhost:9200";
          description = ''
            OpenSearch base URL (`OPENSEARCH_URL`; upstream's default). A URL
            with credentials belongs in `opensearch.urlFile`.
          '';
        };
        urlFile = svc.mkSecretOption {
          example = "/run/secrets/opensearch-url";
          description = ''
            File holding the OpenSearch URL with its credentials
            (`https://user:password@host:9200`); replaces `opensearch.url`.
          '';
        };
      };
      profileIndex = mkOption {
        type = types.str;
        default = "palomar_profile";
        description = "OpenSearch index of the profiles (`PROFILE_INDEX`; upstream's default).";
      };
      batchSize = mkOption {
        type = types.ints.positive;
        default = 5000;
        description = "Rows read and documents updated per bulk request (`BATCH_SIZE`; upstream's default).";
      };
      pagerank = {
        enable = lib.mkEnableOption ''
          the PageRank pass after `followers`. It exports the whole follow
          graph as CSV under /var/cache/${unit} (removed afterwards) and runs
          `pagerank.program`'';
        program = mkOption {
          type = types.nullOr types.path;
          default = null;
          example = lib.literalExpression ''"''${pkgs.my-pagerank}/bin/pagerank"'';
          description = ''
            The PageRank program (`--pagerank-bin`). Not part of rsky: it reads
            the CSV files named by FOLLOWS_FILE and ACTORS_FILE,
            EXPECTED_ACTOR_COUNT, and writes `did,rank` lines to OUTPUT_FILE.
            Required with `pagerank.enable`.
          '';
        };
      };
      database.name = mkOption {
        type = types.nullOr types.str;
        default = if localWintermute then "blacksky-wintermute" else null;
        defaultText = lib.literalMD "`\"blacksky-wintermute\"` when services.blacksky.wintermute keeps its database locally, else null";
        description = ''
          Database of the local `services.postgresql` holding the app-view's
          `bsky` schema. The job connects over the socket as its own role
          `${unit}` (created here; peer authentication), which needs SELECT
          on bsky.profile_agg (and bsky.follow, bsky.actor for PageRank):
          grant it as the tables' owner. Null: put `DATABASE_URL` in one of
          `environmentFiles`.
        '';
      };
    };

    service = {
      inherit unit;
      description = "palomar-sync, copying followersFuzzy and PageRank to OpenSearch";
      # Postgres peer authentication names this user; the plan asks for
      # static users for Blacksky's services.
      staticUser = true;
      assertions = [
        {
          assertion = localDb || cfg.environmentFiles != [ ];
          message = "${opt}.database.name is null: set it to the local database with the bsky schema, or put DATABASE_URL in a file listed in ${opt}.environmentFiles.";
        }
        {
          assertion = !(lib.hasInfix "@" cfg.opensearch.url);
          message = "${opt}.opensearch.url carries credentials, which would land in the Nix store: put the URL in a file and set ${opt}.opensearch.urlFile instead.";
        }
        {
          assertion = cfg.pagerank.enable -> cfg.pagerank.program != null;
          message = "${opt}.pagerank.enable needs ${opt}.pagerank.program: the PageRank program palomar-sync runs (not part of rsky).";
        }
      ];
      credentials = {
        opensearch-url = cfg.opensearch.urlFile;
      };
      credentialEnv = {
        OPENSEARCH_URL = "opensearch-url";
      };
      script =
        ''
          ${lib.getExe cfg.package} followers
        ''
        + lib.optionalString cfg.pagerank.enable ''
          ${
            lib.escapeShellArgs [
              (lib.getExe cfg.package)
              "pagerank"
              "--pagerank-bin"
              cfg.pagerank.program
              "--work-dir"
            ]
          } "$CACHE_DIRECTORY"
        '';
      serviceConfig = {
        Type = "oneshot";
        # A failed run waits for the next timer instead of looping.
        Restart = "no";
      }
      // lib.optionalAttrs cfg.pagerank.enable {
        CacheDirectory = unit;
        CacheDirectoryMode = "0700";
      };
    };

    extraConfig = lib.mkMerge [
      {
        systemd.services.${unit} = {
          # Run by its timer only, not at boot.
          wantedBy = lib.mkForce [ ];
          inherit (cfg) startAt;
          # pagerank exports the tables with psql.
          path = lib.optional cfg.pagerank.enable pkgs.postgresql;
          environment = {
            PROFILE_INDEX = cfg.profileIndex;
            BATCH_SIZE = toString cfg.batchSize;
          }
          // lib.optionalAttrs (cfg.opensearch.urlFile == null) { OPENSEARCH_URL = cfg.opensearch.url; }
          // lib.optionalAttrs localDb { DATABASE_URL = "host=/run/postgresql dbname=${cfg.database.name}"; };
        };
      }
      {
        # A run missed while the machine was off happens at the next boot.
        systemd.timers.${unit}.timerConfig.Persistent = true;
      }
      (lib.mkIf localDb {
        services.postgresql = {
          enable = true;
          ensureUsers = [ { name = unit; } ];
        };
        systemd.services.${unit} = {
          requires = [ "postgresql.service" ];
          after = [ "postgresql.service" ];
        };
      })
    ];
  }
)
