# rsky-pds: Blacksky's AT Protocol PDS in Rust. Configured by environment
# only (rsky-pds/src/main.rs takes no arguments); the variables come from
# rsky-pds/src/config/mod.rs, lib.rs and auth_verifier.rs at the pin in
# pkgs/rsky/source.json (fixture: tests/fixtures/help/blacksky-pds.txt).
#
# Storage at this pin is SQLite plus disk or S3 (rsky-pds/README.md): the
# account, sequencer and DID-cache databases and one SQLite file per actor
# under PDS_DATA_DIRECTORY, migrated by the PDS itself at start
# (get_migrated_db in lib.rs). It needs no PostgreSQL.
#
# The listen socket is Rocket's (ROCKET_ADDRESS, ROCKET_PORT: the figment in
# lib.rs); PDS_PORT only builds the public URL when the hostname is
# "localhost".
import ../../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "blacksky-pds";
    stateDir = "/var/lib/${unit}";

    # Secrets rsky-pds reads from its environment: variable -> option.
    # Unset ones are generated at first start (below).
    keys = {
      PDS_JWT_KEY_K256_PRIVATE_KEY_HEX = "jwtKeyFile";
      PDS_REPO_SIGNING_KEY_K256_PRIVATE_KEY_HEX = "repoSigningKeyFile";
      PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX = "plcRotationKeyFile";
      PDS_DPOP_SECRET = "dpopSecretFile";
      PDS_ADMIN_PASSWORD = "adminPasswordFile";
    };
    credName = var: lib.toLower (lib.replaceStrings [ "_" ] [ "-" ] var);
    optionalSecrets = {
      PDS_MAILGUN_API_KEY = cfg.mailgunApiKeyFile;
    }
    // lib.optionalAttrs (cfg.blobstore.s3.bucket != null) {
      AWS_ACCESS_KEY_ID = cfg.blobstore.s3.accessKeyIdFile;
      AWS_SECRET_ACCESS_KEY = cfg.blobstore.s3.secretAccessKeyFile;
    };

    secretOption =
      what:
      svc.mkSecretOption {
        description = ''
          File holding ${what}. Null: generated at first start under
          ${stateDir}/secrets with mode 0600 and kept.
        '';
      };
  in
  {
    path = [
      "blacksky"
      "pds"
    ];
    name = "rsky-pds";
    description = "rsky-pds, Blacksky's AT Protocol personal data server";
    package = "rsky-pds";
    # Upstream's default is 2583 (rsky-pds/src/config/mod.rs:
    # env_int("PDS_PORT").unwrap_or(2583)), the same as @atproto/pds and
    # services.bluesky.pds; 2584 lets both PDSes run on one host by default.
    port = 2584;
    noArguments = true;
    environment = {
      # Rocket's own log level; its default in a release build is "critical".
      ROCKET_LOG_LEVEL = "normal";
    };

    options = {
      workers = mkOption {
        type = types.ints.positive;
        default = 32;
        description = ''
          Rocket's worker threads (`ROCKET_WORKERS`; Rocket's own default is
          the number of CPUs). Each `subscribeRepos` connection holds a worker
          for as long as it is open (seen here: with two workers, one relay
          subscribed and a monitoring probe's firehose ping went unanswered),
          so size this above the expected firehose subscribers plus
          concurrent requests.
        '';
      };
      hostname = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "pds.example.com";
        description = ''
          Public hostname (`PDS_HOSTNAME`): the PDS serves https://<hostname>
          and, unless `serviceHandleDomains` says otherwise, handles under
          `.<hostname>`. Required: upstream's fallback, "localhost", is only
          for development.
        '';
      };
      serviceDid = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "did:web:pds.example.com";
        description = "Service DID (`PDS_SERVICE_DID`); null: upstream's `did:web:<hostname>`.";
      };
      serviceHandleDomains = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ ".example.com" ];
        description = "Handle suffixes (`PDS_SERVICE_HANDLE_DOMAINS`); empty: upstream's `.<hostname>`.";
      };
      plcUrl = mkOption {
        type = types.str;
        default = "https://plc.directory";
        description = "PLC directory (`PDS_DID_PLC_URL`; upstream's default).";
      };
      crawlers = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "https://bsky.network" ];
        description = "Relays asked to crawl this PDS (`PDS_CRAWLERS`).";
      };
      inviteRequired = mkOption {
        type = types.bool;
        default = true;
        description = "Whether sign-up needs an invite code (`PDS_INVITE_REQUIRED`; upstream's default: true).";
      };
      dataDir = mkOption {
        type = types.str;
        default = stateDir;
        readOnly = true;
        description = "`PDS_DATA_DIRECTORY`: the SQLite databases and actor stores (the unit's StateDirectory).";
      };

      jwtKeyFile = secretOption "the hex K-256 key signing access and refresh tokens (`PDS_JWT_KEY_K256_PRIVATE_KEY_HEX`)";
      repoSigningKeyFile = secretOption "the hex K-256 key signing repo commits (`PDS_REPO_SIGNING_KEY_K256_PRIVATE_KEY_HEX`)";
      plcRotationKeyFile = secretOption "the hex K-256 PLC rotation key (`PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX`)";
      dpopSecretFile = secretOption "the 32-byte hex OAuth DPoP nonce secret (`PDS_DPOP_SECRET`)";
      adminPasswordFile = secretOption "the admin password for the admin endpoints (`PDS_ADMIN_PASSWORD`)";
      mailgunApiKeyFile = svc.mkSecretOption {
        description = "File holding the Mailgun API key (`PDS_MAILGUN_API_KEY`); null: no mail.";
      };

      blobstore.s3 = {
        bucket = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "pds-blobs";
          description = ''
            S3 bucket for blobs (`PDS_BLOBSTORE_S3_BUCKET`). Null: blobs on disk
            under ${stateDir}/blobs (`PDS_BLOBSTORE_DISK_LOCATION`); upstream
            refuses both at once.
          '';
        };
        endpoint = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "https://s3.eu-central-1.amazonaws.com";
          description = "S3 endpoint URL (`AWS_ENDPOINT`, read in rsky-pds/src/lib.rs). Required with a bucket: upstream's fallback is \"localhost\".";
        };
        region = mkOption {
          type = types.str;
          default = "us-east-1";
          description = "S3 region (`AWS_REGION`, read by aws_config::from_env).";
        };
        accessKeyIdFile = svc.mkSecretOption {
          description = "File holding the S3 access key id (`AWS_ACCESS_KEY_ID`).";
        };
        secretAccessKeyFile = svc.mkSecretOption {
          description = "File holding the S3 secret access key (`AWS_SECRET_ACCESS_KEY`).";
        };
      };
    };

    service = {
      inherit unit;
      description = "rsky-pds, Blacksky's AT Protocol personal data server";
      stateDirectory = true;
      # The plan asks for static users for Blacksky's services: backups and
      # the pdsadmin tool name this user to reach the databases.
      staticUser = true;
      assertions = [
        {
          assertion = cfg.hostname != null;
          message = "${opt}.hostname is not set: set it to the PDS's public hostname, e.g. \"pds.example.com\".";
        }
        {
          assertion =
            cfg.blobstore.s3.bucket != null
            -> cfg.blobstore.s3.endpoint != null
              && cfg.blobstore.s3.accessKeyIdFile != null
              && cfg.blobstore.s3.secretAccessKeyFile != null;
          message = "${opt}.blobstore.s3.bucket is set: also set ${opt}.blobstore.s3.endpoint, accessKeyIdFile and secretAccessKeyFile.";
        }
      ];
      credentials =
        lib.mapAttrs' (var: o: lib.nameValuePair (credName var) cfg.${o}) keys
        // lib.mapAttrs' (var: p: lib.nameValuePair (credName var) p) optionalSecrets;
      # A K-256 private key is 32 random bytes below the group order; a
      # random 32 bytes is at or above it with probability below 2^-127.
      # coreutils only (the unit's default PATH): 64 hex digits, no newline.
      preStart = ''
        umask 077
        mkdir -p ${stateDir}/secrets ${stateDir}/blobs ${stateDir}/tmp
      ''
      + lib.concatStrings (
        lib.mapAttrsToList (
          var: o:
          lib.optionalString (cfg.${o} == null) ''
            if [ ! -s ${stateDir}/secrets/${credName var} ]; then
              head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' > ${stateDir}/secrets/${credName var}
            fi
          ''
        ) keys
      );
      script =
        lib.concatStrings (
          lib.mapAttrsToList (var: o: ''
            ${var}="$(< ${
              if cfg.${o} == null then
                "${stateDir}/secrets/${credName var}"
              else
                "\"$CREDENTIALS_DIRECTORY/${credName var}\""
            })"
            export ${var}
          '') keys
          ++ lib.mapAttrsToList (
            var: p:
            lib.optionalString (p != null) ''
              ${var}="$(< "$CREDENTIALS_DIRECTORY/${credName var}")"
              export ${var}
            ''
          ) optionalSecrets
        )
        + "exec ${lib.getExe cfg.package}\n";
      serviceConfig.WorkingDirectory = stateDir;
    };

    extraConfig = {
      systemd.services.${unit}.environment = {
        ROCKET_ADDRESS = cfg.listenAddress;
        ROCKET_PORT = toString cfg.port;
        ROCKET_WORKERS = toString cfg.workers;
        PDS_PORT = toString cfg.port;
        PDS_HOSTNAME = cfg.hostname;
        PDS_DATA_DIRECTORY = stateDir;
        PDS_DID_PLC_URL = cfg.plcUrl;
        PDS_INVITE_REQUIRED = lib.boolToString cfg.inviteRequired;
      }
      # Always set, with upstream's defaults spelled out: describeServer
      # reads both from the environment itself and unwraps PDS_SERVICE_DID
      # (rsky-pds/src/apis/com/atproto/server/describe_server.rs), so without
      # it the endpoint panics and the domain list is empty.
      // {
        PDS_SERVICE_DID = if cfg.serviceDid != null then cfg.serviceDid else "did:web:${toString cfg.hostname}";
        PDS_SERVICE_HANDLE_DOMAINS = lib.concatStringsSep "," (
          if cfg.serviceHandleDomains != [ ] then cfg.serviceHandleDomains else [ ".${toString cfg.hostname}" ]
        );
      }
      // lib.optionalAttrs (cfg.crawlers != [ ]) { PDS_CRAWLERS = lib.concatStringsSep "," cfg.crawlers; }
      // (
        if cfg.blobstore.s3.bucket == null then
          {
            PDS_BLOBSTORE_DISK_LOCATION = "${stateDir}/blobs";
            PDS_BLOBSTORE_DISK_TMP_LOCATION = "${stateDir}/tmp";
          }
        else
          {
            PDS_BLOBSTORE_S3_BUCKET = cfg.blobstore.s3.bucket;
            AWS_ENDPOINT = cfg.blobstore.s3.endpoint;
            AWS_REGION = cfg.blobstore.s3.region;
          }
      );
    };
  }
)
