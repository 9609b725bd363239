{ pkgs, lib, ... }:
{
  module = "bluesky-rainbow";
  cases = {
    minimal = {
      config = {
        services.bluesky.rainbow.enable = true;
      };
    };
    full = {
      config = {
        security.acme = {
          acceptTerms = true;
          defaults.email = "admin@example.com";
        };
        services.bluesky.rainbow = {
          enable = true;
          listenAddress = "::";
          port = 12480;
          openFirewall = true;
          upstreamHost = "https://relay.example.com";
          logLevel = "warn";
          persistHours = 1.5;
          persistBytes = 10000000000;
          nextCrawlers = [ "https://relay2.example.com" ];
          collectiondirHost = "http://127.0.0.1:2510";
          environmentName = "prod";
          environment.GOMAXPROCS = "4";
          metrics = {
            enable = true;
            port = 12481;
          };
          nginx = {
            enable = true;
            hostName = "firehose.example.com";
          };
          extraArgs = [ ];
        };
      };
    };
    bad-open-firewall-on-loopback = {
      config = {
        services.bluesky.rainbow = {
          enable = true;
          openFirewall = true;
        };
      };
      expectAssertion = "services.bluesky.rainbow.openFirewall opens port 2480";
    };
    bad-port-clash-with-postgresql = {
      config = {
        services.postgresql.enable = true;
        services.bluesky.rainbow = {
          enable = true;
          port = 5432;
        };
      };
      expectAssertion = "services.postgresql.settings.port";
    };
  };
  smoke = {
    unit = "bluesky-rainbow.service";
    case = "minimal";
    # /xrpc/_health answers without the upstream relay.
    http = {
      port = 2480;
      path = "/xrpc/_health";
      expectStatus = 200;
    };
    needs = [ ];
  };
}
