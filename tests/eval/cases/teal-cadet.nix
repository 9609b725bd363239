{ pkgs, lib, ... }:
{
  module = "teal-cadet";
  cases = {
    minimal = {
      config = {
        services.teal.cadet.enable = true;
      };
    };
    full = {
      config = {
        services.teal.cadet = {
          enable = true;
          redisUrl = "redis://127.0.0.1:6379";
          metrics = {
            enable = true;
            port = 13409;
          };
          upgradeSnapshots.enable = true;
        };
      };
    };
    remote-database = {
      config = {
        services.teal.cadet = {
          enable = true;
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/teal-db.env" ];
        };
      };
    };
    bad-remote-database-without-url = {
      config = {
        services.teal.cadet = {
          enable = true;
          database.createLocally = false;
        };
      };
      expectAssertion = "services.teal.cadet.database.createLocally is false: put DATABASE_URL in a file listed in services.teal.cadet.environmentFiles";
    };
    bad-extra-args = {
      config = {
        services.teal.cadet = {
          enable = true;
          extraArgs = [ "--verbose" ];
        };
      };
      expectAssertion = "cadet takes no arguments";
    };
  };
  smoke = {
    unit = "teal-cadet.service";
    case = "full";
    # The Prometheus exporter answers once the database pool is up and the
    # migrations ran; Jetstream is unreachable in the container and rocketman
    # keeps retrying.
    http = {
      port = 13409;
      path = "/metrics";
      expectStatus = 200;
    };
    needs = [ "postgresql" ];
  };
}
