# rsky-video (binary video-service): Blacksky's video service, the
# app.bsky.video.* endpoints. Uploads are checked with ffmpeg/ffprobe,
# transcoded by Bunny Stream and played back through signed Bunny CDN URLs;
# jobs and quotas live in PostgreSQL. Configured by environment only
# (rsky-video/src/config.rs and main.rs at the pin in pkgs/rsky/source.json;
# fixture: tests/fixtures/help/blacksky-video.txt). It creates its tables
# itself at start (db::run_migrations), so there is no migration pre-start.
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
    unit = "blacksky-video";
    localUrl = svc.localPostgresUrl unit;
    int = default: description: mkOption {
      type = types.ints.positive;
      inherit default description;
    };
  in
  {
    path = [
      "blacksky"
      "video"
    ];
    name = "rsky-video";
    description = "rsky-video, Blacksky's video upload and playback service";
    package = "rsky-video";
    # Upstream's default (VIDEO_PORT).
    port = 3500;
    environmentFiles = true;
    noArguments = true;
    environment = { };

    options = {
      hostname = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "video.example.com";
        description = "Public hostname: the service's URL is https://<hostname> (`VIDEO_PUBLIC_URL`). Required.";
      };
      serviceDid = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "did:web:video.example.com";
        description = "The service's DID (`VIDEO_SERVICE_DID`); null: `did:web:<hostname>`.";
      };
      signingKeyFile = svc.mkSecretOption {
        description = ''
          PEM file with the key the service signs its service-auth tokens
          with (`SIGNING_KEY_PATH`). Null: rsky-video starts, but uploads to
          users' PDSes fail.
        '';
      };
      bunny = {
        libraryId = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "Bunny Stream library ID (`BUNNY_LIBRARY_ID`). Required.";
        };
        pullZone = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "vz-12345678-abc";
          description = "Bunny pull zone subdomain, without `.b-cdn.net` (`BUNNY_PULL_ZONE`). Required.";
        };
        apiKeyFile = svc.mkSecretOption {
          description = "File holding the Bunny Stream API key (`BUNNY_API_KEY`). Required.";
        };
        tokenAuth = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Sign CDN playback URLs (`CDN_TOKEN_AUTH`; upstream's default).
            False leaves them unsigned, for a pull zone without token
            authentication.
          '';
        };
        tokenKeyFile = svc.mkSecretOption {
          description = ''
            File holding the Bunny URL token authentication key
            (`BUNNY_TOKEN_KEY`), distinct from the API key. Required while
            `bunny.tokenAuth` is true.
          '';
        };
      };
      playlistRedirectMaxAge = int 3600 "Cache max-age of the playlist redirect, seconds (`PLAYLIST_REDIRECT_MAX_AGE_SECS`; upstream's default).";
      thumbnailRedirectMaxAge = int 86400 "Cache max-age of the thumbnail redirect, seconds (`THUMBNAIL_REDIRECT_MAX_AGE_SECS`; upstream's default).";
      maxVideoSize = int 100000000 "Largest upload, bytes (`MAX_VIDEO_SIZE`; upstream's default). Also nginx's body limit.";
      maxVideoDuration = int 90 "Longest video, seconds (`MAX_VIDEO_DURATION`; upstream's default).";
      dailyVideoLimit = int 25 "Uploads per user and day (`DAILY_VIDEO_LIMIT`; upstream's default).";
      dailyByteLimit = int 10737418240 "Bytes uploaded per user and day (`DAILY_BYTE_LIMIT`; upstream's default).";
      database.createLocally = svc.mkCreateLocallyOption { inherit unit; };
    };

    service = {
      inherit unit;
      description = "rsky-video, Blacksky's video upload and playback service";
      # Postgres peer authentication names this user.
      staticUser = true;
      assertions = [
        {
          assertion = cfg.hostname != null;
          message = "${opt}.hostname is not set: set it to the video service's public hostname, e.g. \"video.example.com\".";
        }
        {
          assertion = cfg.bunny.libraryId != null && cfg.bunny.pullZone != null && cfg.bunny.apiKeyFile != null;
          message = "${opt}.bunny.libraryId, bunny.pullZone and bunny.apiKeyFile must all be set: rsky-video transcodes through Bunny Stream and refuses to start without them.";
        }
        {
          assertion = !cfg.bunny.tokenAuth || cfg.bunny.tokenKeyFile != null;
          message = "${opt}.bunny.tokenKeyFile is not set: set it to a file holding the Bunny URL token key, or set ${opt}.bunny.tokenAuth = false for a pull zone without token authentication.";
        }
        (svc.createLocallyAssertion { inherit cfg opt; })
      ];
      credentials = {
        bunny-api-key = cfg.bunny.apiKeyFile;
        bunny-token-key = if cfg.bunny.tokenAuth then cfg.bunny.tokenKeyFile else null;
        signing-key = cfg.signingKeyFile;
      };
      credentialEnv = {
        BUNNY_API_KEY = "bunny-api-key";
        BUNNY_TOKEN_KEY = "bunny-token-key";
      };
      script =
        lib.optionalString (cfg.signingKeyFile != null) ''
          export SIGNING_KEY_PATH="$CREDENTIALS_DIRECTORY/signing-key"
        ''
        + "exec ${lib.getExe cfg.package}\n";
    };

    extraConfig = lib.mkMerge [
      {
        systemd.services.${unit} = {
          # The start refuses to go on without ffmpeg and ffprobe on PATH
          # (transcode::preflight); every upload runs them.
          path = [ pkgs.ffmpeg-headless ];
          environment = {
            VIDEO_HOST = cfg.listenAddress;
            VIDEO_PORT = toString cfg.port;
            VIDEO_PUBLIC_URL = "https://${toString cfg.hostname}";
            VIDEO_SERVICE_DID =
              if cfg.serviceDid != null then cfg.serviceDid else "did:web:${toString cfg.hostname}";
            BUNNY_LIBRARY_ID = toString cfg.bunny.libraryId;
            BUNNY_PULL_ZONE = toString cfg.bunny.pullZone;
            CDN_TOKEN_AUTH = if cfg.bunny.tokenAuth then "true" else "false";
            PLAYLIST_REDIRECT_MAX_AGE_SECS = toString cfg.playlistRedirectMaxAge;
            THUMBNAIL_REDIRECT_MAX_AGE_SECS = toString cfg.thumbnailRedirectMaxAge;
            MAX_VIDEO_SIZE = toString cfg.maxVideoSize;
            MAX_VIDEO_DURATION = toString cfg.maxVideoDuration;
            DAILY_VIDEO_LIMIT = toString cfg.dailyVideoLimit;
            DAILY_BYTE_LIMIT = toString cfg.dailyByteLimit;
          }
          // lib.optionalAttrs cfg.database.createLocally { DATABASE_URL = localUrl; };
        };
      }
      (lib.mkIf cfg.nginx.enable {
        # nginx's 1 MB default would refuse every upload.
        services.nginx.virtualHosts.${cfg.nginx.hostName}.locations."/".extraConfig =
          "client_max_body_size ${toString cfg.maxVideoSize};";
      })
      (lib.mkIf cfg.database.createLocally (svc.localPostgres unit))
    ];
  }
)
