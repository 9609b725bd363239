{ pkgs, lib, ... }:
{
  module = "teal-aqua";
  cases = {
    minimal = {
      config = {
        services.teal.aqua = {
          enable = true;
          hostname = "aqua.example.com";
        };
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.teal.aqua = {
          enable = true;
          hostname = "aqua.example.com";
          publicKeyMultibase = "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme";
          redisUrl = "redis://127.0.0.1:6379";
          listenAddress = "::";
          port = 13400;
          openFirewall = true;
          nginx = {
            enable = true;
            hostName = "aqua.example.com";
          };
        };
      };
    };
    remote-database = {
      config = {
        services.teal.aqua = {
          enable = true;
          hostname = "aqua.example.com";
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/teal-db.env" ];
        };
      };
    };
    bad-no-hostname = {
      config = {
        services.teal.aqua.enable = true;
      };
      expectAssertion = "services.teal.aqua.hostname is not set";
    };
    bad-remote-database-without-url = {
      config = {
        services.teal.aqua = {
          enable = true;
          hostname = "aqua.example.com";
          database.createLocally = false;
        };
      };
      expectAssertion = "put DATABASE_URL in a file listed in services.teal.aqua.environmentFiles";
    };
  };
  smoke = {
    unit = "teal-aqua.service";
    case = "minimal";
    # Top artists of the last 30 days: a query on the materialized view
    # mv_top_artists_30days, which the migrations create.
    http = {
      port = 3400;
      path = "/xrpc/fm.teal.stats.getTopArtists";
      expectStatus = 200;
    };
    needs = [ "postgresql" ];
  };
}
