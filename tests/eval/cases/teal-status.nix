{ pkgs, lib, ... }:
{
  module = "teal-status";
  cases = {
    minimal = {
      config = {
        services.teal.status.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.teal.status = {
          enable = true;
          listenAddress = "0.0.0.0";
          port = 13402;
          openFirewall = true;
          jetstreamUrl = "ws://127.0.0.1:6008/subscribe";
          handleResolver = "https://api.example.com";
          nginx = {
            enable = true;
            hostName = "status.teal.example.com";
          };
        };
      };
    };
    remote-database = {
      config = {
        services.teal.status = {
          enable = true;
          database.createLocally = false;
          environmentFiles = [ "/run/secrets/teal-db.env" ];
        };
      };
    };
    bad-ipv6-listen = {
      config = {
        services.teal.status = {
          enable = true;
          listenAddress = "::1";
        };
      };
      expectAssertion = "status-api cannot listen on an IPv6 address";
    };
    bad-remote-database-without-url = {
      config = {
        services.teal.status = {
          enable = true;
          database.createLocally = false;
        };
      };
      expectAssertion = "put DATABASE_URL in a file listed in services.teal.status.environmentFiles";
    };
  };
  smoke = {
    unit = "teal-status.service";
    case = "minimal";
    # Upstream's health route; the unit is up only after the pre-start applied
    # the migrations. (getStatus itself calls pg_input_is_valid, PostgreSQL 16
    # and later, and Debian 12's PostgreSQL in the smoke root is 15: the VM
    # test asks it on NixOS' PostgreSQL.)
    http = {
      port = 3402;
      path = "/health";
      expectStatus = 200;
    };
    needs = [ "postgresql" ];
  };
}
