{ pkgs, lib, ... }:
{
  module = "blacksky-feedgen";
  cases = {
    minimal = {
      config = {
        services.blacksky.feedgen = {
          enable = true;
          hostname = "feeds.example.com";
        };
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.blacksky.feedgen = {
          enable = true;
          hostname = "feeds.example.com";
          serviceDid = "did:web:feeds.example.com";
          apiKeyFile = "/run/secrets/rsky-api-key";
          environment.TRENDING_PERCENTILE = "0.95";
          nginx = {
            enable = true;
            hostName = "feeds.example.com";
          };
        };
      };
    };
    remote-database = {
      config = {
        services.blacksky.feedgen = {
          enable = true;
          hostname = "feeds.example.com";
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/feedgen-db.env" ];
        };
      };
    };
    bad-no-hostname = {
      config = {
        services.blacksky.feedgen.enable = true;
      };
      expectAssertion = "services.blacksky.feedgen.hostname is not set";
    };
    bad-remote-database-without-url = {
      config = {
        services.blacksky.feedgen = {
          enable = true;
          hostname = "feeds.example.com";
          database.createLocally = false;
        };
      };
      expectAssertion = "put DATABASE_URL, READ_REPLICA_URL_1 and READ_REPLICA_URL_2";
    };
    bad-extra-args = {
      config = {
        services.blacksky.feedgen = {
          enable = true;
          hostname = "feeds.example.com";
          extraArgs = [ "--port" ];
        };
      };
      expectAssertion = "rsky-feedgen takes no arguments";
    };
  };
  smoke = {
    unit = "blacksky-feedgen.service";
    case = "minimal";
    # The did:web document answers from configuration once the pools are up.
    http = {
      port = 8010;
      path = "/.well-known/did.json";
      expectStatus = 200;
    };
    needs = [ "postgresql" ];
  };
}
