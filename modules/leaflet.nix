# leaflet: shared writing and social publishing on AT Protocol, the Next.js
# app of hyperlink-academy/leaflet run as Next.js' standalone server. It is
# configured by environment only (the variables the app and the standalone
# server.js read at the pin in pkgs/leaflet/source.json; fixture:
# tests/fixtures/help/leaflet.txt).
#
# Its backend is Supabase, which stays external: leaflet talks to the Supabase
# REST API (PostgREST, auth, storage) with the service role key, and to the
# same project's PostgreSQL directly (`DB_URL`, supabase/pool.ts). The schema
# is Supabase's (supabase/migrations: its roles, row-level security, storage
# buckets), so a plain services.postgresql cannot stand in for it; run
# Supabase (self-hosted or hosted) and give its URL and keys here.
#
# Next.js inlines NEXT_PUBLIC_* into the bundles at build time, so the Supabase
# URL, its anon key, the public URL and the Stripe publishable key build the
# package (`package.override`); they are public by design. Everything secret
# is read at start from files (systemd credentials or `environmentFiles`).
import ../lib/service-module.nix (
  {
    cfg,
    opt,
    lib,
    svc,
    ...
  }:
  let
    inherit (lib) mkOption types;
    unit = "leaflet";
    finalPackage = cfg.package.override {
      supabaseUrl = cfg.supabase.url;
      supabaseAnonKey = cfg.supabase.anonKey;
      appUrl = cfg.publicUrl;
      stripePublishableKey = cfg.stripePublishableKey;
    };
    # Variable -> credential file: each is exported from
    # $CREDENTIALS_DIRECTORY before the server starts.
    secrets = lib.filterAttrs (_: f: f != null) {
      SUPABASE_SERVICE_ROLE_KEY = cfg.supabase.serviceRoleKeyFile;
      DB_URL = cfg.database.urlFile;
      JOSE_PRIVATE_KEY_1 = cfg.oauthPrivateKeyFile;
      CROSS_SITE_AUTH_SECRET = cfg.crossSiteAuthSecretFile;
    };
    credName = var: lib.toLower (lib.replaceStrings [ "_" ] [ "-" ] var);
    generatedCrossSite = "/var/lib/${unit}/cross-site-auth-secret";
  in
  {
    path = [ "leaflet" ];
    name = "leaflet";
    description = "Leaflet, shared writing and social publishing on AT Protocol";
    package = "leaflet";
    # Next.js' default 3000 is Grafana's.
    port = 3090;
    environmentFiles = true;
    noArguments = true;
    environment = {
      NODE_ENV = "production";
    };

    options = {
      publicUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://leaflet.example.com";
        description = ''
          Public origin of this Leaflet (`NEXT_PUBLIC_APP_URL`, built into the
          package): links in e-mails, OAuth and checkout redirects use it.
        '';
      };
      supabase = {
        url = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "https://abcdefgh.supabase.co";
          description = ''
            URL of the Supabase project's API (`NEXT_PUBLIC_SUPABASE_API_URL`,
            built into the package: browsers call it too).
          '';
        };
        anonKey = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = ''
            The Supabase project's anon key (`NEXT_PUBLIC_SUPABASE_ANON_KEY`,
            built into the package). It is public by design: Next.js ships it to
            every browser, and row-level security is what protects the data.
            The editor's browser client needs it.
          '';
        };
        serviceRoleKeyFile = svc.mkSecretOption {
          description = ''
            File holding the Supabase service role key
            (`SUPABASE_SERVICE_ROLE_KEY`), which the server and the middleware
            use for every query. Required.
          '';
          example = "/run/secrets/leaflet-supabase-service-role-key";
        };
      };
      database.urlFile = svc.mkSecretOption {
        description = ''
          File holding the connection string of the Supabase project's
          PostgreSQL (`DB_URL`, e.g. `postgresql://postgres:…@db.…:5432/postgres`),
          which supabase/pool.ts opens directly. Required.
        '';
        example = "/run/secrets/leaflet-db-url";
      };
      oauthPrivateKeyFile = svc.mkSecretOption {
        description = ''
          File holding the AT Protocol OAuth client's private key as a JWK
          (`JOSE_PRIVATE_KEY_1`; src/atproto-oauth.ts imports it with
          `JoseKey.fromImportable` in production). Without it, logging in
          with a Bluesky account fails.
        '';
        example = "/run/secrets/leaflet-oauth-jwk";
      };
      crossSiteAuthSecretFile = svc.mkSecretOption {
        description = ''
          File holding the secret that encrypts the login tokens handed to
          custom domains (`CROSS_SITE_AUTH_SECRET`, src/crossSiteAuth.ts).
          Null: one is generated at first start under /var/lib/leaflet
          (mode 0600) and kept.
        '';
        example = "/run/secrets/leaflet-cross-site-auth";
      };
      redisUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "redis://127.0.0.1:6379";
        description = ''
          Redis for the OAuth request lock, the DID and profile caches and the
          hot feed (`REDIS_URL`). Null: those run without Redis, in memory.
          A URL with a password belongs in one of `environmentFiles` instead.
        '';
      };
      stripePublishableKey = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = ''
          Stripe publishable key (`NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY`, built
          into the package) for the paid tiers. The secret keys
          (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`,
          `STRIPE_CONNECT_WEBHOOK_SECRET`,
          `STRIPE_CONNECT_EVENTS_WEBHOOK_SECRET`) go in `environmentFiles`,
          like those of the other optional integrations: Postmark
          (`POSTMARK_API_KEY`, `POSTMARK_WEBHOOK_SECRET`), Inngest
          (`INNGEST_EVENT_KEY`, `INNGEST_SIGNING_KEY`), Iframely
          (`IFRAMELY_KEY`), Cloudflare (`CLOUDFLARE_ACCOUNT`,
          `CLOUDFLARE_API_TOKEN`), Vercel (`VERCEL_TOKEN`) and Tinybird
          (`TINYBIRD_TOKEN`).
        '';
      };
    };

    service = {
      inherit unit;
      description = "Leaflet, shared writing and social publishing on AT Protocol";
      # The generated cross-site secret is kept here.
      stateDirectory = true;
      hardening = {
        jit = true; # V8 maps pages writable, then executable
      };
      credentials = lib.mapAttrs' (var: f: lib.nameValuePair (credName var) f) secrets;
      assertions = [
        {
          assertion = cfg.supabase.serviceRoleKeyFile != null;
          message = "${opt}.supabase.serviceRoleKeyFile is not set: set it to a file holding the Supabase project's service role key.";
        }
        {
          assertion = cfg.database.urlFile != null;
          message = "${opt}.database.urlFile is not set: set it to a file holding the connection string of the Supabase project's PostgreSQL (DB_URL).";
        }
        {
          assertion = cfg.supabase.url != null;
          message = "${opt}.supabase.url is not set: set it to the Supabase project's API URL, e.g. \"https://abcdefgh.supabase.co\".";
        }
        {
          assertion = cfg.publicUrl != null;
          message = "${opt}.publicUrl is not set: set it to the public origin of this Leaflet, e.g. \"https://leaflet.example.com\".";
        }
      ];
      preStart = lib.optionalString (cfg.crossSiteAuthSecretFile == null) ''
        if [ ! -s ${generatedCrossSite} ]; then
          (umask 077; head -c 32 /dev/urandom | base64 > ${generatedCrossSite})
        fi
      '';
      script =
        lib.concatStrings (
          lib.mapAttrsToList (var: _: ''
            ${var}="$(< "$CREDENTIALS_DIRECTORY/${credName var}")"
            export ${var}
          '') secrets
        )
        + lib.optionalString (cfg.crossSiteAuthSecretFile == null) ''
          CROSS_SITE_AUTH_SECRET="$(< ${generatedCrossSite})"
          export CROSS_SITE_AUTH_SECRET
        ''
        + "exec ${lib.getExe finalPackage}\n";
      serviceConfig = {
        # Next.js' incremental cache (ISR pages, fetch cache); the package
        # links .next/cache here.
        CacheDirectory = unit;
        CacheDirectoryMode = "0700";
      };
    };

    extraConfig = {
      systemd.services.${unit}.environment = {
        # Read by the standalone server.js.
        HOSTNAME = cfg.listenAddress;
        PORT = toString cfg.port;
      }
      // lib.optionalAttrs (cfg.redisUrl != null) { REDIS_URL = cfg.redisUrl; };
    };
  }
)
