{ pkgs, lib, ... }:
{
  module = "teal-satellite";
  cases = {
    minimal = {
      config = {
        services.teal.satellite.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.teal.satellite = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 13401;
          openFirewall = true;
          refreshCron = "0 */5 * * * *";
          nginx = {
            enable = true;
            hostName = "stats.teal.example.com";
          };
        };
      };
    };
    remote-database = {
      config = {
        services.teal.satellite = {
          enable = true;
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/teal-db.env" ];
        };
      };
    };
    bad-remote-database-without-url = {
      config = {
        services.teal.satellite = {
          enable = true;
          database.createLocally = false;
        };
      };
      expectAssertion = "put DATABASE_URL in a file listed in services.teal.satellite.environmentFiles";
    };
    bad-firewall-on-loopback = {
      config = {
        services.teal.satellite = {
          enable = true;
          openFirewall = true;
        };
      };
      expectAssertion = "services.teal.satellite.openFirewall opens port 3401";
    };
  };
  smoke = {
    unit = "teal-satellite.service";
    case = "minimal";
    # Counts the rows of `profiles`, a table the migrations create.
    http = {
      port = 3401;
      path = "/actor/count";
      expectStatus = 200;
    };
    needs = [ "postgresql" ];
  };
}
