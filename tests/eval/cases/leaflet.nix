{ pkgs, lib, ... }:
let
  required = {
    enable = true;
    publicUrl = "https://leaflet.example.com";
    supabase = {
      url = "https://abcdefgh.supabase.co";
      serviceRoleKeyFile = "/run/secrets/leaflet-supabase-service-role-key";
    };
    database.urlFile = "/run/secrets/leaflet-db-url";
  };
in
{
  module = "leaflet";
  cases = {
    minimal = {
      config.services.leaflet = required;
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.leaflet = lib.recursiveUpdate required {
          supabase.anonKey = "public-anon-key";
          oauthPrivateKeyFile = "/run/secrets/leaflet-oauth-jwk";
          crossSiteAuthSecretFile = "/run/secrets/leaflet-cross-site-auth";
          redisUrl = "redis://127.0.0.1:6379";
          stripePublishableKey = "pk_test_example";
          environmentFiles = [ "/run/secrets/leaflet-integrations.env" ];
          environment.INNGEST_DEV = "0";
          upgradeSnapshots = {
            enable = true;
            healthCheck.url = "http://127.0.0.1:3090/";
          };
          nginx = {
            enable = true;
            hostName = "leaflet.example.com";
          };
        };
      };
    };
    # The smoke run: Supabase is not there, so the middleware's custom-domain
    # lookup fails and the front page (the about page, static content
    # rendered on request) is served as on any host without a custom domain.
    # The key files come from tmpfiles, as a secrets manager would place them.
    smoke = {
      config = {
        services.leaflet = required // {
          publicUrl = "http://127.0.0.1:3090";
          supabase = {
            url = "http://127.0.0.1:54321";
            serviceRoleKeyFile = "/run/leaflet-smoke/service-role-key";
          };
          database.urlFile = "/run/leaflet-smoke/db-url";
        };
        systemd.tmpfiles.rules = [
          "d /run/leaflet-smoke 0700 root root -"
          "f /run/leaflet-smoke/service-role-key 0600 root root - smoke-service-role-key"
          "f /run/leaflet-smoke/db-url 0600 root root - postgresql://postgres@127.0.0.1:54322/postgres"
        ];
      };
    };
    bad-no-supabase-url = {
      config.services.leaflet = removeAttrs required [ "supabase" ] // {
        supabase.serviceRoleKeyFile = "/run/secrets/leaflet-supabase-service-role-key";
      };
      expectAssertion = "services.leaflet.supabase.url is not set";
    };
    bad-no-service-role-key = {
      config.services.leaflet = required // {
        supabase.url = "https://abcdefgh.supabase.co";
      };
      expectAssertion = "services.leaflet.supabase.serviceRoleKeyFile is not set";
    };
    bad-no-database-url = {
      config.services.leaflet = removeAttrs required [ "database" ];
      expectAssertion = "services.leaflet.database.urlFile is not set";
    };
    bad-no-public-url = {
      config.services.leaflet = removeAttrs required [ "publicUrl" ];
      expectAssertion = "services.leaflet.publicUrl is not set";
    };
    bad-store-path-key = {
      config.services.leaflet = required // {
        supabase = required.supabase // {
          serviceRoleKeyFile = pkgs.writeText "key" "secret";
        };
      };
      expectAssertion = "is not of type `null or absolute path not in the Nix store'";
    };
    bad-extra-args = {
      config.services.leaflet = required // {
        extraArgs = [ "--port" ];
      };
      expectAssertion = "leaflet takes no arguments";
    };
    bad-open-firewall-on-loopback = {
      config.services.leaflet = required // {
        openFirewall = true;
      };
      expectAssertion = "services.leaflet.openFirewall opens port 3090";
    };
  };
  smoke = {
    unit = "leaflet.service";
    case = "smoke";
    http = {
      port = 3090;
      path = "/";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
