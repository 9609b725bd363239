{ pkgs, lib, ... }:
{
  module = "bluesky-plc";
  cases = {
    minimal = {
      config = {
        services.bluesky.plc.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.plc = {
          enable = true;
          port = 2682;
          adminSecretFile = "/run/secrets/plc-admin-secret";
          environment.LOG_LEVEL = "debug";
          nginx = {
            enable = true;
            hostName = "plc.example.com";
          };
        };
      };
    };
    remote-database = {
      config = {
        services.bluesky.plc = {
          enable = true;
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/plc-db.env" ];
        };
      };
    };
    bad-remote-database-without-url = {
      config = {
        services.bluesky.plc = {
          enable = true;
          database.createLocally = false;
        };
      };
      expectAssertion = "services.bluesky.plc.database.createLocally is false: put DATABASE_URL in a file listed in";
    };
    bad-open-firewall-on-loopback = {
      config = {
        services.bluesky.plc = {
          enable = true;
          openFirewall = true;
        };
      };
      expectAssertion = "services.bluesky.plc.openFirewall opens port 2582";
    };
    bad-extra-args = {
      config = {
        services.bluesky.plc = {
          enable = true;
          extraArgs = [ "--port" ];
        };
      };
      expectAssertion = "takes no arguments";
    };
  };
  smoke = {
    unit = "bluesky-plc.service";
    case = "minimal";
    # /_health runs `select 1` on the database after the migrations.
    http = {
      port = 2582;
      path = "/_health";
      expectStatus = 200;
    };
    needs = [ "postgresql" ];
  };
}
